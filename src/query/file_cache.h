// The query engine's local copies of an S3 lake's data files, bounded: a
// file is fetched the first time a query needs it (lake/object_cache.h)
// and, once the cache holds more than max_bytes, the files used longest
// ago are deleted — but only those no query has asked for within
// `keep_for` (twice the query timeout), so that a query never loses a file
// it listed. Files found in the directory at open (an earlier run's, or
// an enrich step's lookups) count as used when they were last modified.
//
// Threads: safe; Ensure may be called from every query's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/metrics.h"
#include "core/status.h"
#include "lake/object_store.h"

namespace eventlake::query {

struct FileCacheOptions {
  std::string directory;             // required
  const lake::ObjectStore* store = nullptr;  // required; must outlive the cache
  uint64_t max_bytes = 10ull << 30;
  std::chrono::milliseconds keep_for{120'000};
  MetricsRegistry* metrics = nullptr;
};

class FileCache {
 public:
  // Takes stock of the directory (a partial download a crash left is removed).
  static Result<std::unique_ptr<FileCache>> Open(FileCacheOptions options);

  // Object `key` is a file under the directory at the same path; true
  // when it was fetched now. Then what is over max_bytes is evicted.
  Result<bool> Ensure(const std::string& key);

  uint64_t bytes() const;
  size_t files() const;

 private:
  using Clock = std::chrono::system_clock;
  struct Entry {
    uint64_t size = 0;
    Clock::time_point used;
  };
  explicit FileCache(FileCacheOptions options) : options_(std::move(options)) {}
  void EvictLocked(Clock::time_point now);

  FileCacheOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // by key
  uint64_t bytes_ = 0;
  Gauge* bytes_gauge_ = nullptr;
  Counter* evicted_ = nullptr;
  Counter* fetched_ = nullptr;
};

}  // namespace eventlake::query
