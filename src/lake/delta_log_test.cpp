#include "lake/delta_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "lake/local_object_store.h"

namespace eventlake::lake {
namespace {

class DeltaLogTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::TempDir() + "/deltalog-" +
            testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(root_);
    store_ = std::move(LocalObjectStore::Open(root_).value());
  }

  static DeltaCommit Create() {
    TableSchema schema{.columns = {{"id", ColumnType::kString}, {"dt", ColumnType::kDate}},
                       .partition_columns = {"dt"}};
    DeltaCommit c;
    c.info = CommitInfoAction{.timestamp = 1000, .operation = "CREATE TABLE"};
    c.protocol = ProtocolAction{};
    c.metadata = MetadataAction{.id = "table-id",
                                .name = "curated.t",
                                .schema_string = ToDeltaSchemaString(schema),
                                .partition_columns = {"dt"}};
    return c;
  }

  static DeltaCommit Append(const std::string& path, int64_t at = 2000,
                            std::optional<TxnAction> txn = std::nullopt) {
    DeltaCommit c;
    c.info = CommitInfoAction{.timestamp = at, .operation = "WRITE", .blind_append = true};
    c.adds.push_back({.path = path,
                      .partition_values = {{"dt", "2026-12-02"}},
                      .size = 10,
                      .stats = R"({"numRecords":3})"});
    if (txn.has_value()) c.txns.push_back(*txn);
    return c;
  }

  std::string root_;
  std::unique_ptr<LocalObjectStore> store_;
};

TEST_F(DeltaLogTest, CommitsBuildSnapshotsAndEveryVersionStaysReadable) {
  DeltaLog log(store_.get(), "curated/t");
  auto empty = log.Load().value();
  EXPECT_FALSE(empty->exists());
  auto v0 = log.Commit(empty, Create());
  ASSERT_TRUE(v0.has_value()) << v0.error().ToString();
  auto v1 = log.Commit(*v0, Append("dt=2026-12-02/a.parquet", 2000, TxnAction{"L/s/0", 9, 2000}));
  ASSERT_TRUE(v1.has_value()) << v1.error().ToString();
  DeltaCommit compact;
  compact.info = CommitInfoAction{.timestamp = 3000, .operation = "OPTIMIZE"};
  compact.removes.push_back({.path = "dt=2026-12-02/a.parquet", .data_change = false});
  compact.adds.push_back({.path = "dt=2026-12-02/b.parquet", .size = 20, .data_change = false,
                          .stats = R"({"numRecords":3})"});
  auto v2 = log.Commit(*v1, compact);
  ASSERT_TRUE(v2.has_value()) << v2.error().ToString();

  auto latest = log.Load().value();
  EXPECT_EQ(latest->version, 2);
  EXPECT_EQ(latest->files.size(), 1u);
  EXPECT_TRUE(latest->files.contains("dt=2026-12-02/b.parquet"));
  EXPECT_EQ(latest->RowCount(), 3u);
  EXPECT_EQ(latest->txns.at("L/s/0"), 9);
  EXPECT_EQ(latest->schema.partition_columns, std::vector<std::string>{"dt"});

  auto at1 = log.Load(1).value();  // time travel by version
  EXPECT_TRUE(at1->files.contains("dt=2026-12-02/a.parquet"));
  EXPECT_EQ(log.Load(7).error().code(), StatusCode::kNotFound);
  EXPECT_EQ(log.LoadAsOf(2500).value()->version, 1);  // by timestamp
  EXPECT_EQ(log.LoadAsOf(999).error().code(), StatusCode::kNotFound);

  EXPECT_EQ(log.Refresh(at1).value()->version, 2);
  auto history = log.History().value();
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[2].info.operation, "OPTIMIZE");
  EXPECT_EQ(history[2].info.read_version, 1);
  EXPECT_EQ(history[2].removes, 1u);
}

TEST_F(DeltaLogTest, RacingWritersKeepVersionsContiguousAndLoseNoCommit) {
  DeltaLog creator(store_.get(), "curated/t");
  ASSERT_TRUE(creator.Commit(creator.Load().value(), Create()).has_value());
  constexpr int kWriters = 6;
  constexpr int kCommitsEach = 15;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      DeltaLog log(store_.get(), "curated/t");  // its own view, as another process would have
      auto base = log.Load().value();           // everyone starts from version 0: they race
      for (int i = 0; i < kCommitsEach; ++i) {
        const std::string path = "dt=2026-12-02/w" + std::to_string(w) + "-" + std::to_string(i);
        auto next = log.Commit(base, Append(path, 2000, TxnAction{"L/s/" + std::to_string(w), i, 0}));
        if (!next.has_value()) {
          ++failures;
          return;
        }
        base = *next;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  DeltaLog log(store_.get(), "curated/t");
  auto versions = log.Versions().value();
  ASSERT_EQ(versions.size(), 1u + kWriters * kCommitsEach);
  for (size_t i = 0; i < versions.size(); ++i) EXPECT_EQ(versions[i], static_cast<int64_t>(i));
  auto snapshot = log.Load().value();
  EXPECT_EQ(snapshot->files.size(), static_cast<size_t>(kWriters * kCommitsEach));
  for (int w = 0; w < kWriters; ++w) {
    EXPECT_EQ(snapshot->txns.at("L/s/" + std::to_string(w)), kCommitsEach - 1);
  }
}

TEST_F(DeltaLogTest, TwoWritersOfOneAppIdConflictInsteadOfDuplicating) {
  DeltaLog log(store_.get(), "curated/t");
  auto base = log.Commit(log.Load().value(), Create()).value();
  ASSERT_TRUE(log.Commit(base, Append("a", 2000, TxnAction{"L/s/0", 10, 0})).has_value());
  // A second loader of the same partition, built on the same base.
  auto late = log.Commit(base, Append("b", 2000, TxnAction{"L/s/0", 12, 0}));
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code(), StatusCode::kConflict);
  EXPECT_EQ(log.Versions().value().size(), 2u);  // nothing was written
  // A writer of another appId simply goes on top.
  EXPECT_EQ(log.Commit(base, Append("c", 2000, TxnAction{"L/s/1", 1, 0})).value()->version, 2);
}

TEST_F(DeltaLogTest, RacingCompactionsOfOneFileConflict) {
  DeltaLog log(store_.get(), "curated/t");
  auto base = log.Commit(log.Load().value(), Create()).value();
  base = log.Commit(base, Append("a")).value();
  auto compaction = [](const std::string& out) {
    DeltaCommit c;
    c.removes.push_back({.path = "a", .data_change = false});
    c.adds.push_back({.path = out, .size = 1, .data_change = false});
    return c;
  };
  ASSERT_TRUE(log.Commit(base, compaction("x")).has_value());
  auto second = log.Commit(base, compaction("y"));
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code(), StatusCode::kConflict);
  EXPECT_EQ(log.Load().value()->files.count("y"), 0u);
}

TEST_F(DeltaLogTest, AnOverwriteConflictsWithFilesAddedSinceItRead) {
  DeltaLog log(store_.get(), "curated/t");
  auto base = log.Commit(log.Load().value(), Create()).value();
  base = log.Commit(base, Append("a")).value();
  DeltaCommit overwrite = Append("b");
  overwrite.info->parameters = {{"mode", "Overwrite"}};
  overwrite.info->blind_append = false;
  overwrite.removes.push_back({.path = "a"});
  ASSERT_TRUE(log.Commit(base, Append("late")).has_value());  // lands first
  auto lost = log.Commit(base, overwrite);
  ASSERT_FALSE(lost.has_value());
  EXPECT_EQ(lost.error().code(), StatusCode::kConflict);
  // Read again, it replaces both.
  overwrite.removes.push_back({.path = "late"});
  auto replaced = log.Commit(log.Load().value(), overwrite);
  ASSERT_TRUE(replaced.has_value()) << replaced.error().ToString();
  EXPECT_EQ((*replaced)->files.size(), 1u);
  EXPECT_EQ((*replaced)->files.count("b"), 1u);
}

TEST_F(DeltaLogTest, TheFirstCommitNeedsProtocolAndMetadataAndAGapIsCorruption) {
  DeltaLog log(store_.get(), "curated/t");
  EXPECT_EQ(log.Commit(log.Load().value(), Append("a")).error().code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(log.Commit(log.Load().value(), Create()).has_value());
  ASSERT_TRUE(store_->Put(CommitKey("curated/t", 2), SerializeCommit(Append("z"))).ok());
  auto broken = log.Load();
  ASSERT_FALSE(broken.has_value());
  EXPECT_EQ(broken.error().code(), StatusCode::kCorruption);
}

TEST_F(DeltaLogTest, ATableNeedingANewerReaderIsRefused) {
  DeltaLog log(store_.get(), "curated/t");
  DeltaCommit c = Create();
  c.protocol->min_reader_version = 3;
  ASSERT_TRUE(store_->Put(CommitKey("curated/t", 0), SerializeCommit(c)).ok());
  EXPECT_EQ(log.Load().error().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace eventlake::lake
