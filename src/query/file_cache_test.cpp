// FileCache: a file fetched once and then found, the least recently used
// evicted beyond the budget but never one used within keep_for, and what
// an earlier run left taken into account at open (a cut download removed).
#include "query/file_cache.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "lake/local_object_store.h"
#include "log/log_test_util.h"

namespace eventlake::query {
namespace {

namespace fs = std::filesystem;
using log::testing::TempDir;

class FileCacheTest : public testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(lake::LocalObjectStore::Open(bucket_.path()).value());
    for (const char* key : {"curated/t/a.parquet", "curated/t/b.parquet", "curated/t/c.parquet"}) {
      ASSERT_TRUE(store_->Put(key, std::string(1000, 'x')).ok());
    }
  }
  std::unique_ptr<FileCache> Open(uint64_t max_bytes, std::chrono::milliseconds keep_for) {
    auto cache = FileCache::Open(
        {.directory = cache_.path(), .store = store_.get(), .max_bytes = max_bytes, .keep_for = keep_for});
    EXPECT_TRUE(cache.has_value()) << cache.error().ToString();
    return cache.has_value() ? std::move(*cache) : nullptr;
  }
  bool Cached(const std::string& key) const { return fs::exists(cache_.path() + "/" + key); }

  TempDir bucket_, cache_;
  std::unique_ptr<lake::LocalObjectStore> store_;
};

TEST_F(FileCacheTest, FetchesAFileOnceAndThenFindsIt) {
  auto cache = Open(1 << 20, std::chrono::minutes(2));
  EXPECT_TRUE(cache->Ensure("curated/t/a.parquet").value());
  EXPECT_FALSE(cache->Ensure("curated/t/a.parquet").value());
  EXPECT_TRUE(Cached("curated/t/a.parquet"));
  EXPECT_EQ(cache->bytes(), 1000u);
  EXPECT_FALSE(cache->Ensure("curated/t/missing.parquet").has_value());
}

TEST_F(FileCacheTest, EvictsTheLeastRecentlyUsedBeyondTheBudgetButNoneUsedWithinKeepFor) {
  {
    auto keeping = Open(1500, std::chrono::minutes(2));
    ASSERT_TRUE(keeping->Ensure("curated/t/a.parquet").has_value());
    ASSERT_TRUE(keeping->Ensure("curated/t/b.parquet").has_value());
    EXPECT_EQ(keeping->files(), 2u);  // over the budget, but both in use
  }
  auto cache = Open(2500, std::chrono::milliseconds(0));
  EXPECT_EQ(cache->files(), 2u);  // taken up from the directory
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(cache->Ensure("curated/t/b.parquet").has_value());  // b used after a
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(cache->Ensure("curated/t/c.parquet").has_value());
  EXPECT_FALSE(Cached("curated/t/a.parquet"));
  EXPECT_TRUE(Cached("curated/t/b.parquet"));
  EXPECT_TRUE(Cached("curated/t/c.parquet"));
  EXPECT_EQ(cache->bytes(), 2000u);
  EXPECT_TRUE(cache->Ensure("curated/t/a.parquet").value());  // fetched again when needed
}

TEST_F(FileCacheTest, ADownloadACrashCutShortIsRemovedAtOpen) {
  fs::create_directories(cache_.path() + "/curated/t");
  std::ofstream(cache_.path() + "/curated/t/a.parquet.part-0190") << "half";
  auto cache = Open(1 << 20, std::chrono::minutes(2));
  EXPECT_EQ(cache->files(), 0u);
  EXPECT_FALSE(fs::exists(cache_.path() + "/curated/t/a.parquet.part-0190"));
}

}  // namespace
}  // namespace eventlake::query
