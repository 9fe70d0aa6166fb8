#include "lake/delta_checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "lake/local_object_store.h"
#include "lake/table_writer.h"

namespace eventlake::lake {
namespace {

class CheckpointTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::TempDir() + "/checkpoint-" +
            testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(root_);
    store_ = std::move(LocalObjectStore::Open(root_).value());
    db_ = std::move(engine::Database::Open({.threads = 1}).value());
    clock_.SetNowMicros(1'764'633'600'000'000);
    writer_ = std::move(TableWriter::Open(store_.get(), db_.get(),
                                          {.name = "curated.t",
                                           .partition_by = {"day(time)", "region"},
                                           .initial_columns = {{"id", ColumnType::kString},
                                                               {"time", ColumnType::kTimestamp}},
                                           .checkpoint_interval = 10},
                                          &clock_)
                            .value());
  }

  void Commits(int n) {
    for (int c = 0; c < n; ++c) {
      std::string id = "r" + std::to_string(next_);
      std::string region = next_ % 3 == 0 ? "a/b" : "x";
      std::vector<Cell> row = {{"id", std::string_view(id)},
                               {"time", TimestampValue{clock_.NowMicros() + next_}},
                               {"n", int64_t{next_}}};
      if (next_ % 5 != 0) row.push_back({"region", std::string_view(region)});
      ++next_;
      ASSERT_TRUE(writer_->Add(row).ok());
      ASSERT_TRUE(writer_->Flush({{"L/s/" + std::to_string(c % 2), next_, 0}}).has_value());
    }
  }

  static void ExpectSame(const TableSnapshot& a, const TableSnapshot& b) {
    EXPECT_EQ(a.version, b.version);
    EXPECT_EQ(a.schema, b.schema);
    EXPECT_EQ(a.txns, b.txns);
    EXPECT_EQ(a.metadata.id, b.metadata.id);
    EXPECT_EQ(a.timestamp, b.timestamp);
    ASSERT_EQ(a.files.size(), b.files.size());
    for (const auto& [path, add] : a.files) {
      ASSERT_TRUE(b.files.contains(path)) << path;
      const AddAction& other = b.files.at(path);
      EXPECT_EQ(add.partition_values, other.partition_values) << path;
      EXPECT_EQ(add.size, other.size);
      EXPECT_EQ(add.stats, other.stats);
    }
  }

  std::string root_;
  std::unique_ptr<LocalObjectStore> store_;
  std::unique_ptr<engine::Database> db_;
  ManualClock clock_;
  std::unique_ptr<TableWriter> writer_;
  int next_ = 0;
};

TEST_F(CheckpointTest, WrittenEveryTenVersionsAndReadAsTheReplayWouldBe) {
  Commits(24);  // versions 1..24 (0 created the table)
  EXPECT_TRUE(store_->Head(CheckpointKey("curated/t", 10)).has_value());
  EXPECT_TRUE(store_->Head(CheckpointKey("curated/t", 20)).has_value());
  EXPECT_EQ(LastCheckpointVersion(*store_, "curated/t"), 20);

  DeltaLog replay(store_.get(), "curated/t");
  DeltaLog with_checkpoints(store_.get(), "curated/t", db_.get());
  ExpectSame(*replay.Load().value(), *with_checkpoints.Load().value());
  for (int64_t v : {3, 10, 15, 20, 22}) {
    SCOPED_TRACE(v);
    ExpectSame(*replay.Load(v).value(), *with_checkpoints.Load(v).value());
  }
  EXPECT_EQ(with_checkpoints.Load(99).error().code(), StatusCode::kNotFound);
}

TEST_F(CheckpointTest, ABrokenCheckpointFallsBackToTheCommits) {
  Commits(12);
  ASSERT_TRUE(store_->Put(CheckpointKey("curated/t", 10), "not parquet").ok());
  DeltaLog replay(store_.get(), "curated/t");
  DeltaLog with_checkpoints(store_.get(), "curated/t", db_.get());
  ExpectSame(*replay.Load().value(), *with_checkpoints.Load().value());
  ASSERT_TRUE(store_->Put(LastCheckpointKey("curated/t"), "{garbage").ok());
  ExpectSame(*replay.Load().value(), *with_checkpoints.Load().value());
}

}  // namespace
}  // namespace eventlake::lake
