#include "lake/loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "lake/lake_test_util.h"
#include "lake/local_object_store.h"

namespace eventlake::lake {
namespace {

constexpr int64_t kNow = 1'764'633'600'000'000;  // 2025-12-02T00:00:00Z

class LoaderTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::TempDir() + "/loader-" +
            testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(root_);
    clock_.SetNowMicros(kNow);
    store_ = std::move(LocalObjectStore::Open(root_ + "/lake").value());
    db_ = std::move(engine::Database::Open({.threads = 1}).value());
    stream_ = std::move(log::Stream::Open(root_ + "/log/events",
                                          {.name = "events", .partitions = 2,
                                           .durability = log::Durability::kNone},
                                          &clock_, nullptr)
                            .value());
    dlq_ = std::move(log::Stream::Open(root_ + "/log/dlq",
                                       {.name = "events.dlq", .durability = log::Durability::kNone},
                                       &clock_, nullptr)
                         .value());
  }
  void TearDown() override {
    loader_.reset();
    writer_.reset();
  }

  void Restart() {  // as after a crash: nothing of the old loader survives
    loader_.reset();
    writer_.reset();
    writer_ = std::move(TableWriter::Open(store_.get(), db_.get(),
                                          {.name = "curated.events",
                                           .partition_by = {"day(time)"},
                                           .initial_columns = EventAttributeColumns()},
                                          &clock_)
                            .value());
    loader_ = std::move(Loader::Create({.name = "default",
                                        .stream = stream_.get(),
                                        .writer = writer_.get(),
                                        .open_dead_letter =
                                            [this]() -> Result<log::Stream*> { return dlq_.get(); },
                                        .clock = &clock_})
                            .value());
  }

  void Send(int from, int to, const std::string& extra = "") {
    std::vector<CloudEvent> events;
    for (int i = from; i < to; ++i) {
      CloudEvent e;
      e.id = "e" + std::to_string(i);
      e.source = "/test";
      e.type = "t";
      e.time = kNow - 1000 + i;
      e.data = R"({"n":)" + std::to_string(i) + extra + "}";
      e.data_content_type = "application/json";
      events.push_back(std::move(e));
    }
    for (const auto& r : stream_->AppendAndWait(events)) ASSERT_TRUE(r.has_value());
  }

  // ids in the table's latest snapshot, with how often each appears.
  std::map<std::string, int> TableIds() {
    return TableIdCounts(store_.get(), root_ + "/lake", "curated/events", *db_);
  }

  std::string root_;
  ManualClock clock_;
  std::unique_ptr<LocalObjectStore> store_;
  std::unique_ptr<engine::Database> db_;
  std::unique_ptr<log::Stream> stream_;
  std::unique_ptr<log::Stream> dlq_;
  std::unique_ptr<TableWriter> writer_;
  std::unique_ptr<Loader> loader_;
};

TEST_F(LoaderTest, LoadsEveryEventOnceAndRecordsOffsetsInTheCommit) {
  Restart();
  Send(0, 50);
  ASSERT_EQ(loader_->RunOnce(true).value(), 50u);
  auto ids = TableIds();
  EXPECT_EQ(ids.size(), 50u);
  for (const auto& [id, n] : ids) EXPECT_EQ(n, 1) << id;
  auto snapshot = writer_->snapshot();
  uint64_t total = 0;
  for (uint32_t p = 0; p < 2; ++p) {
    const uint64_t end = stream_->partition(p).EndOffset();
    total += end;
    if (end > 0) {
      EXPECT_EQ(snapshot->txns.at(loader_->AppIdOf(p)), static_cast<int64_t>(end) - 1);
    }
  }
  EXPECT_EQ(total, 50u);
  EXPECT_EQ(stream_->GroupOffsets("loader-default").value(), loader_->positions());
}

TEST_F(LoaderTest, ACrashBeforeTheCommitLosesAndDoublesNothing) {
  Restart();
  Send(0, 20);
  ASSERT_TRUE(loader_->RunOnce(true).has_value());
  Send(20, 40);
  ASSERT_EQ(loader_->RunOnce(false).value(), 20u);  // read and buffered, not committed
  Restart();                                         // the buffered rows are gone
  ASSERT_EQ(loader_->RunOnce(true).value(), 20u);    // read again from the table's offsets
  Restart();
  EXPECT_EQ(loader_->RunOnce(true).value(), 0u);  // nothing left to read
  auto ids = TableIds();
  EXPECT_EQ(ids.size(), 40u);
  for (const auto& [id, n] : ids) EXPECT_EQ(n, 1) << id;
}

TEST_F(LoaderTest, RefusedRowsAndAbsurdTimesGoToTheDeadLetterStream) {
  Restart();
  Send(0, 3);
  ASSERT_TRUE(loader_->RunOnce(true).has_value());  // n is a long column now
  std::vector<CloudEvent> bad(2);
  bad[0].id = "wrong-type";
  bad[0].source = bad[1].source = "/test";
  bad[0].type = bad[1].type = "t";
  bad[0].data = R"({"n":"seven"})";
  bad[1].id = "from-the-future";
  bad[1].time = kNow + 48LL * 3600 * 1'000'000;
  bad[1].data = R"({"n":1})";
  for (const auto& r : stream_->AppendAndWait(bad)) ASSERT_TRUE(r.has_value());
  Send(3, 5);
  ASSERT_EQ(loader_->RunOnce(true).value(), 4u);
  auto ids = TableIds();
  EXPECT_EQ(ids.size(), 5u);
  EXPECT_FALSE(ids.contains("wrong-type"));
  auto letters = dlq_->partition(0).Read(0, {}).value();
  ASSERT_EQ(letters.size(), 2u);
  std::set<std::string> reasons;
  for (const auto& l : letters) {
    auto data = nlohmann::json::parse(l.event.data);
    reasons.insert(data["problem"]["type"].get<std::string>());
    EXPECT_EQ(data["table"], "curated.events");
    EXPECT_TRUE(data["event"]["id"] == "wrong-type" || data["event"]["id"] == "from-the-future");
  }
  EXPECT_EQ(reasons, (std::set<std::string>{"schema_mismatch", "event_time_out_of_range"}));
}

TEST_F(LoaderTest, TwoLoadersOfOnePartitionCannotBothCommit) {
  Restart();
  Send(0, 10);
  auto writer2 = TableWriter::Open(store_.get(), db_.get(),
                                   {.name = "curated.events",
                                    .partition_by = {"day(time)"},
                                    .initial_columns = EventAttributeColumns()},
                                   &clock_)
                     .value();
  auto loader2 = Loader::Create({.name = "default", .stream = stream_.get(),
                                 .writer = writer2.get(), .clock = &clock_})
                     .value();
  ASSERT_TRUE(loader_->RunOnce(true).has_value());
  auto second = loader2->RunOnce(true);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code(), StatusCode::kConflict);
  for (const auto& [id, n] : TableIds()) EXPECT_EQ(n, 1) << id;
  // Having resumed from the table, the second loader finds nothing left to do.
  EXPECT_EQ(loader2->RunOnce(true).value(), 0u);
}

}  // namespace
}  // namespace eventlake::lake
