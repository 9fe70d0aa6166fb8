// Clocks: wall time for event and append timestamps, monotonic time for
// timeouts and ages. Components take a `Clock&` so that tests can drive time
// with ManualClock instead of sleeping.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/cloud_event.h"

namespace eventlake {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, microseconds since the Unix epoch (UTC).
  virtual TimestampMicros NowMicros() const = 0;
  // Monotonic nanoseconds since an arbitrary start; never goes backwards.
  virtual int64_t MonotonicNanos() const = 0;
};

// The process-wide real clock. Thread-safe; lives forever.
Clock& SystemClock();

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimestampMicros start_micros = 1'700'000'000'000'000)
      : now_micros_(start_micros) {}
  TimestampMicros NowMicros() const override { return now_micros_.load(); }
  int64_t MonotonicNanos() const override { return monotonic_nanos_.load(); }
  // Moves both clocks forward.
  void AdvanceMicros(int64_t micros) {
    now_micros_ += micros;
    monotonic_nanos_ += micros * 1000;
  }
  void SetNowMicros(TimestampMicros micros) { now_micros_ = micros; }

 private:
  std::atomic<TimestampMicros> now_micros_;
  std::atomic<int64_t> monotonic_nanos_{0};
};

}  // namespace eventlake
