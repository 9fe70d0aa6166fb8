// Test support for the self-running sources (mqtt, kafka): a sink double
// that records what it is given and answers what a test tells it to, now or
// later, and a helper that waits for a condition with a generous deadline
// instead of sleeping for a guessed time. For *_test.cpp files only.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ingest/event_sink.h"

namespace eventlake::ingest::testing {

// Polls `condition` every few milliseconds; false if it is still false
// after `timeout`.
inline bool WaitFor(const std::function<bool()>& condition,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// Answers each event with `answer(event, attempt)` (attempt counts the
// deliveries of the event's id, from 1); stored by default. With `hold`,
// the answers are kept and `done` is called only by Release().
class FakeSink final : public EventSink {
 public:
  using Answer = std::function<Result<log::RecordPosition>(const CloudEvent&, int attempt)>;

  void Deliver(std::vector<CloudEvent> events, std::function<void(DeliveryResults)> done) override {
    DeliveryResults results;
    {
      std::lock_guard lock(mu_);
      for (CloudEvent& event : events) {
        const int attempt = ++attempts_[event.id];
        Result<log::RecordPosition> r =
            answer_ ? answer_(event, attempt) : Result<log::RecordPosition>(log::RecordPosition{});
        if (r.has_value()) stored_.push_back(event);
        delivered_.push_back(std::move(event));
        results.push_back(std::move(r));
      }
      if (hold_) {
        held_.push_back([done = std::move(done), results = std::move(results)] { done(results); });
        return;
      }
    }
    done(std::move(results));
  }

  void SetAnswer(Answer answer) {
    std::lock_guard lock(mu_);
    answer_ = std::move(answer);
  }
  void Hold(bool hold) {
    std::lock_guard lock(mu_);
    hold_ = hold;
  }
  // Runs the `done` of every held delivery.
  void Release() {
    std::vector<std::function<void()>> held;
    {
      std::lock_guard lock(mu_);
      held.swap(held_);
    }
    for (auto& run : held) run();
  }

  // Events answered as stored, in delivery order.
  std::vector<CloudEvent> stored() {
    std::lock_guard lock(mu_);
    return stored_;
  }
  size_t stored_count() {
    std::lock_guard lock(mu_);
    return stored_.size();
  }
  // Every event delivered, stored or not.
  std::vector<CloudEvent> delivered() {
    std::lock_guard lock(mu_);
    return delivered_;
  }
  size_t delivered_count() {
    std::lock_guard lock(mu_);
    return delivered_.size();
  }
  size_t held_count() {
    std::lock_guard lock(mu_);
    return held_.size();
  }
  int attempts(const std::string& id) {
    std::lock_guard lock(mu_);
    auto it = attempts_.find(id);
    return it == attempts_.end() ? 0 : it->second;
  }

 private:
  std::mutex mu_;
  Answer answer_;
  bool hold_ = false;
  std::vector<std::function<void()>> held_;
  std::vector<CloudEvent> stored_;
  std::vector<CloudEvent> delivered_;
  std::map<std::string, int> attempts_;
};

}  // namespace eventlake::ingest::testing
