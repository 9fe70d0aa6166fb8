// `eventlake log check` (see log_command.h).
#include "cli/log_command.h"

#include <iostream>
#include <memory>

#include "cli/cli_support.h"
#include "core/file.h"

namespace eventlake::cli {
namespace {

// The embedded default's data directory (`eventlake serve` without a config).
constexpr const char* kDefaultDataDir = "./data";

void RunCheck(const std::string& data_dir) {
  std::string log_dir = data_dir + "/log";
  if (!PathExists(log_dir)) {
    ExitWith(ReportFailure("no event log at " + log_dir +
                           " (--data-dir must be the server's data directory)"));
  }
  auto report = log::CheckLog(log_dir);
  if (!report.has_value()) ExitWith(ReportFailure(report.error()));
  std::cout << RenderLogCheckReport(*report) << std::flush;
  if (!report->ok()) {
    ExitWith(ReportFailure("log check found " + std::to_string(report->problems.size()) +
                           " problem(s) in " + log_dir));
  }
}

}  // namespace

std::string RenderLogCheckReport(const log::LogCheckReport& report) {
  std::string out = "streams " + std::to_string(report.streams) + ", partitions " +
                    std::to_string(report.partitions) + ", segments " +
                    std::to_string(report.segments) + ", records " +
                    std::to_string(report.records) + ", bytes " + std::to_string(report.bytes) +
                    ", quarantined files " + std::to_string(report.quarantined_files) + "\n";
  for (const std::string& problem : report.problems) out += "problem: " + problem + "\n";
  for (const std::string& note : report.notes) out += "note: " + note + "\n";
  return out;
}

void AddLogCommand(CLI::App& app) {
  CLI::App* log = app.add_subcommand("log", "Offline tools for a data directory's event log");
  log->require_subcommand(1);
  auto data_dir = std::make_shared<std::string>(kDefaultDataDir);
  CLI::App* check =
      log->add_subcommand("check", "Verify every record of every segment (read-only)");
  check->add_option("--data-dir", *data_dir, "The server's data directory")->capture_default_str();
  check->callback([data_dir] { RunCheck(*data_dir); });
}

}  // namespace eventlake::cli
