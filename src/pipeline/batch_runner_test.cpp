// BatchRunner: a poison record is isolated and dead-lettered after exactly
// max_attempts tries of its own while the rest succeed once; transient
// failures pass with backoff; partial batch responses; old records.
#include "pipeline/batch_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

namespace eventlake::pipeline {
namespace {

using testing::HasSubstr;

std::vector<BatchRecord> Batch(int n, TimestampMicros appended = 1'000'000) {
  std::vector<BatchRecord> batch;
  for (int i = 0; i < n; ++i) {
    BatchRecord r;
    r.event.id = "e" + std::to_string(i);
    r.appended_micros = appended;
    batch.push_back(std::move(r));
  }
  return batch;
}

// A step that fails any batch holding one of `poison`, and turns every
// other record into an event "out-<id>". It counts each record's runs.
struct PoisonStep {
  std::set<std::string> poison;
  std::map<std::string, int> runs;      // every run that held the record
  std::map<std::string, int> alone;     // runs of the record by itself
  int transient_failures = 0;           // the first runs fail whatever they hold

  StepResult operator()(std::span<const BatchRecord> batch) {
    for (const BatchRecord& r : batch) ++runs[r.event.id];
    if (batch.size() == 1) ++alone[batch[0].event.id];
    if (transient_failures > 0) {
      --transient_failures;
      return {Unavailable("the function is not up yet"), {}, {}};
    }
    StepResult result;
    for (const BatchRecord& r : batch) {
      if (poison.contains(r.event.id)) return {InvalidArgument("cannot parse " + r.event.id), {}, {}};
      CloudEvent out;
      out.id = "out-" + r.event.id;
      result.out.push_back(std::move(out));
    }
    return result;
  }
};

class BatchRunnerTest : public testing::Test {
 protected:
  BatchRunner Runner(RetryPolicy policy = {}) {
    clock_.SetNowMicros(2'000'000);
    return BatchRunner(policy, &clock_, [this](std::chrono::microseconds d) { waits_.push_back(d); }, 42);
  }
  ManualClock clock_;
  std::vector<std::chrono::microseconds> waits_;
};

TEST_F(BatchRunnerTest, APoisonRecordIsDeadLetteredAfterMaxAttemptsAndTheOthersPassOnce) {
  PoisonStep step{.poison = {"e37"}};
  BatchRunner runner = Runner({.max_attempts = 3});
  BatchOutcome outcome = runner.Run("parse", Batch(100), std::ref(step));
  ASSERT_EQ(outcome.dead_letters.size(), 1u);
  const DeadLetter& letter = outcome.dead_letters[0];
  EXPECT_EQ(letter.record.event.id, "e37");
  EXPECT_EQ(letter.step, "parse");
  EXPECT_EQ(letter.attempts, 3);
  EXPECT_EQ(step.alone["e37"], 3);  // exactly max_attempts tries of its own
  EXPECT_THAT(letter.error.message(), HasSubstr("cannot parse e37"));
  // The 99 others come out once each, in the batch's order.
  ASSERT_EQ(outcome.out.size(), 99u);
  std::set<std::string> seen;
  std::string previous;
  for (const BatchRecord& r : outcome.out) {
    const CloudEvent& e = r.event;
    EXPECT_TRUE(seen.insert(e.id).second) << e.id;
    EXPECT_LT(std::stoi(previous.empty() ? "-1" : previous.substr(5)), std::stoi(e.id.substr(5)));
    previous = e.id;
  }
  EXPECT_FALSE(seen.contains("out-e37"));
  // Isolation costs O(log n) runs, not a run per record.
  EXPECT_LT(outcome.step_runs, 3u + 2 * 8 + 3);
}

TEST_F(BatchRunnerTest, TransientFailuresPassAfterBackoffWithJitter) {
  PoisonStep step{.transient_failures = 2};
  BatchRunner runner = Runner({.max_attempts = 3, .base_backoff = std::chrono::milliseconds(100), .jitter = 0.2});
  BatchOutcome outcome = runner.Run("call", Batch(10), std::ref(step));
  EXPECT_TRUE(outcome.dead_letters.empty());
  EXPECT_EQ(outcome.out.size(), 10u);
  EXPECT_EQ(outcome.step_runs, 3u);
  ASSERT_EQ(waits_.size(), 2u);
  // 100 ms, then 200 ms, each within 20% jitter.
  EXPECT_GE(waits_[0].count(), 80'000);
  EXPECT_LE(waits_[0].count(), 120'000);
  EXPECT_GE(waits_[1].count(), 160'000);
  EXPECT_LE(waits_[1].count(), 240'000);
  for (int a = 2; a < 40; ++a) EXPECT_LE(runner.BackoffBefore(a), std::chrono::milliseconds(12'000));
}

TEST_F(BatchRunnerTest, APartialBatchResponseRetriesOnlyTheNamedRecords) {
  int runs = 0;
  StepFunction step = [&](std::span<const BatchRecord> batch) {
    ++runs;
    StepResult result;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].event.id == "e2" || batch[i].event.id == "e4") {
        // e2 succeeds when retried alone; e4 never does.
        if (batch.size() == 1 && batch[i].event.id == "e2") {
          result.out.push_back(CloudEvent{.id = "out-e2"});
          continue;
        }
        result.failed.push_back({i, InvalidArgument("e4 is refused")});
        continue;
      }
      result.out.push_back(CloudEvent{.id = "out-" + batch[i].event.id});
    }
    return result;
  };
  BatchRunner runner = Runner({.max_attempts = 2});
  BatchOutcome outcome = runner.Run("fn", Batch(6), step);
  ASSERT_EQ(outcome.dead_letters.size(), 1u);
  EXPECT_EQ(outcome.dead_letters[0].record.event.id, "e4");
  EXPECT_EQ(outcome.dead_letters[0].attempts, 2);
  EXPECT_EQ(outcome.dead_letters[0].error.message(), "e4 is refused");  // the step's own reason
  EXPECT_EQ(outcome.out.size(), 5u);
  EXPECT_EQ(runs, 1 + 1 + 1);  // the batch, e2 alone once, e4 alone once more
}

TEST_F(BatchRunnerTest, RecordsOlderThanMaxRecordAgeAreDeadLetteredUntried) {
  PoisonStep step;
  BatchRunner runner = Runner({.max_record_age = std::chrono::seconds(1)});
  std::vector<BatchRecord> batch = Batch(3);
  batch[1].appended_micros = -5'000'000;  // 7 s before the clock's now
  BatchOutcome outcome = runner.Run("s", std::move(batch), std::ref(step));
  ASSERT_EQ(outcome.dead_letters.size(), 1u);
  EXPECT_EQ(outcome.dead_letters[0].record.event.id, "e1");
  EXPECT_EQ(outcome.dead_letters[0].attempts, 0);
  EXPECT_EQ(outcome.dead_letters[0].error.code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(step.runs.count("e1"), 0u);
  EXPECT_EQ(outcome.out.size(), 2u);
}

TEST_F(BatchRunnerTest, EveryRecordPoisonedStillEndsWithEachDeadLetteredOnce) {
  PoisonStep step{.poison = {"e0", "e1", "e2", "e3", "e4"}};
  BatchRunner runner = Runner({.max_attempts = 2});
  BatchOutcome outcome = runner.Run("s", Batch(5), std::ref(step));
  EXPECT_EQ(outcome.dead_letters.size(), 5u);
  EXPECT_TRUE(outcome.out.empty());
  for (const auto& [id, n] : step.alone) EXPECT_EQ(n, 2) << id;
}

TEST(BatchRunnerPolicy, RefusesPoliciesThatCannotWork) {
  EXPECT_FALSE(BatchRunner::Validate({.max_attempts = 0}).ok());
  EXPECT_FALSE(BatchRunner::Validate({.base_backoff = std::chrono::milliseconds(5),
                                      .max_backoff = std::chrono::milliseconds(1)})
                   .ok());
  EXPECT_FALSE(BatchRunner::Validate({.jitter = 1.5}).ok());
  EXPECT_TRUE(BatchRunner::Validate({}).ok());
}

TEST_F(BatchRunnerTest, EventsGoOnAsTheRecordsTheStepSaysTheyCameFromOrAsTheBatchsFirst) {
  BatchRunner runner = Runner({.max_attempts = 1});
  std::vector<BatchRecord> batch = Batch(3);
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i].offset = 10 + i;
    batch[i].partition = 2;
    batch[i].appended_micros = 1'000'000 + static_cast<int64_t>(i);
  }
  BatchOutcome traced = runner.Run("t", batch, [](std::span<const BatchRecord> b) {
    StepResult r;
    r.Emit(2, b[2].event);
    r.Emit(0, b[0].event);
    return r;
  });
  ASSERT_EQ(traced.out.size(), 2u);
  EXPECT_EQ(traced.out[0].offset, 12u);
  EXPECT_EQ(traced.out[0].appended_micros, 1'000'002);
  EXPECT_EQ(traced.out[1].offset, 10u);
  EXPECT_EQ(traced.out[1].partition, 2u);
  BatchOutcome untraced = runner.Run("t", batch, [](std::span<const BatchRecord> b) {
    StepResult r;
    r.out = {b[1].event, b[2].event};
    return r;
  });
  ASSERT_EQ(untraced.out.size(), 2u);
  EXPECT_EQ(untraced.out[1].offset, 10u);  // the batch's first
  // A source outside the batch fails it.
  BatchOutcome wrong = runner.Run("t", {batch[0]}, [](std::span<const BatchRecord> b) {
    StepResult r;
    r.Emit(5, b[0].event);
    return r;
  });
  EXPECT_TRUE(wrong.out.empty());
  ASSERT_EQ(wrong.dead_letters.size(), 1u);
}

TEST_F(BatchRunnerTest, KeptRecordsGoOnAsTheyCameBesideEventsTheStepMade) {
  BatchRunner runner = Runner({.max_attempts = 2});
  std::vector<BatchRecord> batch = Batch(4);
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i].event.data = R"({"n":)" + std::to_string(i) + "}";
    batch[i].offset = 20 + i;
  }
  const std::vector<BatchRecord> sent = batch;
  // e0 kept twice, e1 replaced, e2 kept but also named as failed (so
  // tried alone), e3 kept.
  int runs = 0;
  BatchOutcome outcome = runner.Run("t", batch, [&runs](std::span<const BatchRecord> b) {
    StepResult r;
    if (++runs > 1) {  // e2 alone: it passes now
      r.Keep(0);
      return r;
    }
    EXPECT_EQ(b.size(), 4u);
    r.Keep(0);
    r.Keep(0);
    r.Emit(1, CloudEvent{.id = "made"});
    r.Keep(2);
    r.failed.push_back({2, Unavailable("busy")});
    r.Keep(3);
    return r;
  });
  EXPECT_TRUE(outcome.dead_letters.empty());
  std::vector<std::string> ids;
  for (const BatchRecord& r : outcome.out) ids.push_back(r.event.id + "@" + std::to_string(r.offset));
  // What the step said of e2 goes on as it said it (as an Emit would),
  // then e2 alone, whole: the first run's Keep did not empty it.
  EXPECT_EQ(ids, (std::vector<std::string>{"e0@20", "e0@20", "made@21", "e2@22", "e3@23", "e2@22"}));
  for (size_t i : {0, 1}) EXPECT_EQ(outcome.out[i].event, sent[0].event);
  EXPECT_EQ(outcome.out[3].event, sent[2].event);
  EXPECT_EQ(outcome.out[4].event, sent[3].event);
  EXPECT_EQ(outcome.out[5].event, sent[2].event);
  // Keep without a source of every event fails the batch, not a guess.
  BatchOutcome untraced = runner.Run("t", Batch(1), [](std::span<const BatchRecord>) {
    StepResult r;
    r.Keep(0);
    r.sources.clear();
    return r;
  });
  EXPECT_TRUE(untraced.out.empty());
  ASSERT_EQ(untraced.dead_letters.size(), 1u);
  EXPECT_THAT(untraced.dead_letters[0].error.message(), HasSubstr("kept records without saying which"));
}

TEST_F(BatchRunnerTest, ARecordTheStepSaysARetryCannotHelpIsADeadLetterAtOnce) {
  BatchRunner runner = Runner({.max_attempts = 3});
  int runs = 0;
  BatchOutcome outcome = runner.Run("t", Batch(4), [&runs](std::span<const BatchRecord> b) {
    ++runs;
    StepResult r;
    for (size_t i = 0; i < b.size(); ++i) {
      if (b[i].event.id == "e1") {
        r.failed.push_back({i, InvalidArgument("late"), false});
      } else {
        r.Emit(i, b[i].event);
      }
    }
    return r;
  });
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(outcome.out.size(), 3u);
  ASSERT_EQ(outcome.dead_letters.size(), 1u);
  EXPECT_EQ(outcome.dead_letters[0].record.event.id, "e1");
  EXPECT_EQ(outcome.dead_letters[0].attempts, 1);
}

}  // namespace
}  // namespace eventlake::pipeline
