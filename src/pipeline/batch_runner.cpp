// BatchRunner: tries, bisection and dead letters (see batch_runner.h).
#include "pipeline/batch_runner.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace eventlake::pipeline {
namespace {

Status ReportedError(FailedItem& item) {
  return item.error.ok() ? FailedPrecondition("the step reported the record as failed") : std::move(item.error);
}

}  // namespace

Status BatchRunner::Validate(const RetryPolicy& policy) {
  if (policy.max_attempts < 1 || policy.max_attempts > 100) return InvalidArgument("max_attempts: 1 to 100");
  if (policy.base_backoff.count() < 0 || policy.max_backoff < policy.base_backoff) {
    return InvalidArgument("backoff: 0 <= base_backoff <= max_backoff");
  }
  if (!(policy.jitter >= 0 && policy.jitter <= 1)) return InvalidArgument("jitter: 0 to 1");
  if (policy.max_record_age.count() <= 0) return InvalidArgument("max_record_age: more than 0");
  return Status::Ok();
}

BatchRunner::BatchRunner(RetryPolicy policy, Clock* clock, std::function<void(std::chrono::microseconds)> sleep,
                         uint64_t seed)
    : policy_(policy),
      clock_(clock),
      sleep_(sleep ? std::move(sleep) : [](std::chrono::microseconds d) { std::this_thread::sleep_for(d); }),
      random_(seed != 0 ? seed : static_cast<uint64_t>(clock->MonotonicNanos()) | 1) {}

std::chrono::microseconds BatchRunner::BackoffBefore(int attempt) {
  const double base = static_cast<double>(std::chrono::microseconds(policy_.base_backoff).count());
  const double cap = static_cast<double>(std::chrono::microseconds(policy_.max_backoff).count());
  const double backoff = std::min(cap, base * std::pow(2.0, std::max(0, attempt - 2)));
  random_ ^= random_ << 13;
  random_ ^= random_ >> 7;
  random_ ^= random_ << 17;
  const double unit = static_cast<double>(random_ >> 11) / static_cast<double>(1ull << 53);  // [0, 1)
  return std::chrono::microseconds(static_cast<int64_t>(backoff * (1 + policy_.jitter * (2 * unit - 1))));
}

bool BatchRunner::RunOnce(std::span<BatchRecord> batch, const StepFunction& function, BatchOutcome& outcome,
                          std::vector<FailedItem>* partial, Status* error) {
  ++outcome.step_runs;
  StepResult result = function(std::span<const BatchRecord>(batch));
  partial->clear();
  if (!result.status.ok()) {
    *error = std::move(result.status);
    return false;
  }
  const auto by_index = [](const FailedItem& a, const FailedItem& b) { return a.index < b.index; };
  std::stable_sort(result.failed.begin(), result.failed.end(), by_index);
  result.failed.erase(std::unique(result.failed.begin(), result.failed.end(),
                                  [](const FailedItem& a, const FailedItem& b) { return a.index == b.index; }),
                      result.failed.end());
  if (!result.failed.empty() && result.failed.back().index >= batch.size()) {
    *error = Internal("the step named a failed record that is not in its batch");
    return false;
  }
  const bool traced = result.sources.size() == result.out.size();
  if (traced) {
    for (uint32_t source : result.sources) {
      if (source >= batch.size()) {
        *error = Internal("the step named a source record that is not in its batch");
        return false;
      }
    }
  }
  if (!traced && !result.kept.empty()) {
    *error = Internal("the step kept records without saying which");
    return false;
  }
  // A kept record's event is moved on at its last use and copied before;
  // never moved when the step also named it as failed (it runs again).
  std::vector<uint32_t> uses(result.kept.empty() ? 0 : batch.size());
  for (size_t i = 0; i < result.kept.size(); ++i) {
    if (result.kept[i]) ++uses[result.sources[i]];
  }
  for (const FailedItem& f : result.failed) {
    if (!uses.empty()) ++uses[f.index];
  }
  outcome.out.reserve(outcome.out.size() + result.out.size());
  for (size_t i = 0; i < result.out.size(); ++i) {
    BatchRecord& from = traced ? batch[result.sources[i]] : batch.front();
    CloudEvent event;
    if (i < result.kept.size() && result.kept[i]) {
      event = --uses[result.sources[i]] == 0 ? std::move(from.event) : from.event;
    } else {
      event = std::move(result.out[i]);
    }
    outcome.out.push_back({.event = std::move(event),
                           .appended_micros = from.appended_micros,
                           .offset = from.offset,
                           .partition = from.partition,
                           .redriven = from.redriven});
  }
  for (DeadLetter& l : result.dead_letters) outcome.dead_letters.push_back(std::move(l));
  *partial = std::move(result.failed);
  return true;
}

BatchOutcome BatchRunner::Run(std::string_view step, std::vector<BatchRecord> batch, const StepFunction& function) {
  BatchOutcome outcome;
  const TimestampMicros now = clock_->NowMicros();
  std::vector<BatchRecord> fresh;
  fresh.reserve(batch.size());
  for (BatchRecord& r : batch) {
    if (now - r.appended_micros > policy_.max_record_age.count()) {
      outcome.dead_letters.push_back(
          {std::move(r), std::string(step), DeadlineExceeded("the record is older than max_record_age"), 0});
    } else {
      fresh.push_back(std::move(r));
    }
  }
  if (fresh.empty()) return outcome;
  std::vector<FailedItem> partial;
  Status error;
  for (int attempt = 1; attempt <= policy_.max_attempts; ++attempt) {
    if (attempt > 1) sleep_(BackoffBefore(attempt));
    if (RunOnce(fresh, function, outcome, &partial, &error)) {
      for (FailedItem& f : partial) Failed(step, fresh[f.index], f, function, outcome, attempt);
      return outcome;
    }
  }
  if (fresh.size() == 1) {
    outcome.dead_letters.push_back({std::move(fresh[0]), std::string(step), error, policy_.max_attempts});
  } else {
    Isolate(step, fresh, function, outcome);
  }
  return outcome;
}

void BatchRunner::Isolate(std::string_view step, std::span<BatchRecord> batch, const StepFunction& function,
                          BatchOutcome& outcome) {
  const size_t half = batch.size() / 2;
  for (std::span<BatchRecord> piece : {batch.first(half), batch.subspan(half)}) {
    if (piece.size() == 1) {
      RetryAlone(step, piece[0], function, outcome, 0, Status::Ok());
      continue;
    }
    std::vector<FailedItem> partial;
    Status error;
    if (!RunOnce(piece, function, outcome, &partial, &error)) {
      Isolate(step, piece, function, outcome);
      continue;
    }
    for (FailedItem& f : partial) Failed(step, piece[f.index], f, function, outcome, 1);
  }
}

void BatchRunner::Failed(std::string_view step, BatchRecord& record, FailedItem& item,
                         const StepFunction& function, BatchOutcome& outcome, int tried) {
  if (!item.retry) {
    outcome.dead_letters.push_back({record, std::string(step), ReportedError(item), tried});
    return;
  }
  RetryAlone(step, record, function, outcome, 1, ReportedError(item));
}

void BatchRunner::RetryAlone(std::string_view step, BatchRecord& record, const StepFunction& function,
                             BatchOutcome& outcome, int tried, Status last_error) {
  std::vector<FailedItem> partial;
  for (int attempt = tried + 1; attempt <= policy_.max_attempts; ++attempt) {
    if (attempt > 1) sleep_(BackoffBefore(attempt));
    Status error;
    if (RunOnce(std::span<BatchRecord>(&record, 1), function, outcome, &partial, &error)) {
      if (partial.empty()) return;
      if (!partial[0].retry) {
        outcome.dead_letters.push_back({record, std::string(step), ReportedError(partial[0]), attempt});
        return;
      }
      error = ReportedError(partial[0]);
    }
    last_error = std::move(error);
  }
  outcome.dead_letters.push_back({record, std::string(step), std::move(last_error), policy_.max_attempts});
}

}  // namespace eventlake::pipeline
