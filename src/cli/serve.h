// `eventlake serve [--config FILE] [--data-dir DIR] [--listen HOST:PORT]
// [--pg-listen HOST:PORT]`: runs the server in the foreground until SIGINT or
// SIGTERM. The configuration comes from --config, else $EVENTLAKE_CONFIG,
// else the embedded default (stream and source `events`); flags override it.
// Exit code 1 with "eventlake: <reason>" when it cannot start.
#pragma once

#include <CLI/CLI.hpp>

namespace eventlake::cli {

void AddServeCommand(CLI::App& app);

}  // namespace eventlake::cli
