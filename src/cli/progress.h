// Progress of `eventlake send` on a terminal, and its closing summary.
//
// ProgressLine redraws one status line in place ('\r', at most 10 times a
// second) while stderr is a terminal; the summary line is printed whatever
// the output is. The text functions are pure, for tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

#include "core/clock.h"

namespace eventlake::cli {

struct SendStats {
  uint64_t events_sent = 0;  // events of batches the server answered
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  uint64_t bytes_sent = 0;  // request bodies, retries included
  uint64_t retries = 0;
};

// "12.3s", "0.42s", "2m05s".
std::string FormatElapsed(std::chrono::nanoseconds elapsed);

// "sent 12000 events (4100 events/s), 3.2 MiB, 2 retries".
std::string FormatProgress(const SendStats& stats, std::chrono::nanoseconds elapsed);

// "2500 events accepted, 0 rejected, 1 retry in 0.42s".
std::string FormatSummary(const SendStats& stats, std::chrono::nanoseconds elapsed);

// Writes to `out`, which must outlive it. Single-threaded.
class ProgressLine {
 public:
  // Draws nothing when `enabled` is false. `clock` (monotonic time) must
  // outlive it.
  ProgressLine(std::ostream& out, bool enabled, const Clock& clock);

  // Redraws the line when at least 100 ms passed since the last drawing.
  void Update(const SendStats& stats);
  // Erases the line, so that other messages start on a clean line; a later
  // Update draws it again.
  void Clear();
  // Time since construction.
  std::chrono::nanoseconds Elapsed() const;

 private:
  std::ostream& out_;
  bool enabled_;
  const Clock& clock_;
  int64_t start_nanos_;
  int64_t last_draw_nanos_ = 0;
  bool drawn_once_ = false;
  size_t width_ = 0;  // characters of the line on screen now
};

}  // namespace eventlake::cli
