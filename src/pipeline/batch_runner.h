// How a pipeline step's failures are handled (issue 6, "Failures"): one
// step run over one batch, with retries, isolation of the records that
// keep failing, and the dead letters that say why.
//
//   1. The whole batch is tried up to `max_attempts` times, waiting an
//      exponential backoff with jitter between tries (a failing external
//      function, a lock: failures that pass).
//   2. A batch that still fails is bisected: each half is run on its own
//      (once: the failure is no longer transient), and a failing half is
//      bisected again, so the records that do not fail move on and the
//      ones that do are found in O(log n) runs per poison record.
//   3. A record that fails alone is tried up to `max_attempts` times with
//      backoff; then it is a dead letter: the record, the step, the last
//      error and its attempts (max_attempts).
//
// A step may name the records that failed (a partial batch response, as
// Lambda's batchItemFailures): then the others succeed as they are and
// only the named ones are retried alone. Records older than
// `max_record_age` (since they were appended) are dead letters without
// further tries. A record that succeeds is in the outcome once: what the
// step made of the pieces that succeeded, in the batch's order.
//
// Threads: Run is called from one thread at a time per runner; the step
// runs on it; `sleep` waits (a test passes its own).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/cloud_event.h"
#include "core/status.h"

namespace eventlake::pipeline {

struct RetryPolicy {
  int max_attempts = 3;                              // >= 1: tries of a batch, and of a record alone
  std::chrono::milliseconds base_backoff{100};       // before the second try; doubles each time
  std::chrono::milliseconds max_backoff{10'000};
  double jitter = 0.2;                               // each wait is the backoff * [1 - j, 1 + j]
  std::chrono::microseconds max_record_age = std::chrono::hours(24 * 7);
};

struct BatchRecord {
  CloudEvent event;
  TimestampMicros appended_micros = 0;  // when the stream took it (for max_record_age)
  uint64_t offset = 0;                  // in its partition (for dead letters)
  uint32_t partition = 0;               // of the stream the record came from
  bool redriven = false;                // a dead letter run again (Pipeline::Redrive)
};

// A record a step failed on its own (a partial batch response): its
// position in the batch given to the step, and why (OK: not said);
// `retry` false when trying it again cannot help (a late event): it is a
// dead letter at once.
struct FailedItem {
  size_t index = 0;
  Status error;
  bool retry = true;
};

struct DeadLetter {
  BatchRecord record;
  std::string step;
  Status error;
  int attempts = 0;
};

// What a step made of a batch: `status` not OK fails the whole batch;
// otherwise `out` is what the records not in `failed` became.
struct StepResult {
  Status status;
  std::vector<CloudEvent> out;
  std::vector<FailedItem> failed;
  // Which record of the batch each event of `out` came from, when the step
  // says so (as many as `out`; Emit keeps them in step): the event goes on
  // as that record (its partition, offset, append time), so that a step
  // after it (dedup, window) tells records apart even when a batch is cut
  // differently when it runs again. Otherwise each event stands for the
  // batch as a whole (its first record's offset, its oldest append time).
  std::vector<uint32_t> sources;
  // Records of earlier batches the step gives up on (the events of a
  // window whose statement failed): dead letters as they are.
  std::vector<DeadLetter> dead_letters;

  // Whether out[i] is a placeholder for the source record's event as it is
  // (Keep): set only by Keep, and as long as `out` once it is.
  std::vector<bool> kept;

  void Emit(size_t source, CloudEvent event) {
    out.push_back(std::move(event));
    sources.push_back(static_cast<uint32_t>(source));
    if (!kept.empty()) kept.push_back(false);
  }
  // The record at `source` goes on unchanged: a step that passes records
  // through (validate, filter, dedup) says so instead of copying each
  // event, and the runner moves the record's own event on.
  void Keep(size_t source) {
    if (kept.empty()) kept.assign(out.size(), false);
    out.emplace_back();
    sources.push_back(static_cast<uint32_t>(source));
    kept.push_back(true);
  }
  // out[i] as it goes on: the kept record's event, or what the step made.
  const CloudEvent& Event(size_t i, std::span<const BatchRecord> batch) const {
    return i < kept.size() && kept[i] ? batch[sources[i]].event : out[i];
  }
};

using StepFunction = std::function<StepResult(std::span<const BatchRecord> batch)>;

struct BatchOutcome {
  std::vector<BatchRecord> out;       // what the records that succeeded became (StepResult::sources)
  std::vector<DeadLetter> dead_letters;
  uint64_t step_runs = 0;             // how often the step ran (tries and bisection)
};

class BatchRunner {
 public:
  // InvalidArgument when the policy is not valid (max_attempts < 1, ...).
  static Status Validate(const RetryPolicy& policy);

  BatchRunner(RetryPolicy policy, Clock* clock = &SystemClock(),
              std::function<void(std::chrono::microseconds)> sleep = {}, uint64_t seed = 0);

  BatchOutcome Run(std::string_view step, std::vector<BatchRecord> batch, const StepFunction& function);

  // The wait before try `attempt` (2, 3, ...) of one batch or record.
  std::chrono::microseconds BackoffBefore(int attempt);

 private:
  // Runs `batch` once; true when it succeeded (its output and its
  // partial failures handled), false when the step failed as a whole.
  // The events a step kept are moved out of `batch` (never one it named
  // as failed, which is tried again).
  bool RunOnce(std::span<BatchRecord> batch, const StepFunction& function, BatchOutcome& outcome,
               std::vector<FailedItem>* partial, Status* error);
  void Isolate(std::string_view step, std::span<BatchRecord> batch, const StepFunction& function,
               BatchOutcome& outcome);
  void RetryAlone(std::string_view step, BatchRecord& record, const StepFunction& function,
                  BatchOutcome& outcome, int tried, Status last_error);
  // A record the step named as failed after `tried` tries: tried alone,
  // or a dead letter at once when it said a retry cannot help.
  void Failed(std::string_view step, BatchRecord& record, FailedItem& item, const StepFunction& function,
              BatchOutcome& outcome, int tried);

  RetryPolicy policy_;
  Clock* clock_;
  std::function<void(std::chrono::microseconds)> sleep_;
  uint64_t random_;  // xorshift state for the jitter
};

}  // namespace eventlake::pipeline
