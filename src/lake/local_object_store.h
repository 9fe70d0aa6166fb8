// LocalObjectStore: the ObjectStore of a local directory. An object is the
// file <root>/<key>; directories are created as needed and never removed.
//
// - Put and PutIfAbsent write a temporary file beside the target
//   (".<name>.tmp-<random>"), fsync it, then rename(2) it over the target
//   (Put) or link(2) it to the target, which fails with EEXIST when the
//   target exists (PutIfAbsent: atomic on every POSIX file system), remove
//   the temporary name and fsync the directory.
// - PutFile fsyncs the file and renames it into place (the staging
//   directory, <root>/_staging, is on the same file system).
// - List walks the directory tree; names starting with "." (temporaries)
//   and the staging directory are not objects.
#pragma once

#include <memory>
#include <string>

#include "lake/object_store.h"

namespace eventlake::lake {

class LocalObjectStore final : public ObjectStore {
 public:
  // Creates `root` (and _staging under it) when missing.
  static Result<std::unique_ptr<LocalObjectStore>> Open(const std::string& root);

  std::string Describe() const override { return "local:" + root_; }
  Status Put(std::string_view key, std::string_view data) override;
  Status PutIfAbsent(std::string_view key, std::string_view data) override;
  Status PutFile(std::string_view key, const std::string& local_path) override;
  Result<std::string> Get(std::string_view key) const override;
  Result<std::string> GetRange(std::string_view key, uint64_t offset,
                               uint64_t length) const override;
  Status GetToFile(std::string_view key, const std::string& local_path) const override;
  Result<ObjectInfo> Head(std::string_view key) const override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) const override;
  Result<std::vector<std::string>> ListDirectories(std::string_view prefix) const override;
  Status Delete(std::string_view key) override;
  Status Copy(std::string_view from, std::string_view to) override;
  std::optional<std::string> LocalPath(std::string_view key) const override;
  std::string StagingDirectory() const override { return root_ + "/_staging"; }

  const std::string& root() const { return root_; }

 private:
  explicit LocalObjectStore(std::string root) : root_(std::move(root)) {}
  // <root>/<key> after checking the key.
  Result<std::string> PathOf(std::string_view key) const;
  // The temporary file beside `path`, written and fsynced.
  Result<std::string> WriteTemporary(const std::string& path, std::string_view data) const;

  const std::string root_;
};

}  // namespace eventlake::lake
