// `eventlake config reference`: prints the Markdown reference of every
// configuration key (the generated part of docs/configuration.md).
// `eventlake config check FILE`: parses FILE as eventlake.yaml; exit 0 and
// "FILE: ok", or exit 1 with the first error (naming the key's path).
#pragma once

#include <CLI/CLI.hpp>

namespace eventlake::cli {

void AddConfigCommand(CLI::App& app);

}  // namespace eventlake::cli
