// The `eventlake` command line: one binary for the server (`serve`), its
// configuration tools and the clients that talk to a running server over the
// HTTP API (`streams`, `tail`), plus offline tools (`log check`).
//
// Exit codes: 0 ok, 1 the operation failed ("eventlake: <message>" on
// stderr), 2 the command line was wrong. Each subcommand lives in its own
// file and registers itself with an Add*Command(app) call below.
#include <CLI/CLI.hpp>
#include <csignal>
#include <exception>
#include <iostream>
#include <string>

#include "cli/cli_support.h"
#include "cli/config_command.h"
#include "cli/keys_command.h"
#include "cli/log_command.h"
#include "cli/send_command.h"
#include "cli/serve.h"
#include "cli/streams_command.h"
#include "cli/maintenance_command.h"
#include "cli/query_command.h"
#include "cli/sql_command.h"
#include "cli/tables_command.h"
#include "cli/tail_command.h"
#include "cli/pipelines_command.h"

namespace {

constexpr const char* kVersion = "0.1.0";

std::string FailureMessage(const CLI::App*, const CLI::Error& error) {
  return std::string("eventlake: ") + error.what() + "\nRun with --help for more information.\n";
}

}  // namespace

int main(int argc, char** argv) {
  namespace cli = eventlake::cli;
  // Writes to a closed pipe (`eventlake tail ... | head`) fail with EPIPE instead of killing us.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    CLI::App app{"eventlake: a self-hosted, event-driven data lake in one binary", "eventlake"};
    app.set_version_flag("--version", std::string("eventlake ") + kVersion);
    std::string server;  // read back by cli::ServerUrlOf(), which also applies the defaults
    app.add_option("--server", server,
                   "URL of a running eventlake for client commands (default: $EVENTLAKE_SERVER, "
                   "else " +
                       std::string(cli::kDefaultServer) + ")");
    app.require_subcommand(1);
    app.fallthrough();  // inherited: global options may follow the subcommand
    app.failure_message(FailureMessage);

    cli::AddServeCommand(app);
    cli::AddConfigCommand(app);
    cli::AddStreamsCommand(app);
    cli::AddTablesCommand(app);
    cli::AddPipelineCommands(app);
    cli::AddQueryCommand(app);
    cli::AddSqlCommand(app);
    cli::AddMaintenanceCommands(app);
    cli::AddSendCommand(app);
    cli::AddTailCommand(app);
    cli::AddLogCommand(app);
    cli::AddKeysCommand(app);

    try {
      app.parse(argc, argv);
    } catch (const CLI::RuntimeError& e) {
      return e.get_exit_code();
    } catch (const CLI::ParseError& e) {
      return app.exit(e) == 0 ? cli::kExitOk : cli::kExitUsage;
    }
  } catch (const std::exception& e) {
    std::cerr << "eventlake: " << e.what() << std::endl;
    return cli::kExitFailed;
  }
  return cli::kExitOk;
}
