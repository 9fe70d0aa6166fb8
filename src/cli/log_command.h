// `eventlake log check [--data-dir DIR]`: the offline verification of a data
// directory's event log (log::CheckLog over DIR/log). It reads files only and
// needs no server; run it while the server is stopped for a stable answer.
//
// Prints one summary line, "streams N, partitions N, segments N, records N,
// bytes N, quarantined files N", then one line per problem
// ("problem: <path>: <what>") and per note, a finding that is not corruption
// such as a torn tail that recovery will cut ("note: <path>: <what>"). Exit
// code 0 when there is no problem, 1 when there is any or the directory could
// not be read.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "log/log_check.h"

namespace eventlake::cli {

void AddLogCommand(CLI::App& app);

// The report as printed (exposed for tests).
std::string RenderLogCheckReport(const log::LogCheckReport& report);

}  // namespace eventlake::cli
