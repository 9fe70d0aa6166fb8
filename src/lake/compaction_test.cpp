#include "lake/compaction.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "lake/local_object_store.h"
#include "lake/table_writer.h"

namespace eventlake::lake {
namespace {

constexpr int64_t kDay = 86'400'000'000;

class CompactionTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::TempDir() + "/compact-" +
            testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(root_);
    store_ = std::move(LocalObjectStore::Open(root_).value());
    db_ = std::move(engine::Database::Open({.threads = 1}).value());
    connection_ = std::move(db_->Connect().value());
    clock_.SetNowMicros(20'000 * kDay);
    writer_ = std::move(TableWriter::Open(store_.get(), db_.get(),
                                          {.name = "curated.t",
                                           .partition_by = {"day(time)"},
                                           .initial_columns = {{"id", ColumnType::kString},
                                                               {"time", ColumnType::kTimestamp}}},
                                          &clock_)
                            .value());
  }

  // One flush of `n` rows over two days: one small file per day.
  void Flush(int first, int n, bool with_extra = false) {
    for (int i = first; i < first + n; ++i) {
      std::string id = "r" + std::to_string(i);
      std::vector<Cell> row = {{"id", std::string_view(id)},
                               {"time", TimestampValue{20'000 * kDay + (i % 2) * kDay + i}},
                               {"n", with_extra ? CellValue{i + 0.5} : CellValue{int64_t{i}}}};
      if (with_extra) row.push_back({"extra", std::string_view("x")});
      ASSERT_TRUE(writer_->Add(row).ok());
    }
    ASSERT_TRUE(writer_->Flush({}).has_value());
  }

  // id -> (n, extra) over the files of `version` (latest when -1).
  std::map<std::string, std::string> Rows(int64_t version = -1) {
    DeltaLog log(store_.get(), "curated/t");
    auto snapshot = version < 0 ? log.Load().value() : log.Load(version).value();
    std::string files;
    for (const auto& [path, add] : snapshot->files) {
      files += (files.empty() ? "'" : ", '") + root_ + "/curated/t/" + path + "'";
    }
    const std::string extra =
        snapshot->schema.Find("extra") != nullptr ? "coalesce(extra, '-')" : "'-'";
    auto r = connection_->Query("SELECT id, n::VARCHAR, " + extra + " FROM read_parquet([" +
                                files + "], union_by_name = true)");
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    std::map<std::string, std::string> out;
    for (size_t i = 0; i < r->rows(); ++i) out[*r->String(0, i)] = *r->String(1, i) + "|" + *r->String(2, i);
    return out;
  }

  // The row groups of the table's file at `path`.
  int64_t RowGroups(const std::string& path) {
    auto groups = connection_->Query("SELECT count(DISTINCT row_group_id) FROM parquet_metadata('" +
                                     root_ + "/curated/t/" + path + "')");
    EXPECT_TRUE(groups.has_value()) << groups.error().ToString();
    return groups ? groups->Int64(0, 0).value_or(-1) : -1;
  }

  std::string root_;
  std::unique_ptr<LocalObjectStore> store_;
  std::unique_ptr<engine::Database> db_;
  std::unique_ptr<engine::Connection> connection_;
  ManualClock clock_;
  std::unique_ptr<TableWriter> writer_;
};

TEST_F(CompactionTest, SmallFilesBecomeOneFilePerPartitionWithTheSameRows) {
  for (int f = 0; f < 4; ++f) Flush(f * 10, 10);
  Flush(40, 10, /*with_extra=*/true);  // n widened to double, a column added
  const auto before = Rows();
  const int64_t version_before = DeltaLog(store_.get(), "curated/t").Load().value()->version;
  ASSERT_EQ(DeltaLog(store_.get(), "curated/t").Load().value()->files.size(), 10u);

  auto result = CompactTable(store_.get(), db_.get(), "curated.t",
                             {.min_files = 3, .concatenate_min_rows_per_row_group = 1}, &clock_);
  ASSERT_TRUE(result.has_value()) << result.error().ToString();
  EXPECT_EQ(result->partitions, 2u);
  EXPECT_EQ(result->files_removed, 10u);
  EXPECT_EQ(result->files_added, 2u);
  EXPECT_EQ(result->rows, 50u);
  EXPECT_EQ(result->files_rewritten, 2u);  // a schema change lies between each day's files

  auto snapshot = DeltaLog(store_.get(), "curated/t").Load().value();
  EXPECT_EQ(snapshot->files.size(), 2u);
  EXPECT_EQ(snapshot->RowCount(), 50u);
  for (const auto& [path, add] : snapshot->files) EXPECT_FALSE(add.data_change) << path;
  EXPECT_EQ(Rows(), before);  // the same rows, old ones read with the new schema
  EXPECT_EQ(Rows().at("r3"), "3.0|-");
  EXPECT_EQ(Rows().at("r41"), "41.5|x");
  EXPECT_EQ(Rows(version_before), before);  // the old version is still readable
  auto history = DeltaLog(store_.get(), "curated/t").History().value();
  EXPECT_EQ(history.back().info.operation, "OPTIMIZE");
}

TEST_F(CompactionTest, FilesOfOneSchemaAreConcatenatedRowGroupByRowGroup) {
  for (int f = 0; f < 4; ++f) Flush(f * 10, 10);
  const auto before = Rows();
  auto result = CompactTable(store_.get(), db_.get(), "curated.t",
                             {.min_files = 3, .concatenate_min_rows_per_row_group = 5}, &clock_);
  ASSERT_TRUE(result.has_value()) << result.error().ToString();
  EXPECT_EQ(result->files_removed, 8u);
  EXPECT_EQ(result->files_concatenated, 2u);
  EXPECT_EQ(result->files_rewritten, 0u);
  EXPECT_EQ(Rows(), before);

  auto snapshot = DeltaLog(store_.get(), "curated/t").Load().value();
  ASSERT_EQ(snapshot->files.size(), 2u);
  for (const auto& [path, add] : snapshot->files) {
    const std::string file = "'" + root_ + "/curated/t/" + path + "'";
    EXPECT_EQ(RowGroups(path), 4) << path;  // one per file it replaced
    // The merged stats describe the file: 20 rows, n over one day's values.
    const auto stats = nlohmann::json::parse(add.stats);
    EXPECT_EQ(stats["numRecords"], 20) << add.stats;
    auto range = connection_->Query("SELECT min(n), max(n) FROM read_parquet(" + file + ")");
    ASSERT_TRUE(range.has_value());
    EXPECT_EQ(stats["minValues"]["n"], range->Int64(0, 0).value_or(-1)) << add.stats;
    EXPECT_EQ(stats["maxValues"]["n"], range->Int64(1, 0).value_or(-1)) << add.stats;
  }
}

TEST_F(CompactionTest, FilesOfSmallRowGroupsAreRewrittenIntoLargeOnes) {
  for (int f = 0; f < 4; ++f) Flush(f * 10, 10);  // row groups of 5 rows
  const auto before = Rows();
  auto result = CompactTable(store_.get(), db_.get(), "curated.t",
                             {.min_files = 3, .concatenate_min_rows_per_row_group = 6}, &clock_);
  ASSERT_TRUE(result.has_value()) << result.error().ToString();
  EXPECT_EQ(result->files_concatenated, 0u);
  EXPECT_EQ(result->files_rewritten, 2u);
  EXPECT_EQ(Rows(), before);
  const auto snapshot = DeltaLog(store_.get(), "curated/t").Load().value();
  for (const auto& [path, add] : snapshot->files) EXPECT_EQ(RowGroups(path), 1) << path;
}

TEST_F(CompactionTest, NothingToDoBelowMinFiles) {
  Flush(0, 10);
  Flush(10, 10);
  auto result = CompactTable(store_.get(), db_.get(), "curated.t", {.min_files = 3}, &clock_);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->version, -1);
  EXPECT_EQ(DeltaLog(store_.get(), "curated/t").Load().value()->files.size(), 4u);
}

TEST_F(CompactionTest, ALoaderCommittingMeanwhileIsKept) {
  for (int f = 0; f < 3; ++f) Flush(f * 10, 10);
  // The compaction plans on this snapshot; the writer commits before it lands.
  DeltaLog log(store_.get(), "curated/t");
  auto base = log.Load().value();
  Flush(30, 10);
  auto result = CompactTable(store_.get(), db_.get(), "curated.t", {.min_files = 3}, &clock_);
  ASSERT_TRUE(result.has_value()) << result.error().ToString();
  auto rows = Rows();
  EXPECT_EQ(rows.size(), 40u);
  EXPECT_TRUE(rows.contains("r35"));
}

TEST_F(CompactionTest, TwoCompactionsOfTheSameFilesCannotBothCommit) {
  for (int f = 0; f < 3; ++f) Flush(f * 10, 10);
  DeltaLog log(store_.get(), "curated/t");
  auto base = log.Load().value();
  ASSERT_TRUE(CompactTable(store_.get(), db_.get(), "curated.t", {.min_files = 3}, &clock_)
                  .has_value());
  // A second compactor built its commit on `base`: it removes files gone by now.
  DeltaCommit late;
  const auto& [path, add] = *base->files.begin();
  late.removes.push_back({.path = path, .data_change = false});
  late.adds.push_back({.path = "dt=x/late.parquet", .size = 1, .data_change = false});
  auto committed = log.Commit(base, late);
  ASSERT_FALSE(committed.has_value());
  EXPECT_EQ(committed.error().code(), StatusCode::kConflict);
  EXPECT_EQ(Rows().size(), 30u);
}

}  // namespace
}  // namespace eventlake::lake
