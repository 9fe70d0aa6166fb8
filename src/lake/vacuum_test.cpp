#include "lake/vacuum.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "lake/compaction.h"
#include "lake/local_object_store.h"
#include "lake/table_writer.h"

namespace eventlake::lake {
namespace {

constexpr int64_t kHour = 3'600'000'000;

class VacuumTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::TempDir() + "/vacuum-" +
            testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(root_);
    store_ = std::move(LocalObjectStore::Open(root_).value());
    db_ = std::move(engine::Database::Open({.threads = 1}).value());
    // The clock starts now: file modification times are real.
    clock_.SetNowMicros(SystemClock().NowMicros());
    writer_ = std::move(
        TableWriter::Open(store_.get(), db_.get(), {.name = "curated.t"}, &clock_).value());
  }

  void Flush(int n) {
    for (int i = 0; i < n; ++i) {
      std::string id = std::to_string(next_++);
      std::vector<Cell> row = {{"id", std::string_view(id)}};
      ASSERT_TRUE(writer_->Add(row).ok());
    }
    ASSERT_TRUE(writer_->Flush({}).has_value());
  }

  size_t DataFiles() {
    size_t n = 0;
    auto listed = store_->List("curated/t/");
    EXPECT_TRUE(listed.has_value());
    for (const auto& o : *listed) n += o.key.ends_with(".parquet");
    return n;
  }

  std::string root_;
  std::unique_ptr<LocalObjectStore> store_;
  std::unique_ptr<engine::Database> db_;
  ManualClock clock_;
  std::unique_ptr<TableWriter> writer_;
  int next_ = 0;
};

TEST_F(VacuumTest, DeletesCompactedAwayFilesAndOldOrphansAfterTheRetentionOnly) {
  for (int i = 0; i < 3; ++i) Flush(5);
  auto connection = db_->Connect().value();
  ASSERT_TRUE(CompactTable(store_.get(), db_.get(), "curated.t", {.min_files = 3}, &clock_)
                  .has_value());
  ASSERT_TRUE(store_->Put("curated/t/part-orphan.zstd.parquet", "left by a crash").ok());
  EXPECT_EQ(DataFiles(), 5u);  // 3 compacted away, 1 live, 1 orphan

  // Within the retention nothing goes: time travel to before the compaction works.
  auto early = VacuumTable(store_.get(), db_.get(), "curated.t", {.retention = std::chrono::hours(1)}, &clock_);
  ASSERT_TRUE(early.has_value()) << early.error().ToString();
  EXPECT_TRUE(early->deleted.empty());

  clock_.SetNowMicros(clock_.NowMicros() + 2 * kHour);
  auto dry = VacuumTable(store_.get(), db_.get(), "curated.t",
                         {.retention = std::chrono::hours(1), .dry_run = true}, &clock_);
  ASSERT_TRUE(dry.has_value());
  EXPECT_EQ(dry->deleted.size(), 4u);
  EXPECT_EQ(DataFiles(), 5u);  // a dry run deletes nothing

  auto done = VacuumTable(store_.get(), db_.get(), "curated.t", {.retention = std::chrono::hours(1)}, &clock_);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->deleted.size(), 4u);
  EXPECT_GE(done->version, 0);
  EXPECT_EQ(DataFiles(), 1u);
  auto snapshot = DeltaLog(store_.get(), "curated/t").Load().value();
  EXPECT_EQ(snapshot->RowCount(), 15u);  // the live data is untouched
  for (const auto& [path, add] : snapshot->files) {
    EXPECT_TRUE(store_->Head("curated/t/" + path).has_value()) << path;
  }
  EXPECT_EQ(DeltaLog(store_.get(), "curated/t").History().value().back().info.operation,
            "VACUUM END");
}

TEST_F(VacuumTest, AYoungOrphanMayBeAFlushAboutToCommitAndIsKept) {
  Flush(3);
  ASSERT_TRUE(store_->Put("curated/t/part-inflight.zstd.parquet", "x").ok());
  auto result = VacuumTable(store_.get(), db_.get(), "curated.t", {.retention = std::chrono::hours(1)}, &clock_);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->deleted.empty());
  EXPECT_EQ(VacuumTable(store_.get(), db_.get(), "curated.none", {}, &clock_).error().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace eventlake::lake
