// TableSink under a real pipeline: a poison record among 100 (99 rows
// once, one dead letter after max attempts), crash and restart with other
// batch sizes, replay, refused rows, a failed flush, and pending rows.
#include "lake/table_sink.h"

#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "lake/lake_test_util.h"
#include "lake/local_object_store.h"
#include "pipeline/sql_step.h"

namespace eventlake::lake {
namespace {

using nlohmann::json;
constexpr int64_t kNow = 1'764'633'600'000'000;  // 2025-12-02T00:00:00Z

class TableSinkTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::TempDir() + "/table-sink-" + testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(root_);
    clock_.SetNowMicros(kNow);
    store_ = std::move(LocalObjectStore::Open(root_ + "/lake").value());
    db_ = std::move(engine::Database::Open({.threads = 1}).value());
    clicks_ = OpenStream("clicks", 2);
    dlq_ = OpenStream("clicks.dlq", 1);
    sql_ = std::move(pipeline::SqlStep::Create({.sql = "SELECT id, time, CAST(price AS INTEGER) AS price FROM batch"})
                         .value());
  }
  void TearDown() override {
    pipeline_.reset();
    sink_.reset();
    writer_.reset();
  }

  std::unique_ptr<log::Stream> OpenStream(const std::string& name, uint32_t partitions) {
    return std::move(log::Stream::Open(root_ + "/log/" + name,
                                       {.name = name, .partitions = partitions, .durability = log::Durability::kNone},
                                       &clock_, nullptr)
                         .value());
  }

  // As after a crash: nothing of the old pipeline, sink or writer survives.
  void Restart(uint32_t max_records, uint64_t flush_rows = 1'000'000) {
    pipeline_.reset();
    sink_.reset();
    writer_.reset();
    writer_ = std::move(TableWriter::Open(store_.get(), db_.get(),
                                          {.name = "curated.clicks",
                                           .partition_by = {"day(time)"},
                                           .initial_columns = EventAttributeColumns(),
                                           .max_rows = flush_rows},
                                          &clock_)
                            .value());
    sink_ = std::move(TableSink::Create({.pipeline = "clicks_to_lake", .writer = writer_.get(), .clock = &clock_})
                          .value());
    auto created = pipeline::Pipeline::Create(
        {.name = "clicks_to_lake",
         .trigger = clicks_.get(),
         .batch = {.max_records = max_records, .max_wait = std::chrono::milliseconds(0)},
         .idle_wait = std::chrono::milliseconds(1),
         .steps = {{.name = "sql",
                    .run = [this](auto batch) { return sql_->Run(batch); },
                    .retry = {.max_attempts = 3,
                              .base_backoff = std::chrono::milliseconds(0),
                              .max_backoff = std::chrono::milliseconds(0),
                              .max_record_age = std::chrono::hours(24 * 365 * 100)}}},
         .sinks = {sink_.get()},
         .open_dead_letter = [this]() -> Result<log::Stream*> { return dlq_.get(); },
         .clock = &clock_});
    ASSERT_TRUE(created.has_value()) << created.error().ToString();
    pipeline_ = std::move(*created);
  }

  void Send(int from, int to, int poison = -1) {
    std::vector<CloudEvent> events;
    for (int i = from; i < to; ++i) {
      CloudEvent e;
      e.id = "c" + std::to_string(i);
      e.source = "/web";
      e.type = "click";
      e.time = kNow - 1000 + i;
      e.data = i == poison ? R"({"price": "free"})" : R"({"price": ")" + std::to_string(i) + R"("})";
      events.push_back(std::move(e));
    }
    for (auto& r : clicks_->AppendAndWait(events)) ASSERT_TRUE(r.has_value());
  }

  // Every partition until nothing is left, then ticks.
  void Drain() {
    for (uint32_t p = 0; p < clicks_->partition_count(); ++p) {
      while (true) {
        auto report = pipeline_->RunOnce(p);
        ASSERT_TRUE(report.has_value()) << report.error().ToString();
        if (report->records == 0) break;
      }
      ASSERT_TRUE(pipeline_->CommitDurable(p).ok());
    }
  }

  std::map<std::string, int> TableIds() {
    return TableIdCounts(store_.get(), root_ + "/lake", "curated/clicks", *db_);
  }

  std::vector<json> DeadLetters() {
    std::vector<json> out;
    const auto records = dlq_->partition(0).Read(0, {1u << 20, 1ull << 40}).value();
    for (const auto& r : records) {
      out.push_back(json::parse(r.event.data));
    }
    return out;
  }

  uint64_t GroupTotal() {
    uint64_t total = 0;
    const std::vector<uint64_t> offsets = clicks_->GroupOffsets("pipeline-clicks_to_lake").value();
    for (uint64_t offset : offsets) total += offset;
    return total;
  }

  std::string root_;
  ManualClock clock_;
  std::unique_ptr<LocalObjectStore> store_;
  std::unique_ptr<engine::Database> db_;
  std::unique_ptr<log::Stream> clicks_, dlq_;
  std::unique_ptr<pipeline::SqlStep> sql_;
  std::unique_ptr<TableWriter> writer_;
  std::unique_ptr<TableSink> sink_;
  std::unique_ptr<pipeline::Pipeline> pipeline_;
};

TEST_F(TableSinkTest, APoisonRecordAmong100IsDeadLetteredAfterMaxAttemptsAndThe99AreLoadedOnce) {
  Restart(100);
  Send(0, 100, /*poison=*/42);
  Drain();
  ASSERT_TRUE(sink_->Flush().ok());
  Drain();
  auto ids = TableIds();
  EXPECT_EQ(ids.size(), 99u);
  EXPECT_FALSE(ids.contains("c42"));
  for (const auto& [id, n] : ids) EXPECT_EQ(n, 1) << id;
  auto letters = DeadLetters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0]["attempts"], 3);
  EXPECT_EQ(letters[0]["step"], "sql");
  EXPECT_EQ(letters[0]["event"]["id"], "c42");
  EXPECT_EQ(GroupTotal(), 100u);
}

TEST_F(TableSinkTest, TheGroupWaitsForTheFlushThatMakesRowsDurable) {
  Restart(10);
  Send(0, 30);
  Drain();
  EXPECT_EQ(GroupTotal(), 0u);  // buffered, not in the table yet
  EXPECT_TRUE(TableIds().empty());
  ASSERT_TRUE(sink_->Flush().ok());
  Drain();
  EXPECT_EQ(GroupTotal(), 30u);
  EXPECT_EQ(TableIds().size(), 30u);
}

TEST_F(TableSinkTest, ACrashBetweenFlushAndGroupCommitNeitherDoublesNorLosesRows) {
  Restart(7);
  Send(0, 40);
  for (uint32_t p = 0; p < 2; ++p) ASSERT_TRUE(pipeline_->RunOnce(p).has_value());
  ASSERT_TRUE(sink_->Flush().ok());  // the table has the first batch of each partition; the group does not
  for (uint32_t p = 0; p < 2; ++p) ASSERT_TRUE(pipeline_->RunOnce(p).has_value());  // buffered, then lost
  // As if the crash came between the flush and the group's commit.
  ASSERT_TRUE(clicks_->CommitGroup("pipeline-clicks_to_lake", {0, 0}).ok());
  EXPECT_GE(TableIds().size(), 7u);  // the first batch of each partition that has records
  Restart(5);  // other batch sizes: batches are cut where the table's rows end
  Send(40, 50);
  Drain();
  ASSERT_TRUE(sink_->Flush().ok());
  Drain();
  auto ids = TableIds();
  EXPECT_EQ(ids.size(), 50u);
  for (const auto& [id, n] : ids) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(GroupTotal(), 50u);
}

TEST_F(TableSinkTest, AReplayFromTheStartAddsNothingTheTableHas) {
  Restart(10);
  Send(0, 20);
  Drain();
  ASSERT_TRUE(sink_->Flush().ok());
  ASSERT_TRUE(clicks_->CommitGroup("pipeline-clicks_to_lake", {0, 0}).ok());  // eventlake replay --from 0
  Restart(3);
  Send(20, 25);
  Drain();
  ASSERT_TRUE(sink_->Flush().ok());
  auto ids = TableIds();
  EXPECT_EQ(ids.size(), 25u);
  for (const auto& [id, n] : ids) EXPECT_EQ(n, 1) << id;
}

TEST_F(TableSinkTest, ARowTheTableCannotTakeIsRefusedAndDeadLettered) {
  sql_ = std::move(pipeline::SqlStep::Create({.sql = "SELECT id, time, price FROM batch"}).value());
  Restart(100);
  std::vector<CloudEvent> events(3);
  for (int i = 0; i < 3; ++i) {
    events[i].id = "e" + std::to_string(i);
    events[i].source = "/web";
    events[i].type = "click";
    events[i].time = kNow;
    events[i].data = i == 1 ? R"({"price": true})" : R"({"price": 5})";
  }
  // One at a time: each batch is typed by its own values, and the table's
  // price column is an integer after the first.
  for (const CloudEvent& e : events) {
    for (auto& r : clicks_->AppendAndWait(std::span(&e, 1))) ASSERT_TRUE(r.has_value());
    Drain();
  }
  ASSERT_TRUE(sink_->Flush().ok());
  Drain();
  auto ids = TableIds();
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_TRUE(ids.contains("e0") && ids.contains("e2"));
  auto letters = DeadLetters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0]["step"], "sink curated.clicks");
  EXPECT_EQ(letters[0]["event"]["id"], "e1");
  EXPECT_EQ(GroupTotal(), 3u);
}

TEST_F(TableSinkTest, PendingRowsAreTheBatchesASnapshotDoesNotHold) {
  Restart(10);
  Send(0, 10);
  Drain();
  auto before = writer_->snapshot();
  auto count = [&](const TableSnapshot& snapshot) {
    return sink_->ForEachPendingRow(snapshot, {}, 1000, [](auto, auto) { return Status::Ok(); }).value().rows;
  };
  EXPECT_EQ(count(*before), 10u);
  ASSERT_TRUE(sink_->Flush().ok());
  EXPECT_EQ(count(*before), 10u);  // a query that read the old snapshot still sees them, once
  EXPECT_EQ(count(*writer_->snapshot()), 0u);
  Send(10, 13);
  Drain();
  EXPECT_EQ(count(*writer_->snapshot()), 3u);
}

}  // namespace
}  // namespace eventlake::lake

namespace eventlake::lake {
namespace {

// A scheduled pipeline into an overwrite sink: each run replaces the
// table's rows (none, when the query answers none), a run the table has
// is not applied twice, and a restart numbers its runs from the table.
class OverwriteSinkTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::TempDir() + "/overwrite-sink-" + testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(root_);
    clock_.SetNowMicros(kNow);
    store_ = std::move(LocalObjectStore::Open(root_ + "/lake").value());
    db_ = std::move(engine::Database::Open({.threads = 1}).value());
    Restart();
  }

  void Restart() {
    pipeline_.reset();
    sink_.reset();
    writer_.reset();
    writer_ = std::move(TableWriter::Open(store_.get(), db_.get(),
                                          {.name = "analytics.totals", .initial_columns = EventAttributeColumns()},
                                          &clock_)
                            .value());
    sink_ = std::move(TableSink::Create({.pipeline = "totals", .writer = writer_.get(), .clock = &clock_,
                                         .overwrite = true})
                          .value());
    pipeline_ = std::move(pipeline::Pipeline::Create({.name = "totals",
                                                      .schedule = pipeline::Schedule::Parse("@hourly").value(),
                                                      .query = [this] { return Result<std::vector<std::string>>(rows_); },
                                                      .sinks = {sink_.get()},
                                                      .clock = &clock_})
                              .value());
  }

  std::map<std::string, int> TableIds() {
    return TableIdCounts(store_.get(), root_ + "/lake", "analytics/totals", *db_);
  }

  std::vector<std::string> rows_;
  std::string root_;
  ManualClock clock_;
  std::unique_ptr<LocalObjectStore> store_;
  std::unique_ptr<engine::Database> db_;
  std::unique_ptr<TableWriter> writer_;
  std::unique_ptr<TableSink> sink_;
  std::unique_ptr<pipeline::Pipeline> pipeline_;
};

TEST_F(OverwriteSinkTest, EachRunReplacesTheTablesRows) {
  rows_ = {R"({"id": "a", "total": 1})", R"({"id": "b", "total": 2})"};
  ASSERT_TRUE(pipeline_->RunScheduled().has_value());
  EXPECT_EQ(TableIds(), (std::map<std::string, int>{{"a", 1}, {"b", 1}}));
  rows_ = {R"({"id": "b", "total": 3})", R"({"id": "c", "total": 4})"};
  auto second = pipeline_->RunScheduled();
  ASSERT_TRUE(second.has_value()) << second.error().ToString();
  EXPECT_EQ(TableIds(), (std::map<std::string, int>{{"b", 1}, {"c", 1}}));
  EXPECT_EQ(writer_->snapshot()->txns.at("totals/schedule/0"), 1);  // runs 0 and 1
  rows_.clear();
  ASSERT_TRUE(pipeline_->RunScheduled().has_value());
  EXPECT_TRUE(TableIds().empty());
}

TEST_F(OverwriteSinkTest, ARestartNumbersItsRunsFromTheTable) {
  rows_ = {R"({"id": "a"})"};
  ASSERT_TRUE(pipeline_->RunScheduled().has_value());
  ASSERT_TRUE(pipeline_->RunScheduled().has_value());
  Restart();
  rows_ = {R"({"id": "z"})"};
  ASSERT_TRUE(pipeline_->RunScheduled().has_value());
  EXPECT_EQ(writer_->snapshot()->txns.at("totals/schedule/0"), 2);
  EXPECT_EQ(TableIds(), (std::map<std::string, int>{{"z", 1}}));
}

TEST_F(OverwriteSinkTest, AFailedQueryFailsTheRunAndLeavesTheTable) {
  rows_ = {R"({"id": "a"})"};
  ASSERT_TRUE(pipeline_->RunScheduled().has_value());
  rows_ = {R"({"id": "b", "time": "not a time"})"};
  EXPECT_FALSE(pipeline_->RunScheduled().has_value());
  EXPECT_EQ(TableIds(), (std::map<std::string, int>{{"a", 1}}));
}

}  // namespace
}  // namespace eventlake::lake
