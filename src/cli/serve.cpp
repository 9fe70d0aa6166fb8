// `eventlake serve` (see serve.h).
#include "cli/serve.h"

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "cli/cli_support.h"
#include "server/config.h"
#include "server/server.h"

namespace eventlake::cli {
namespace {

struct ServeFlags {
  std::string config;
  std::string data_dir;
  std::string listen;
  std::string pg_listen;
};

Result<server::Config> LoadServeConfig(const ServeFlags& flags) {
  std::string path = flags.config;
  if (path.empty()) {
    if (const char* env = std::getenv("EVENTLAKE_CONFIG"); env != nullptr) path = env;
  }
  server::Config config;
  if (path.empty()) {
    config = server::EmbeddedDefaultConfig();
  } else {
    EL_ASSIGN_OR_RETURN(config, server::LoadConfigFile(path));
  }
  if (!flags.data_dir.empty()) config.server.data_dir = flags.data_dir;
  if (!flags.listen.empty()) config.server.listen = flags.listen;
  if (!flags.pg_listen.empty()) config.server.pg_listen = flags.pg_listen;
  for (const auto& [flag, value] : {std::pair{"--listen", &config.server.listen},
                                    std::pair{"--pg-listen", &config.server.pg_listen}}) {
    auto split = server::SplitHostPort(*value);
    if (!split) return Err(split.error().WithContext(flag));
  }
  return config;
}

void RunServe(const ServeFlags& flags) {
  auto config = LoadServeConfig(flags);
  if (!config) ExitWith(ReportFailure(config.error()));
  Status run = server::RunServerUntilSignal(std::move(*config));
  if (!run.ok()) ExitWith(ReportFailure(run));
}

}  // namespace

void AddServeCommand(CLI::App& app) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* serve = app.add_subcommand("serve", "Run the eventlake server in the foreground");
  serve->add_option(
      "--config", flags->config,
      "eventlake.yaml to run (default: $EVENTLAKE_CONFIG, else the embedded default)");
  serve->add_option("--data-dir", flags->data_dir, "Overrides server.data_dir");
  serve->add_option("--listen", flags->listen, "Overrides server.listen (HOST:PORT)");
  serve->add_option("--pg-listen", flags->pg_listen, "Overrides server.pg_listen (HOST:PORT)");
  serve->callback([flags] { RunServe(*flags); });
}

}  // namespace eventlake::cli
