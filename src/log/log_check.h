// `eventlake log check`: an offline verification of every record of every
// segment of a data directory's log, without modifying anything.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace eventlake::log {

struct LogCheckReport {
  uint64_t streams = 0;
  uint64_t partitions = 0;
  uint64_t segments = 0;
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t quarantined_files = 0;  // found in quarantine/ folders (reported, not errors)
  // One line per problem: "<path>: <what>" (corrupt record, torn tail, bad
  // header, offset gap, index mismatch, unreadable offsets file).
  std::vector<std::string> problems;
  // Findings that are not corruption: a torn tail or the writer's zero-filled
  // space at the end of a partition (recovery cuts either on the next
  // start), an offset gap left by a quarantined segment.
  std::vector<std::string> notes;
  bool ok() const { return problems.empty(); }
};

// Verifies the log under `log_dir` (data/log). Fails only when the directory
// cannot be read at all; everything wrong inside it is a problem in the report.
Result<LogCheckReport> CheckLog(const std::string& log_dir);

}  // namespace eventlake::log
