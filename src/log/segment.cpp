// Segment files: names, header, index encoding, and the buffered scanner.
#include "log/segment.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "log/record_format.h"

namespace eventlake::log {
namespace {

std::string SegmentPath(const std::string& dir, uint64_t base, const char* extension) {
  char name[64];
  std::snprintf(name, sizeof(name), "/%020llu.%s", static_cast<unsigned long long>(base),
                extension);
  return dir + name;
}

constexpr size_t kScanBufferBytes = 256 * 1024;

}  // namespace

std::string SegmentLogPath(const std::string& dir, uint64_t base) {
  return SegmentPath(dir, base, "log");
}
std::string SegmentIndexPath(const std::string& dir, uint64_t base) {
  return SegmentPath(dir, base, "idx");
}

bool ParseSegmentFileName(std::string_view name, std::string_view extension, uint64_t* base) {
  if (name.size() != 21 + extension.size() || name[20] != '.' ||
      name.substr(21) != extension) {
    return false;
  }
  std::string_view digits = name.substr(0, 20);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), *base);
  return ec == std::errc() && ptr == digits.data() + digits.size();
}

std::string EncodeSegmentHeader(uint64_t base_offset) {
  std::string header(kSegmentMagic);
  header.resize(kSegmentHeaderSize);
  PutFixed64(header.data() + 8, base_offset);
  return header;
}

Status CheckSegmentHeader(std::string_view header, uint64_t base_offset) {
  if (header.size() < kSegmentHeaderSize) return Corruption("segment header is incomplete");
  if (header.substr(0, 8) != kSegmentMagic) return Corruption("segment header has a bad magic");
  if (GetFixed64(header.data() + 8) != base_offset) {
    return Corruption("segment header's base offset differs from its file name");
  }
  return Status::Ok();
}

std::string EncodeIndex(uint64_t base_offset, const std::vector<IndexEntry>& entries) {
  std::string out(kIndexMagic);
  out.resize(kIndexHeaderSize + entries.size() * kIndexEntrySize);
  PutFixed64(out.data() + 8, base_offset);
  char* p = out.data() + kIndexHeaderSize;
  for (const IndexEntry& e : entries) {
    PutFixed32(p, e.relative_offset);
    PutFixed32(p + 4, e.position);
    PutFixed64(p + 8, static_cast<uint64_t>(e.append_time));
    p += kIndexEntrySize;
  }
  return out;
}

Result<std::vector<IndexEntry>> DecodeIndex(std::string_view contents, uint64_t base_offset,
                                            uint64_t segment_size) {
  if (contents.size() < kIndexHeaderSize || contents.substr(0, 8) != kIndexMagic ||
      GetFixed64(contents.data() + 8) != base_offset) {
    return Err(Corruption("index header is missing or wrong"));
  }
  if ((contents.size() - kIndexHeaderSize) % kIndexEntrySize != 0) {
    return Err(Corruption("index ends inside an entry"));
  }
  std::vector<IndexEntry> entries((contents.size() - kIndexHeaderSize) / kIndexEntrySize);
  const char* p = contents.data() + kIndexHeaderSize;
  for (size_t i = 0; i < entries.size(); ++i, p += kIndexEntrySize) {
    IndexEntry& e = entries[i];
    e.relative_offset = GetFixed32(p);
    e.position = GetFixed32(p + 4);
    e.append_time = static_cast<int64_t>(GetFixed64(p + 8));
    bool ordered = i == 0 || (e.relative_offset > entries[i - 1].relative_offset &&
                              e.position > entries[i - 1].position &&
                              e.append_time >= entries[i - 1].append_time);
    if (!ordered || e.position < kSegmentHeaderSize || e.position >= segment_size) {
      return Err(Corruption("index entry " + std::to_string(i) + " is out of order or bounds"));
    }
  }
  return entries;
}

uint64_t IndexPositionForOffset(const std::vector<IndexEntry>& index, uint64_t base_offset,
                                uint64_t offset) {
  uint64_t relative = offset - base_offset;
  auto it = std::upper_bound(
      index.begin(), index.end(), relative,
      [](uint64_t value, const IndexEntry& e) { return value < e.relative_offset; });
  return it == index.begin() ? kSegmentHeaderSize : std::prev(it)->position;
}

uint64_t IndexPositionForTime(const std::vector<IndexEntry>& index, int64_t time) {
  auto it = std::lower_bound(index.begin(), index.end(), time,
                             [](const IndexEntry& e, int64_t value) { return e.append_time < value; });
  return it == index.begin() ? kSegmentHeaderSize : std::prev(it)->position;
}

SegmentScanner::SegmentScanner(int fd, std::string path, uint64_t position, uint64_t limit)
    : fd_(fd), path_(std::move(path)), position_(position), limit_(limit) {}

// Makes at least `needed` bytes from position_ available in the buffer, or as
// many as remain before limit_. False on a read error.
bool SegmentScanner::Fill(size_t needed) {
  size_t available = buffer_end_ - buffer_start_;
  uint64_t remaining = limit_ - position_;
  size_t want = static_cast<size_t>(std::min<uint64_t>(needed, remaining));
  if (available >= want) return true;
  size_t capacity = std::max(kScanBufferBytes, want);
  if (buffer_.size() < capacity) buffer_.resize(capacity);
  std::copy(buffer_.begin() + buffer_start_, buffer_.begin() + buffer_end_, buffer_.begin());
  buffer_start_ = 0;
  buffer_end_ = available;
  uint64_t read_at = position_ + available;
  size_t to_read = static_cast<size_t>(
      std::min<uint64_t>(buffer_.size() - buffer_end_, limit_ - read_at));
  while (buffer_end_ - buffer_start_ < want && to_read > 0) {
    Result<size_t> n = PReadUpTo(fd_, buffer_.data() + buffer_end_, to_read, read_at, path_);
    if (!n.has_value()) {
      stop_ = Stop::kIOError;
      error_ = n.error().message();
      return false;
    }
    if (*n == 0) break;  // the file is shorter than limit_
    buffer_end_ += *n;
    read_at += *n;
    to_read -= *n;
  }
  return true;
}

bool SegmentScanner::Next(ScannedRecord* record) {
  if (stop_ != Stop::kNone) return false;
  if (position_ >= limit_) {
    stop_ = Stop::kEnd;
    return false;
  }
  if (!Fill(kRecordHeaderSize)) return false;
  std::string_view available(buffer_.data() + buffer_start_, buffer_end_ - buffer_start_);
  if (available.size() >= kRecordHeaderSize) {
    uint32_t length = GetFixed32(available.data() + 4);
    if (length <= kMaxRecordPayload && available.size() < kRecordHeaderSize + length) {
      if (!Fill(kRecordHeaderSize + length)) return false;
      available = std::string_view(buffer_.data() + buffer_start_, buffer_end_ - buffer_start_);
    }
  }
  DecodedFrame frame = DecodeFrame(available);
  switch (frame.status) {
    case FrameStatus::kOk:
      break;
    case FrameStatus::kEnd:
      stop_ = available.empty() ? Stop::kEnd : Stop::kTruncated;
      error_ = available.empty() ? "" : "unwritten (zero) bytes where a record should start";
      return false;
    case FrameStatus::kTruncated:
      stop_ = Stop::kTruncated;
      error_ = frame.error;
      return false;
    case FrameStatus::kCorrupt:
      stop_ = Stop::kCorrupt;
      error_ = frame.error;
      return false;
  }
  record->position = position_;
  record->offset = frame.offset;
  record->append_time = frame.append_time;
  record->payload = frame.payload;
  record->frame_size = frame.frame_size;
  position_ += frame.frame_size;
  buffer_start_ += frame.frame_size;
  return true;
}

}  // namespace eventlake::log
