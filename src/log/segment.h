// One segment of a partition: its files (<base>.log and <base>.idx), its
// sparse index, and a buffered scanner over its records. Formats:
// docs/formats/log.md.
//
// A Segment object is shared (shared_ptr) between the partition and readers
// that are scanning it; retention may unlink its files while a reader still
// holds the descriptor, which stays valid until the last reference goes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/file.h"
#include "core/status.h"

namespace eventlake::log {

inline constexpr std::string_view kSegmentMagic = "ELOGSEG1";
inline constexpr std::string_view kIndexMagic = "ELOGIDX1";
inline constexpr size_t kSegmentHeaderSize = 16;
inline constexpr size_t kIndexHeaderSize = 16;
inline constexpr size_t kIndexEntrySize = 16;
// Record positions are u32 in the index.
inline constexpr uint64_t kMaxSegmentBytes = 2ull << 30;

struct IndexEntry {
  uint32_t relative_offset = 0;
  uint32_t position = 0;
  int64_t append_time = 0;
};

// "<dir>/00000000000000000042.log" and ".idx".
std::string SegmentLogPath(const std::string& dir, uint64_t base_offset);
std::string SegmentIndexPath(const std::string& dir, uint64_t base_offset);
// The base offset of a "<20 digits>.log" file name; false for any other name.
bool ParseSegmentFileName(std::string_view name, std::string_view extension, uint64_t* base);

// The 16-byte segment header.
std::string EncodeSegmentHeader(uint64_t base_offset);
Status CheckSegmentHeader(std::string_view header, uint64_t base_offset);

// Index file contents and their strict decoding (entries in bounds and ordered).
std::string EncodeIndex(uint64_t base_offset, const std::vector<IndexEntry>& entries);
Result<std::vector<IndexEntry>> DecodeIndex(std::string_view contents, uint64_t base_offset,
                                            uint64_t segment_size);

// The last entry at or before `offset` (by relative offset), or the start of
// the records when there is none.
uint64_t IndexPositionForOffset(const std::vector<IndexEntry>& index, uint64_t base_offset,
                                uint64_t offset);
// The last entry whose time is before `time`, or the start of the records.
uint64_t IndexPositionForTime(const std::vector<IndexEntry>& index, int64_t time);

// A record as seen by the scanner; `payload` is valid until the next Next().
struct ScannedRecord {
  uint64_t position = 0;
  uint64_t offset = 0;
  int64_t append_time = 0;
  std::string_view payload;
  uint64_t frame_size = 0;
};

// Reads records sequentially from a segment file with large preads.
class SegmentScanner {
 public:
  enum class Stop { kNone, kEnd, kTruncated, kCorrupt, kIOError };

  // Scans [position, limit) of the file open as `fd`; `fd` must outlive the scanner.
  SegmentScanner(int fd, std::string path, uint64_t position, uint64_t limit);

  // Fills `record` and returns true while whole valid records remain. Returns
  // false at `limit` (stop() == kEnd) or at the first frame that is not a
  // valid record (stop() says why; position() is where that frame starts).
  bool Next(ScannedRecord* record);

  Stop stop() const { return stop_; }
  const std::string& error() const { return error_; }
  uint64_t position() const { return position_; }

 private:
  bool Fill(size_t needed);

  int fd_;
  std::string path_;
  uint64_t position_;  // file position of the next frame
  uint64_t limit_;
  std::string buffer_;
  size_t buffer_start_ = 0;  // index in buffer_ of the byte at position_
  size_t buffer_end_ = 0;
  Stop stop_ = Stop::kNone;
  std::string error_;
};

// An open segment file and what the partition knows of it.
struct Segment {
  uint64_t base_offset = 0;
  std::string log_path;
  std::string index_path;
  FileHandle file;
  // Guarded by the partition's state lock:
  uint64_t size = 0;             // bytes readers may see (durable for the active segment)
  uint64_t next_offset = 0;      // one past the last record
  int64_t first_time = 0;        // append time of the first record (0 when empty)
  int64_t last_time = 0;         // append time of the last record
  std::vector<IndexEntry> index;
  bool sealed = false;

  bool empty() const { return next_offset == base_offset; }
};

}  // namespace eventlake::log
