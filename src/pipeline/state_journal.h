// A step's state file: CRC32C-framed records, each written with one
// write and synced before Append returns, so that what a step said it
// holds survives a crash. Open reads the frames back and cuts a torn tail
// (a frame a crash or a failed write left short or garbled: the batch it
// belonged to had not been answered, so it runs again). Rewrite replaces
// the whole file by one frame (a compaction), atomically. The format is
// in docs/formats/window.md.
//
// Not thread-safe: its step's lock covers it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/file.h"
#include "core/status.h"

namespace eventlake::pipeline {

inline constexpr char kStateJournalMagic[8] = {'E', 'L', 'S', 'T', 'A', 'T', 'E', '1'};
inline constexpr size_t kStateFrameHeader = 8;             // u32 masked crc32c, u32 length
inline constexpr uint32_t kMaxStateFrame = 1u << 30;        // 1 GiB

class StateJournal {
 public:
  // Opens `path` (created when missing), filling `frames` with the
  // payloads of its valid frames in order; a file that does not start with
  // the magic is renamed to <path>.corrupt and a new one begun.
  static Result<std::unique_ptr<StateJournal>> Open(const std::string& path, std::vector<std::string>* frames);

  // Durable when OK. After an error the file may end in a torn frame: the
  // caller rewrites it before appending again.
  Status Append(std::string_view frame);
  // The file becomes the header and this one frame (written to <path>.tmp,
  // synced, renamed over it).
  Status Rewrite(std::string_view frame);

  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  StateJournal(std::string path, FileHandle file, uint64_t size)
      : path_(std::move(path)), file_(std::move(file)), size_(size) {}

  std::string path_;
  FileHandle file_;
  uint64_t size_;  // bytes of valid frames, with the header
};

}  // namespace eventlake::pipeline
