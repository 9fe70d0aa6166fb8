// FileCache: fetch on first use, evict the least recently used beyond the budget.
#include "query/file_cache.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "core/logging.h"
#include "lake/object_cache.h"

namespace eventlake::query {

namespace fs = std::filesystem;

Result<std::unique_ptr<FileCache>> FileCache::Open(FileCacheOptions options) {
  if (options.directory.empty() || options.store == nullptr) {
    return Err(InvalidArgument("a file cache needs a directory and a store"));
  }
  std::error_code ec;
  fs::create_directories(options.directory, ec);
  if (ec) return Err(IOError("creating " + options.directory + ": " + ec.message()));
  auto cache = std::unique_ptr<FileCache>(new FileCache(std::move(options)));
  const fs::path root = cache->options_.directory;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string name = it->path().filename().string();
    if (name.find(".part-") != std::string::npos) {  // a download a crash cut short
      fs::remove(it->path(), ec);
      ec.clear();
      continue;
    }
    const auto modified = fs::last_write_time(it->path(), ec);
    const uint64_t size = it->file_size(ec);
    if (ec) {
      ec.clear();
      continue;
    }
    const auto age = fs::file_time_type::clock::now() - modified;
    const Clock::time_point used = Clock::now() - std::chrono::duration_cast<Clock::duration>(age);
    cache->entries_[fs::relative(it->path(), root).string()] = {size, used};
    cache->bytes_ += size;
  }
  if (ec) return Err(IOError("listing " + root.string() + ": " + ec.message()));
  if (MetricsRegistry* m = cache->options_.metrics) {
    cache->bytes_gauge_ = &m->GetGauge("eventlake_query_cache_bytes", "Bytes of an S3 lake's files cached locally");
    cache->evicted_ = &m->GetCounter("eventlake_query_cache_evictions_total",
                                     "Cached files deleted to stay within query.cache_max_bytes");
    cache->fetched_ = &m->GetCounter("eventlake_query_files_fetched_total",
                                     "Data files of an S3 lake fetched into the query cache");
    cache->bytes_gauge_->Set(static_cast<double>(cache->bytes_));
  }
  std::lock_guard lock(cache->mu_);
  cache->EvictLocked(Clock::now());
  return cache;
}

Result<bool> FileCache::Ensure(const std::string& key) {
  const Clock::time_point now = Clock::now();
  {
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(key); it != entries_.end()) {
      it->second.used = now;
      return false;
    }
  }
  // Outside the lock: a download takes long, and CacheObject is safe when
  // two queries fetch one file at once.
  const std::string local = options_.directory + "/" + key;
  EL_ASSIGN_OR_RETURN(bool fetched, lake::CacheObject(*options_.store, key, local));
  std::error_code ec;
  const uint64_t size = fs::file_size(local, ec);
  if (ec) return Err(IOError("the cached copy of " + key + ": " + ec.message()));
  std::lock_guard lock(mu_);
  auto [it, added] = entries_.try_emplace(key, Entry{size, now});
  if (added) bytes_ += size;
  it->second.used = now;
  if (fetched && fetched_ != nullptr) fetched_->Increment();
  EvictLocked(now);
  return fetched;
}

void FileCache::EvictLocked(Clock::time_point now) {
  if (bytes_ > options_.max_bytes) {
    const Clock::time_point idle_before = now - options_.keep_for;
    std::vector<std::pair<Clock::time_point, std::string>> idle;
    for (const auto& [key, entry] : entries_) {
      if (entry.used < idle_before) idle.emplace_back(entry.used, key);
    }
    std::sort(idle.begin(), idle.end());
    for (const auto& [used, key] : idle) {
      if (bytes_ <= options_.max_bytes) break;
      std::error_code ec;
      fs::remove(options_.directory + "/" + key, ec);
      if (ec) {
        LogWarn("query", "a cached file could not be deleted", {{"file", key}, {"error", ec.message()}});
        continue;
      }
      bytes_ -= entries_[key].size;
      entries_.erase(key);
      if (evicted_ != nullptr) evicted_->Increment();
    }
  }
  if (bytes_gauge_ != nullptr) bytes_gauge_->Set(static_cast<double>(bytes_));
}

uint64_t FileCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

size_t FileCache::files() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace eventlake::query
