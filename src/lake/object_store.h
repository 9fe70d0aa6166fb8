// ObjectStore: where the lake keeps its objects (table files, commits, raw
// zone files). One interface, two backends: a local directory (the default,
// local_object_store.h) and S3-compatible stores.
//
// Keys are relative, '/'-separated paths ("curated/events/_delta_log/
// 00000000000000000000.json"): not empty, no leading or trailing '/', no
// empty, "." or ".." segments, no NUL. A bad key is InvalidArgument.
//
// Durability: when a Put*, Copy or Delete returns OK, the change survives a
// crash. Atomicity: readers see an object whole or not at all.
//
// Threads: implementations are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace eventlake::lake {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  int64_t modified_millis = 0;  // last modification, ms since the epoch
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // For logs and errors: "local:/var/lib/eventlake/lake", "s3://bucket/prefix".
  virtual std::string Describe() const = 0;

  // Creates or replaces `key`.
  virtual Status Put(std::string_view key, std::string_view data) = 0;
  // Creates `key` only if no object has that key: AlreadyExists otherwise,
  // atomically (of two racing callers exactly one succeeds). Table commits
  // rely on this.
  virtual Status PutIfAbsent(std::string_view key, std::string_view data) = 0;
  // Moves the finished local file `local_path` into the store as `key`
  // (replacing); the local file is gone afterwards. How files written by
  // DuckDB enter the store.
  virtual Status PutFile(std::string_view key, const std::string& local_path) = 0;

  // NotFound when missing.
  virtual Result<std::string> Get(std::string_view key) const = 0;
  // Up to `length` bytes from `offset` (fewer at the end of the object).
  virtual Result<std::string> GetRange(std::string_view key, uint64_t offset,
                                       uint64_t length) const = 0;
  // Writes the object to the local file `local_path` (replacing it); how
  // DuckDB gets to read objects of a store without local paths.
  virtual Status GetToFile(std::string_view key, const std::string& local_path) const = 0;
  virtual Result<ObjectInfo> Head(std::string_view key) const = 0;
  // Every object whose key starts with `prefix` (a plain string prefix, not
  // only whole segments), sorted by key. An empty prefix lists everything.
  virtual Result<std::vector<ObjectInfo>> List(std::string_view prefix) const = 0;
  // The names of the "directories" right under `prefix` (which ends in '/'
  // or is empty): the next key segment of every key below it, sorted, as S3
  // lists common prefixes with delimiter '/'.
  virtual Result<std::vector<std::string>> ListDirectories(std::string_view prefix) const = 0;
  // Removes `key`; OK when it did not exist (as S3's DELETE).
  virtual Status Delete(std::string_view key) = 0;
  // Copies `from` to `to` (replacing `to`); NotFound when `from` is missing.
  virtual Status Copy(std::string_view from, std::string_view to) = 0;

  // A path on the local file system where `key` can be read directly (by
  // DuckDB), or nullopt when the store is not local.
  virtual std::optional<std::string> LocalPath(std::string_view key) const = 0;
  // A local directory for files being written before PutFile; on the same
  // file system as the store when the store is local, so PutFile renames.
  virtual std::string StagingDirectory() const = 0;
};

// The rules at the top of this file.
Status ValidateObjectKey(std::string_view key);

}  // namespace eventlake::lake
