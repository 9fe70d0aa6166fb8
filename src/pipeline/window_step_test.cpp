// WindowStep: windows closed once by the watermark, late events, a batch
// run again after a crash (no event twice, the window closed again), a
// restart with open windows and a torn journal, settling by the group's
// commits, replays, a failing statement and the limits.
#include "pipeline/window_step.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "log/log_test_util.h"

namespace eventlake::pipeline {
namespace {

using log::testing::TempDir;
using nlohmann::json;
using testing::HasSubstr;

constexpr TimestampMicros kMinute = 60'000'000;
constexpr TimestampMicros kSecond = 1'000'000;
constexpr TimestampMicros kDay = 1'798'761'600'000'000;  // 2027-01-01T00:00:00Z

BatchRecord Record(uint64_t offset, TimestampMicros time, int value, uint32_t partition = 0) {
  BatchRecord r;
  r.event.id = "p" + std::to_string(partition) + "-" + std::to_string(offset);
  r.event.source = "/sensors";
  r.event.type = "reading";
  r.event.time = time;
  r.event.data = json{{"value", value}}.dump();
  r.offset = offset;
  r.partition = partition;
  r.appended_micros = SystemClock().NowMicros();  // young: the batch runner tries it
  return r;
}

// The windows' rows: window start (as DuckDB prints it) -> (n, total).
std::map<std::string, std::pair<int, int>> Rows(const StepResult& r) {
  std::map<std::string, std::pair<int, int>> rows;
  for (const CloudEvent& e : r.out) {
    const json data = json::parse(e.data);
    rows[data["window_start"].get<std::string>()] = {data["n"].get<int>(), data["total"].get<int>()};
  }
  return rows;
}

class WindowStepTest : public testing::Test {
 protected:
  std::unique_ptr<WindowStep> Make(WindowOptions window = {.size = std::chrono::minutes(1),
                                                           .allowed_lateness = std::chrono::seconds(10)},
                                   std::string sql = "SELECT window_start, window_end, count(*) AS n, "
                                                     "sum(value)::INTEGER AS total FROM batch GROUP BY ALL") {
    auto statement = SqlStep::Create({.sql = std::move(sql), .window_columns = true});
    EXPECT_TRUE(statement.has_value()) << statement.error().ToString();
    if (!statement.has_value()) return nullptr;
    auto step = WindowStep::Create({.window = window,
                                    .journal_path = journal(),
                                    .committed = [this]() -> Result<std::vector<uint64_t>> { return committed_; }},
                                   std::move(*statement));
    EXPECT_TRUE(step.has_value()) << step.error().ToString();
    return step.has_value() ? std::move(*step) : nullptr;
  }
  std::string journal() const { return dir_.path() + "/p/window-0.journal"; }

  TempDir dir_;
  std::vector<uint64_t> committed_ = {0, 0};
};

TEST_F(WindowStepTest, ClosesAWindowOnceWhenTheWatermarkPassesItsEnd) {
  auto step = Make();
  std::vector<BatchRecord> a = {Record(0, kDay + 10 * kSecond, 1), Record(1, kDay + 50 * kSecond, 2)};
  StepResult r = step->Run(a);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_TRUE(r.out.empty());
  // 00:01:05 - 10 s: the watermark is 00:00:55, before the window's end.
  std::vector<BatchRecord> b = {Record(2, kDay + kMinute + 5 * kSecond, 4)};
  EXPECT_TRUE(step->Run(b).out.empty());
  std::vector<BatchRecord> c = {Record(3, kDay + kMinute + 11 * kSecond, 8)};
  r = step->Run(c);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.out.size(), 1u);
  const json row = json::parse(r.out[0].data);
  EXPECT_EQ(row["n"], 2);
  EXPECT_EQ(row["total"], 3);
  EXPECT_THAT(row["window_start"].get<std::string>(), HasSubstr("2027-01-01 00:00:00"));
  EXPECT_THAT(row["window_end"].get<std::string>(), HasSubstr("2027-01-01 00:01:00"));
  EXPECT_EQ(r.sources, std::vector<uint32_t>{0});  // as the record it closed on
  // Once: a later event closes no window twice.
  std::vector<BatchRecord> d = {Record(4, kDay + kMinute + 30 * kSecond, 16)};
  EXPECT_TRUE(step->Run(d).out.empty());
  EXPECT_EQ(step->open_windows(), 1u);
}

TEST_F(WindowStepTest, ALateEventIsADeadLetterAtOnceOrDroppedWhenAskedTo) {
  auto step = Make();
  std::vector<BatchRecord> a = {Record(0, kDay + 10 * kSecond, 1), Record(1, kDay + 2 * kMinute, 2)};
  ASSERT_EQ(step->Run(a).out.size(), 1u);
  // In the closed window; and in a window never opened, before the watermark.
  std::vector<BatchRecord> late = {Record(2, kDay + 30 * kSecond, 4), Record(3, kDay - 5 * kMinute, 4),
                                   Record(4, kDay + 2 * kMinute + kSecond, 8)};
  StepResult r = step->Run(late);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.failed.size(), 2u);
  EXPECT_EQ(r.failed[0].index, 0u);
  EXPECT_FALSE(r.failed[0].retry);
  EXPECT_THAT(r.failed[0].error.message(), HasSubstr("late"));
  EXPECT_EQ(r.failed[1].index, 1u);

  BatchRunner runner({.max_attempts = 3, .base_backoff = std::chrono::milliseconds(0)});
  std::vector<BatchRecord> again = {Record(5, kDay + 20 * kSecond, 1)};
  BatchOutcome outcome = runner.Run("sql", again, [&](auto b) { return step->Run(b); });
  ASSERT_EQ(outcome.dead_letters.size(), 1u);
  EXPECT_EQ(outcome.dead_letters[0].attempts, 1);  // no retries: it stays late
  EXPECT_EQ(outcome.step_runs, 1u);

  TempDir other;
  auto statement = SqlStep::Create({.sql = "SELECT count(*) AS n FROM batch", .window_columns = true});
  ASSERT_TRUE(statement.has_value());
  auto dropping = WindowStep::Create({.window = {.size = std::chrono::minutes(1), .late = LateEvents::kDrop},
                                      .journal_path = other.path() + "/w.journal"},
                                     std::move(*statement));
  ASSERT_TRUE(dropping.has_value());
  ASSERT_EQ((*dropping)->Run(a).out.size(), 1u);
  r = (*dropping)->Run(late);
  EXPECT_TRUE(r.failed.empty());
  EXPECT_TRUE(r.out.empty());
}

TEST_F(WindowStepTest, ABatchRunAgainAfterACrashAddsNothingTwiceAndClosesItsWindowAgain) {
  std::vector<BatchRecord> a = {Record(0, kDay + 10 * kSecond, 1), Record(1, kDay + 20 * kSecond, 2)};
  std::vector<BatchRecord> b = {Record(2, kDay + 30 * kSecond, 4), Record(3, kDay + 2 * kMinute, 8)};
  {
    auto step = Make();
    ASSERT_TRUE(step->Run(a).status.ok());
    EXPECT_EQ(Rows(step->Run(b)).begin()->second, std::make_pair(3, 7));
  }
  // The sinks had not made b durable: the group is still at 0, and the
  // batches run again, cut differently.
  auto step = Make();
  std::vector<BatchRecord> all = {a[0], a[1], b[0], b[1]};
  StepResult r = step->Run(all);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.out.size(), 1u);
  EXPECT_EQ(Rows(r).begin()->second, std::make_pair(3, 7));  // the same window, not 6 events
  EXPECT_TRUE(r.failed.empty());
}

TEST_F(WindowStepTest, OpenWindowsSurviveARestartAndATornJournal) {
  {
    auto step = Make();
    std::vector<BatchRecord> a = {Record(0, kDay + 10 * kSecond, 1), Record(1, kDay + 20 * kSecond, 2)};
    ASSERT_TRUE(step->Run(a).status.ok());
  }
  {
    std::ofstream torn(journal(), std::ios::app | std::ios::binary);
    torn << std::string("\x11\x22\x33\x44\x50\x00\x00\x00half a frame", 20);
  }
  auto step = Make();
  EXPECT_EQ(step->held_events(), 2u);
  std::vector<BatchRecord> b = {Record(2, kDay + 40 * kSecond, 4), Record(3, kDay + 3 * kMinute, 8)};
  StepResult r = step->Run(b);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(Rows(r).begin()->second, std::make_pair(3, 7));
}

TEST_F(WindowStepTest, AClosedWindowIsForgottenOnceTheGroupCommittedPastItAndAReplayChangesNothing) {
  auto step = Make();
  std::vector<BatchRecord> a = {Record(0, kDay + 10 * kSecond, 1), Record(0, kDay + 20 * kSecond, 2, 1)};
  ASSERT_TRUE(step->Run(a).status.ok());
  std::vector<BatchRecord> b = {Record(1, kDay + 2 * kMinute, 4)};
  ASSERT_EQ(step->Run(b).out.size(), 1u);
  EXPECT_EQ(step->held_events(), 3u);
  // Partition 0 committed past both its records, partition 1 not yet: kept.
  committed_ = {2, 0};
  std::vector<BatchRecord> c = {Record(2, kDay + 2 * kMinute + kSecond, 8)};
  ASSERT_TRUE(step->Run(c).status.ok());
  EXPECT_EQ(step->held_events(), 4u);
  committed_ = {3, 1};
  std::vector<BatchRecord> d = {Record(3, kDay + 2 * kMinute + 2 * kSecond, 8)};
  ASSERT_TRUE(step->Run(d).status.ok());
  EXPECT_EQ(step->held_events(), 3u);  // the window of 00:02 only
  // A replay from the start: records read before pass without effect.
  committed_ = {0, 0};
  std::vector<BatchRecord> replay = {a[0], a[1], b[0]};
  StepResult r = step->Run(replay);
  EXPECT_TRUE(r.status.ok());
  EXPECT_TRUE(r.out.empty());
  EXPECT_TRUE(r.failed.empty());
  EXPECT_EQ(step->held_events(), 3u);
}

TEST_F(WindowStepTest, AWindowWhoseStatementFailsGivesItsEventsAsDeadLettersAndTheStreamGoesOn) {
  auto step = Make({.size = std::chrono::minutes(1)},
                   "SELECT window_start, CAST(label AS INTEGER) AS n, 0 AS total FROM batch");
  std::vector<BatchRecord> a = {Record(0, kDay + 10 * kSecond, 1), Record(1, kDay + 20 * kSecond, 2)};
  for (BatchRecord& r : a) r.event.data = R"({"label": "not a number"})";
  ASSERT_TRUE(step->Run(a).status.ok());
  std::vector<BatchRecord> b = {Record(2, kDay + kMinute, 4)};
  b[0].event.data = R"({"label": "7"})";
  StepResult r = step->Run(b);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.dead_letters.size(), 2u);
  EXPECT_EQ(r.dead_letters[0].record.event.id, "p0-0");
  EXPECT_THAT(r.dead_letters[0].error.message(), HasSubstr("window [2027-01-01T00:00:00"));
  std::vector<BatchRecord> c = {Record(3, kDay + 2 * kMinute, 4)};
  c[0].event.data = R"({"label": "8"})";
  r = step->Run(c);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.out.size(), 1u);
  EXPECT_EQ(json::parse(r.out[0].data)["n"], 7);
}

TEST_F(WindowStepTest, AnEventWithoutTimeOrBeyondMaxEventsFailsAlone) {
  auto step = Make({.size = std::chrono::minutes(1), .max_events = 2});
  std::vector<BatchRecord> a = {Record(0, kDay, 1), Record(1, kDay, 2), Record(2, kDay, 4), Record(3, kDay, 8)};
  a[1].event.time.reset();
  StepResult r = step->Run(a);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.failed.size(), 2u);
  EXPECT_THAT(r.failed[0].error.message(), HasSubstr("no time"));
  EXPECT_EQ(r.failed[1].index, 3u);
  EXPECT_EQ(r.failed[1].error.code(), StatusCode::kResourceExhausted);
  // Run again, the same verdicts (not added now that nothing changed).
  r = step->Run(a);
  EXPECT_EQ(r.failed.size(), 2u);
  EXPECT_EQ(step->held_events(), 2u);
}

TEST(WindowOptionsTest, RefusesWindowsThatCannotWork) {
  EXPECT_FALSE(CheckWindowOptions({.size = std::chrono::microseconds(0)}).ok());
  EXPECT_FALSE(CheckWindowOptions({.allowed_lateness = std::chrono::seconds(-1)}).ok());
  EXPECT_FALSE(CheckWindowOptions({.max_events = 0}).ok());
  EXPECT_TRUE(CheckWindowOptions({}).ok());
}

}  // namespace
}  // namespace eventlake::pipeline
