// Pieces shared by the files of MqttSource (mqtt_source*.cpp): the mailbox
// through which `done` callbacks reach the source's thread, and time helpers.
// Not for use elsewhere.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

#include "ingest/sources/mqtt_source.h"

namespace eventlake::ingest {

struct MqttSource::Mailbox {
  struct Completion {
    std::vector<uint64_t> seqs;  // the entries delivered, in order
    DeliveryResults results;
  };

  Mailbox() : wake_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~Mailbox() {
    if (wake_fd >= 0) ::close(wake_fd);
  }
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  // Makes wake_fd readable until ClearWake(); callable from any thread.
  void Wake() {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd, &one, sizeof(one));
  }
  void ClearWake() {
    uint64_t count = 0;
    [[maybe_unused]] ssize_t n = ::read(wake_fd, &count, sizeof(count));
  }

  std::mutex mu;
  std::vector<Completion> completions;  // guarded by mu
  bool stopping = false;                // guarded by mu
  const int wake_fd;                    // an eventfd; -1 if it could not be made
};

namespace mqtt_internal {

inline constexpr std::string_view kComponent = "mqtt";

inline int64_t Nanos(std::chrono::milliseconds d) { return int64_t{d.count()} * 1'000'000; }

// Timers run on the steady clock, not the context's Clock: a ManualClock
// given for event times must not stop retries and keep-alives.
inline int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace mqtt_internal
}  // namespace eventlake::ingest
