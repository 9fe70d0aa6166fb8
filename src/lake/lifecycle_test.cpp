#include "lake/lifecycle.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <set>
#include <utility>

#include "lake/delta_log.h"
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

// Delegates to a store and runs `before_commit` once, before the first
// put-if-absent of a key that ends in `trigger`: a commit racing ours.
class RacingStore : public ObjectStore {
 public:
  RacingStore(ObjectStore* inner, std::string trigger, std::function<void()> before_commit)
      : inner_(inner), trigger_(std::move(trigger)), before_commit_(std::move(before_commit)) {}
  std::string Describe() const override { return inner_->Describe(); }
  Status Put(std::string_view k, std::string_view d) override { return inner_->Put(k, d); }
  Status PutIfAbsent(std::string_view key, std::string_view data) override {
    if (before_commit_ && key.ends_with(trigger_)) std::exchange(before_commit_, nullptr)();
    return inner_->PutIfAbsent(key, data);
  }
  Status PutFile(std::string_view k, const std::string& p) override { return inner_->PutFile(k, p); }
  Result<std::string> Get(std::string_view k) const override { return inner_->Get(k); }
  Result<std::string> GetRange(std::string_view k, uint64_t o, uint64_t n) const override {
    return inner_->GetRange(k, o, n);
  }
  Status GetToFile(std::string_view k, const std::string& p) const override {
    return inner_->GetToFile(k, p);
  }
  Result<ObjectInfo> Head(std::string_view k) const override { return inner_->Head(k); }
  Result<std::vector<ObjectInfo>> List(std::string_view p) const override { return inner_->List(p); }
  Result<std::vector<std::string>> ListDirectories(std::string_view p) const override {
    return inner_->ListDirectories(p);
  }
  Status Delete(std::string_view k) override { return inner_->Delete(k); }
  Status Copy(std::string_view f, std::string_view t) override { return inner_->Copy(f, t); }
  std::optional<std::string> LocalPath(std::string_view k) const override {
    return inner_->LocalPath(k);
  }
  std::string StagingDirectory() const override { return inner_->StagingDirectory(); }

 private:
  ObjectStore* inner_;
  std::string trigger_;
  std::function<void()> before_commit_;
};

std::set<std::string> IdsIn(engine::Database& db, const std::string& table_dir,
                            const TableSnapshot& snapshot) {
  std::set<std::string> ids;
  auto connection = db.Connect().value();
  for (const auto& [path, add] : snapshot.files) {
    auto result = connection->Query("SELECT id FROM read_parquet('" + table_dir + "/" + path + "')");
    EXPECT_TRUE(result.has_value()) << result.error().ToString();
    if (!result.has_value()) continue;
    for (size_t r = 0; r < result->rows(); ++r) {
      const std::string id = result->String(0, r).value_or("");
      EXPECT_TRUE(ids.insert(id).second) << "twice: " << id;
    }
  }
  return ids;
}

TEST_F(LifecycleTest, ArchivingMovesOldFilesToTheArchiveTable) {
  auto w = Writer({"day(time)"});
  FillDays(*w, 10);
  auto r = ArchiveTable(store_.get(), db_.get(), "curated.t", "archive.t", std::chrono::hours(24 * 7),
                        &clock_);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->files, 2u);
  EXPECT_EQ(r->rows, 2u);
  EXPECT_GT(r->bytes, 0u);
  auto source = DeltaLog(store_.get(), "curated/t").Load().value();
  auto archive = DeltaLog(store_.get(), "archive/t").Load().value();
  EXPECT_EQ(source->files.size(), 8u);
  ASSERT_EQ(archive->files.size(), 2u);
  EXPECT_EQ(archive->version, r->archive_version);
  EXPECT_EQ(archive->metadata.name, "archive.t");
  EXPECT_EQ(archive->metadata.partition_columns, source->metadata.partition_columns);
  EXPECT_EQ(archive->metadata.schema_string, source->metadata.schema_string);
  EXPECT_NE(archive->metadata.id, source->metadata.id);
  for (const auto& [path, add] : archive->files) {
    EXPECT_LT(add.partition_values[0].second.value(), "2025-11-25") << path;
    EXPECT_FALSE(source->files.contains(path)) << path;
  }
  // Every row is in exactly one of the two tables; none lost.
  std::set<std::string> ids = IdsIn(*db_, root_ + "/curated/t", *source);
  std::set<std::string> archived = IdsIn(*db_, root_ + "/archive/t", *archive);
  EXPECT_EQ(archived, (std::set<std::string>{"day-8", "day-9"}));
  ids.insert(archived.begin(), archived.end());
  EXPECT_EQ(ids.size(), 10u);
  // Time travel in the source still reads them until vacuum.
  EXPECT_EQ(DeltaLog(store_.get(), "curated/t").Load(r->version - 1).value()->files.size(), 10u);
  EXPECT_EQ(DeltaLog(store_.get(), "curated/t").History().value().back().info.operation, "ARCHIVE");

  // A day later one more day is old enough, and joins the same archive table.
  clock_.SetNowMicros(clock_.NowMicros() + kDay);
  auto next = ArchiveTable(store_.get(), db_.get(), "curated.t", "archive.t",
                           std::chrono::hours(24 * 7), &clock_);
  ASSERT_TRUE(next.has_value()) << next.error().ToString();
  EXPECT_EQ(next->files, 1u);
  EXPECT_EQ(DeltaLog(store_.get(), "archive/t").Load().value()->files.size(), 3u);
  auto again = ArchiveTable(store_.get(), db_.get(), "curated.t", "archive.t",
                            std::chrono::hours(24 * 7), &clock_);
  EXPECT_EQ(again->version, -1);
  EXPECT_EQ(again->files, 0u);
}

TEST_F(LifecycleTest, ARerunAfterACrashBetweenTheCommitsAddsNothingTwice) {
  auto w = Writer({"day(time)"});
  FillDays(*w, 10);
  // A crash after the archive's commit, before the removal here: do steps
  // 1 and 2 of ArchiveTable by hand.
  auto source = DeltaLog(store_.get(), "curated/t").Load().value();
  DeltaCommit adds;
  adds.protocol = ProtocolAction{};
  adds.metadata = source->metadata;
  adds.metadata->id = "another-id";
  adds.metadata->name = "archive.t";
  for (const auto& [path, add] : source->files) {
    if (add.partition_values[0].second.value() >= "2025-11-25") continue;
    ASSERT_TRUE(store_->Copy("curated/t/" + path, "archive/t/" + path).ok());
    adds.adds.push_back(add);
  }
  ASSERT_EQ(adds.adds.size(), 2u);
  DeltaLog archive_log(store_.get(), "archive/t");
  ASSERT_TRUE(archive_log.Commit(archive_log.Load().value(), adds).has_value());

  auto r = ArchiveTable(store_.get(), db_.get(), "curated.t", "archive.t", std::chrono::hours(24 * 7),
                        &clock_);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->files, 2u);
  EXPECT_EQ(r->archive_version, 0);  // nothing new to add there
  auto archive = archive_log.Load().value();
  EXPECT_EQ(archive->version, 0);
  EXPECT_EQ(IdsIn(*db_, root_ + "/archive/t", *archive), (std::set<std::string>{"day-8", "day-9"}));
  EXPECT_EQ(DeltaLog(store_.get(), "curated/t").Load().value()->files.size(), 8u);
}

TEST_F(LifecycleTest, LosingARaceToACompactionTakesTheCopiesOutOfTheArchive) {
  auto w = Writer({"day(time)"});
  FillDays(*w, 10);
  auto before = DeltaLog(store_.get(), "curated/t").Load().value();
  const AddAction oldest = before->files.begin()->second;  // dt=2025-11-23, the oldest day
  ASSERT_EQ(oldest.partition_values[0].second.value(), "2025-11-23");
  // Another process removes one of the old files just before our removal
  // commits (version 10 + 1: the ten flushes made versions 1..10).
  RacingStore racing(store_.get(), CommitKey("curated/t", 11).substr(std::string("curated/t/").size()),
                     [&] {
                       DeltaLog log(store_.get(), "curated/t");
                       DeltaCommit c;
                       c.removes.push_back({.path = oldest.path, .data_change = true});
                       ASSERT_TRUE(log.Commit(log.Load().value(), c).has_value());
                     });
  auto r = ArchiveTable(&racing, db_.get(), "curated.t", "archive.t", std::chrono::hours(24 * 7),
                        &clock_);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kConflict) << r.error().ToString();
  // The archive holds nothing any more; the source lost only the racer's file.
  EXPECT_TRUE(DeltaLog(store_.get(), "archive/t").Load().value()->files.empty());
  EXPECT_EQ(DeltaLog(store_.get(), "curated/t").Load().value()->files.size(), 9u);
  // The next round archives what is left of it.
  auto next = ArchiveTable(store_.get(), db_.get(), "curated.t", "archive.t",
                           std::chrono::hours(24 * 7), &clock_);
  ASSERT_TRUE(next.has_value()) << next.error().ToString();
  EXPECT_EQ(next->files, 1u);
  EXPECT_EQ(DeltaLog(store_.get(), "archive/t").Load().value()->files.size(), 1u);
}

TEST_F(LifecycleTest, TheArchiveFollowsTheSourcesSchema) {
  auto w = Writer({"day(time)"});
  FillDays(*w, 10);
  ASSERT_TRUE(ArchiveTable(store_.get(), db_.get(), "curated.t", "archive.t",
                           std::chrono::hours(24 * 7), &clock_)
                  .has_value());
  // A new column in the source, then one more day to archive.
  std::vector<Cell> row = {{"id", std::string_view("new")},
                           {"time", TimestampValue{kToday + 1000}},
                           {"color", std::string_view("red")}};
  ASSERT_TRUE(w->Add(row).ok());
  ASSERT_TRUE(w->Flush({}).has_value());
  clock_.SetNowMicros(clock_.NowMicros() + kDay);
  ASSERT_TRUE(ArchiveTable(store_.get(), db_.get(), "curated.t", "archive.t",
                           std::chrono::hours(24 * 7), &clock_)
                  .has_value());
  auto archive = DeltaLog(store_.get(), "archive/t").Load().value();
  EXPECT_EQ(archive->metadata.schema_string,
            DeltaLog(store_.get(), "curated/t").Load().value()->metadata.schema_string);
  EXPECT_NE(archive->metadata.schema_string.find("color"), std::string::npos);
}

TEST_F(LifecycleTest, ATableDoesNotArchiveIntoItselfOrOutsideTheZones) {
  auto w = Writer({"day(time)"});
  FillDays(*w, 2);
  EXPECT_EQ(ArchiveTable(store_.get(), db_.get(), "curated.t", "curated.t", std::chrono::hours(1),
                         &clock_)
                .error()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ArchiveTable(store_.get(), db_.get(), "curated.t", "archive/t", std::chrono::hours(1),
                         &clock_)
                .error()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(DefaultArchiveTable("curated.clicks"), "archive.clicks");
}

}  // namespace
}  // namespace eventlake::lake
