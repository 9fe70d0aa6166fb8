#include "lake/lifecycle.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "lake/local_object_store.h"
#include "lake/table_writer.h"

namespace eventlake::lake {
namespace {

constexpr int64_t kDay = 86'400'000'000;
constexpr int64_t kToday = 20'424 * kDay;  // 2025-12-02T00:00:00Z

class LifecycleTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::TempDir() + "/lifecycle-" +
            testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(root_);
    store_ = std::move(LocalObjectStore::Open(root_).value());
    db_ = std::move(engine::Database::Open({.threads = 1}).value());
    clock_.SetNowMicros(kToday + 12 * 3'600'000'000LL);
  }

  std::unique_ptr<TableWriter> Writer(std::vector<std::string> partition_by) {
    return std::move(TableWriter::Open(store_.get(), db_.get(),
                                       {.name = "curated.t",
                                        .partition_by = std::move(partition_by),
                                        .initial_columns = {{"id", ColumnType::kString},
                                                            {"time", ColumnType::kTimestamp}}},
                                       &clock_)
                         .value());
  }

  // One file of one row per day, `days` days back.
  void FillDays(TableWriter& w, int days) {
    for (int d = 0; d < days; ++d) {
      std::string id = "day-" + std::to_string(d);
      std::vector<Cell> row = {{"id", std::string_view(id)},
                               {"time", TimestampValue{kToday - d * kDay + 1000}}};
      ASSERT_TRUE(w.Add(row).ok());
      ASSERT_TRUE(w.Flush({}).has_value());
    }
  }

  std::string root_;
  std::unique_ptr<LocalObjectStore> store_;
  std::unique_ptr<engine::Database> db_;
  ManualClock clock_;
};

TEST_F(LifecycleTest, DayPartitionsOlderThanExpireAfterLeaveTheTable) {
  auto w = Writer({"day(time)"});
  FillDays(*w, 10);
  auto r = ExpireTable(store_.get(), db_.get(), "curated.t", std::chrono::hours(24 * 7), &clock_);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  // Now is noon: the day 7 days back ends after the cutoff (7 days ago at
  // noon) and stays; the days 8 and 9 back are over before it.
  EXPECT_EQ(r->files, 2u);
  EXPECT_EQ(r->rows, 2u);
  auto snapshot = DeltaLog(store_.get(), "curated/t").Load().value();
  EXPECT_EQ(snapshot->files.size(), 8u);
  for (const auto& [path, add] : snapshot->files) {
    EXPECT_GE(add.partition_values[0].second.value(), "2025-11-25") << path;
  }
  // The old version still has them until vacuum.
  EXPECT_EQ(DeltaLog(store_.get(), "curated/t").Load(r->version - 1).value()->files.size(), 10u);
  auto again = ExpireTable(store_.get(), db_.get(), "curated.t", std::chrono::hours(24 * 7), &clock_);
  EXPECT_EQ(again->version, -1);  // nothing left to expire
}

TEST_F(LifecycleTest, UnpartitionedTablesExpireByTheirTimeStats) {
  auto w = Writer({});
  FillDays(*w, 5);
  auto r = ExpireTable(store_.get(), db_.get(), "curated.t", std::chrono::hours(24 * 3), &clock_);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->files, 2u);  // 3 and 4 days back (+1 ms) are older than 3 days
  EXPECT_EQ(DeltaLog(store_.get(), "curated/t").History().value().back().info.operation, "DELETE");
}

}  // namespace
}  // namespace eventlake::lake
