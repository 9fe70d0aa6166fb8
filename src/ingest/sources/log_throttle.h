// LogThrottle: at most one log line per period for something that can
// happen per message (a broker source dropping a bad message), so that a
// flood of bad input costs a counter increment, not a log line each. The
// line that does get out says how many were held back before it.
//
// Not thread-safe: one per source thread. Times are monotonic nanoseconds.
#pragma once

#include <cstdint>

namespace eventlake::ingest {

class LogThrottle {
 public:
  explicit LogThrottle(int64_t period_nanos) : period_nanos_(period_nanos) {}

  // True when a line may be logged at `now`; then *held_back is how many
  // calls were refused since the last line. False counts this one as held
  // back.
  bool Allow(int64_t now, uint64_t* held_back) {
    if (last_nanos_ != 0 && now - last_nanos_ < period_nanos_) {
      ++held_back_;
      return false;
    }
    *held_back = held_back_;
    held_back_ = 0;
    last_nanos_ = now;
    return true;
  }

 private:
  const int64_t period_nanos_;
  int64_t last_nanos_ = 0;
  uint64_t held_back_ = 0;
};

}  // namespace eventlake::ingest
