// When `eventlake send` retries a batch the server could not take yet
// (429 over quota or queues full, 503 unavailable, 504 too slow): an
// exponential backoff with jitter that never retries sooner than the
// server's Retry-After.
//
// Pure functions: the random draw is an argument, so the schedule is
// deterministic in tests and nothing here sleeps.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace eventlake::cli {

struct BackoffOptions {
  std::chrono::milliseconds initial{250};  // before the first retry, before jitter
  std::chrono::milliseconds max{30000};    // the exponential part stops growing here
  // A Retry-After longer than this is taken as this (a guard against nonsense).
  std::chrono::milliseconds max_retry_after{std::chrono::minutes(5)};
};

// True for the HTTP statuses that are worth retrying with the same body.
bool IsRetryableHttpStatus(int status);

// The wait before retry number `retry` (0 for the first), given a random
// draw `random` in [0, 1):
//   backoff = min(max, initial * 2^retry) * (0.5 + 0.5 * random)   ("equal jitter")
//   with Retry-After R: max(backoff, R * (1 + 0.25 * random))
// so waits double until `max`, clients spread out, and none comes back
// before the server asked.
std::chrono::milliseconds RetryDelay(int retry,
                                     std::optional<std::chrono::milliseconds> retry_after,
                                     double random, const BackoffOptions& options = {});

// A Retry-After header value (RFC 9110 10.2.3): delay-seconds ("120") or an
// IMF-fixdate ("Wed, 21 Oct 2026 07:28:00 GMT", measured from `now`; a past
// date is zero). nullopt when empty or malformed.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now);

}  // namespace eventlake::cli
