// Time-ordered unique ids: UUID version 7 (RFC 9562, section 5.7) in the
// canonical 36-character lower-case text form, e.g.
//   "01936b2e-4c5a-7000-8a3f-1b2c3d4e5f60".
//
// Layout: 48-bit Unix time in milliseconds, version 7, a 12-bit counter in
// rand_a (RFC 9562 6.2 method 1: it restarts at 0 each new millisecond), the
// variant bits 10, then 62 random bits in rand_b. Ids from one generator sort
// (as bytes and as text) in the order they were made, even when the clock
// stands still or goes backwards: the generator never lets its timestamp
// decrease, and when the counter of a millisecond is used up it moves its
// timestamp one millisecond ahead of the clock.
#pragma once

#include <cstdint>
#include <mutex>
#include <random>
#include <string>

#include "core/clock.h"

namespace eventlake {

class IdGenerator {
 public:
  // `clock` must outlive the generator. Randomness comes from a
  // std::mt19937_64 seeded from std::random_device.
  explicit IdGenerator(Clock& clock);
  IdGenerator(const IdGenerator&) = delete;
  IdGenerator& operator=(const IdGenerator&) = delete;

  // The next id, strictly greater than every id this generator made before.
  // Thread-safe.
  std::string Next();

 private:
  Clock& clock_;
  std::mutex mu_;
  std::mt19937_64 rng_;       // guarded by mu_
  int64_t last_millis_ = -1;  // guarded by mu_; timestamp of the last id
  uint32_t counter_ = 0;      // guarded by mu_; rand_a of the last id
};

// A new event id from the process-wide generator over SystemClock().
// Thread-safe.
std::string NewEventId();

}  // namespace eventlake
