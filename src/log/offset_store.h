// Committed offsets of consumer groups, one file per group
// (data/log/<stream>/groups/<group>.offsets; format in docs/formats/log.md).
// Every save is atomic and durable: temporary file, fsync, rename, directory
// fsync. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace eventlake::log {

class OffsetStore {
 public:
  // `dir` is the stream's groups/ directory; it is created on first save.
  explicit OffsetStore(std::string dir);

  // The committed next-offset-to-read per partition, or nullopt when the
  // group has never committed. Corruption when the file fails its checksum.
  Result<std::optional<std::vector<uint64_t>>> Load(const std::string& group) const;
  // Replaces the group's offsets.
  Status Save(const std::string& group, const std::vector<uint64_t>& offsets);
  // Names of the groups with a committed file, sorted.
  Result<std::vector<std::string>> List() const;
  Status Remove(const std::string& group);

  // The file format, exposed for tests and the fuzzer.
  static std::string Encode(const std::vector<uint64_t>& offsets);
  static Result<std::vector<uint64_t>> Decode(std::string_view text);

 private:
  std::string dir_;
  mutable std::mutex mu_;  // serialises saves of one store
};

// Group names follow the rules of stream names.
Status ValidateGroupName(std::string_view group);

}  // namespace eventlake::log
