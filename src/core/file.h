// Small, honest wrappers over POSIX files: every failure becomes a Status
// naming the path and errno (NotFound for a missing path, IOError otherwise); nothing is retried behind the caller's back
// (a failed fsync in particular is reported, never retried: see the log's
// failure rules in docs/formats/log.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace eventlake {

// An owned file descriptor, closed on destruction. Move-only.
class FileHandle {
 public:
  FileHandle() = default;
  explicit FileHandle(int fd) : fd_(fd) {}
  FileHandle(FileHandle&& other) noexcept : fd_(other.Release()) {}
  FileHandle& operator=(FileHandle&& other) noexcept;
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  ~FileHandle();

  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// open(2) with O_CLOEXEC added.
Result<FileHandle> OpenFile(const std::string& path, int flags, int mode = 0644);

// Writes all of `data` at the current position / at `offset`, looping over short writes.
Status WriteAll(int fd, std::string_view data, const std::string& path);
Status PWriteAll(int fd, std::string_view data, uint64_t offset, const std::string& path);
// Reads exactly `length` bytes at `offset`, or fewer at end of file.
Result<size_t> PReadUpTo(int fd, char* buffer, size_t length, uint64_t offset,
                         const std::string& path);

// Copies `length` bytes at `from` in `in` to `at` in `out`: in the kernel
// (copy_file_range, reflinks where the file system can) where the two files
// allow it, through a buffer where they do not. Corruption when `in` ends
// before `length` bytes.
Status CopyRange(int in, const std::string& in_path, uint64_t from, uint64_t length, int out,
                 const std::string& out_path, uint64_t at);

Status SyncData(int fd, const std::string& path);  // fdatasync
Status SyncFile(int fd, const std::string& path);  // fsync
// fsync of a directory, so that entries created, renamed or removed in it are durable.
Status SyncDirectory(const std::string& dir);

Result<uint64_t> FileSize(int fd, const std::string& path);
Status Truncate(int fd, uint64_t size, const std::string& path);

// Creates `dir` and missing parents (0755), fsyncing each parent it created into.
Status CreateDirectories(const std::string& dir);

// Whole-file helpers for small files (configs, offsets, metadata).
Result<std::string> ReadFile(const std::string& path);
// Writes `path` so that a crash leaves either the old or the new content:
// `path.tmp` is written and fsync'ed, renamed over `path`, and the directory fsync'ed.
Status WriteFileAtomically(const std::string& path, std::string_view content);

bool PathExists(const std::string& path);
// Names (not paths) of the entries of `dir`, sorted; NotFound when it does not exist.
Result<std::vector<std::string>> ListDirectory(const std::string& dir);
Status RemoveFile(const std::string& path);
// rename(2) followed by a sync of the destination's directory.
Status RenameDurably(const std::string& from, const std::string& to);

}  // namespace eventlake
