#include "lake/local_object_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "core/file.h"

namespace eventlake::lake {
namespace {

class LocalObjectStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::TempDir() + "/los-" +
            testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(root_);
    auto store = LocalObjectStore::Open(root_);
    ASSERT_TRUE(store.has_value()) << store.error().ToString();
    store_ = std::move(*store);
  }
  std::string root_;
  std::unique_ptr<LocalObjectStore> store_;
};

TEST_F(LocalObjectStoreTest, PutGetHeadAndRanges) {
  ASSERT_TRUE(store_->Put("a/b/c.txt", "hello world").ok());
  EXPECT_EQ(store_->Get("a/b/c.txt").value(), "hello world");
  EXPECT_EQ(store_->GetRange("a/b/c.txt", 6, 100).value(), "world");
  EXPECT_EQ(store_->GetRange("a/b/c.txt", 0, 5).value(), "hello");
  EXPECT_EQ(store_->GetRange("a/b/c.txt", 99, 5).value(), "");
  EXPECT_EQ(store_->Head("a/b/c.txt").value().size, 11u);
  ASSERT_TRUE(store_->Put("a/b/c.txt", "replaced").ok());
  EXPECT_EQ(store_->Get("a/b/c.txt").value(), "replaced");
  EXPECT_EQ(store_->Get("missing").error().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Head("a/b").error().code(), StatusCode::kNotFound);  // a directory
}

TEST_F(LocalObjectStoreTest, PutIfAbsentRefusesAnExistingKeyAndKeepsIt) {
  ASSERT_TRUE(store_->PutIfAbsent("log/0.json", "first").ok());
  Status again = store_->PutIfAbsent("log/0.json", "second");
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->Get("log/0.json").value(), "first");
  // No temporary is left behind, and none is listed.
  EXPECT_EQ(ListDirectory(root_ + "/log").value(), std::vector<std::string>{"0.json"});
}

TEST_F(LocalObjectStoreTest, RacingPutIfAbsentHasExactlyOneWinner) {
  for (int round = 0; round < 20; ++round) {
    std::atomic<int> winners{0};
    std::vector<std::thread> threads;
    const std::string key = "race/" + std::to_string(round);
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        Status s = store_->PutIfAbsent(key, "writer " + std::to_string(t));
        if (s.ok()) {
          ++winners;
        } else {
          EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.ToString();
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(winners.load(), 1) << key;
  }
}

TEST_F(LocalObjectStoreTest, ListIsSortedRecursiveAndByPrefix) {
  for (const char* key : {"t/_delta_log/00002.json", "t/_delta_log/00000.json", "t/dt=1/p.parquet",
                          "u/x", "t/_delta_log/00001.json"}) {
    ASSERT_TRUE(store_->Put(key, "x").ok());
  }
  auto keys_of = [&](std::string_view prefix) {
    std::vector<std::string> keys;
    auto listed = store_->List(prefix);
    EXPECT_TRUE(listed.has_value());
    for (const auto& o : *listed) keys.push_back(o.key);
    return keys;
  };
  std::vector<std::string> keys = keys_of("t/_delta_log/");
  EXPECT_EQ(keys, (std::vector<std::string>{"t/_delta_log/00000.json", "t/_delta_log/00001.json",
                                            "t/_delta_log/00002.json"}));
  EXPECT_EQ(keys_of("t/dt"), std::vector<std::string>{"t/dt=1/p.parquet"});
  EXPECT_EQ(store_->List("").value().size(), 5u);
  EXPECT_EQ(store_->ListDirectories("").value(), (std::vector<std::string>{"t", "u"}));
  EXPECT_EQ(store_->ListDirectories("t/").value(),
            (std::vector<std::string>{"_delta_log", "dt=1"}));
  EXPECT_TRUE(store_->ListDirectories("none/").value().empty());
  EXPECT_TRUE(store_->List("nothing/").value().empty());
}

TEST_F(LocalObjectStoreTest, PutFileMovesAStagedFileInAndCopyAndDeleteWork) {
  const std::string staged = store_->StagingDirectory() + "/f.parquet";
  ASSERT_TRUE(WriteFileAtomically(staged, "parquet bytes").ok());
  ASSERT_TRUE(store_->PutFile("t/dt=2026-12-02/part-0.parquet", staged).ok());
  EXPECT_FALSE(PathExists(staged));
  EXPECT_EQ(store_->Get("t/dt=2026-12-02/part-0.parquet").value(), "parquet bytes");
  EXPECT_EQ(*store_->LocalPath("t/dt=2026-12-02/part-0.parquet"),
            root_ + "/t/dt=2026-12-02/part-0.parquet");
  // Staged files are not objects.
  EXPECT_EQ(store_->List("").value().size(), 1u);

  ASSERT_TRUE(store_->Copy("t/dt=2026-12-02/part-0.parquet", "archive/part-0.parquet").ok());
  EXPECT_EQ(store_->Get("archive/part-0.parquet").value(), "parquet bytes");
  EXPECT_EQ(store_->Copy("nope", "x").code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->Delete("archive/part-0.parquet").ok());
  EXPECT_EQ(store_->Get("archive/part-0.parquet").error().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->Delete("archive/part-0.parquet").ok());  // already gone: fine
}

TEST(ObjectKey, BadKeysAreRefused) {
  for (std::string_view key : std::initializer_list<std::string_view>{"", "/abs", "a//b", "a/", "a/../b", "./a", "..", "a/./b",
                               std::string_view("a\0b", 3)}) {
    EXPECT_EQ(ValidateObjectKey(key).code(), StatusCode::kInvalidArgument) << key;
  }
  for (std::string_view key : {"a", "a/b", "a/..b/c", "dt=2026-12-02/x%2Fy.parquet"}) {
    EXPECT_TRUE(ValidateObjectKey(key).ok()) << key;
  }
}

TEST_F(LocalObjectStoreTest, StagingIsNotAKey) {
  EXPECT_EQ(store_->Put("_staging/x", "y").code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace eventlake::lake
