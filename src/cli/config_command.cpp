// `eventlake config` (see config_command.h).
#include "cli/config_command.h"

#include <iostream>
#include <memory>
#include <string>

#include "cli/cli_support.h"
#include "server/config.h"

namespace eventlake::cli {

void AddConfigCommand(CLI::App& app) {
  CLI::App* config = app.add_subcommand("config", "Configuration tools");
  config->require_subcommand(1);
  config->add_subcommand("reference", "Print the reference of every configuration key (Markdown)")
      ->callback([] { std::cout << server::ConfigReference() << std::flush; });
  auto file = std::make_shared<std::string>();
  CLI::App* check = config->add_subcommand("check", "Check a configuration file");
  check->add_option("FILE", *file, "The eventlake.yaml to check")->required();
  check->callback([file] {
    auto parsed = server::LoadConfigFile(*file);
    if (!parsed) ExitWith(ReportFailure(parsed.error()));
    std::cout << *file << ": ok" << std::endl;
  });
}

}  // namespace eventlake::cli
