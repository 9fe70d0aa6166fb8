// Record framing: encode and decode one frame.
#include "log/record_format.h"

#include <bit>
#include <cstring>

#include "log/crc32c.h"

namespace eventlake::log {

void PutFixed32(char* out, uint32_t v) { std::memcpy(out, &v, 4); }  // little-endian host
void PutFixed64(char* out, uint64_t v) { std::memcpy(out, &v, 8); }
uint32_t GetFixed32(const char* in) {
  uint32_t v;
  std::memcpy(&v, in, 4);
  return v;
}
uint64_t GetFixed64(const char* in) {
  uint64_t v;
  std::memcpy(&v, in, 8);
  return v;
}

static_assert(std::endian::native == std::endian::little, "the log format is little-endian");

void EncodeRecordHeader(uint32_t payload_crc, uint32_t length, uint64_t offset,
                        int64_t append_time, char* out) {
  PutFixed32(out + 4, length);
  PutFixed64(out + 8, offset);
  PutFixed64(out + 16, static_cast<uint64_t>(append_time));
  uint32_t crc = crc32c::Extend(payload_crc, out + 4, kRecordHeaderSize - 4);
  PutFixed32(out, crc32c::Mask(crc));
}

DecodedFrame DecodeFrame(std::string_view buffer) {
  DecodedFrame frame;
  if (buffer.empty()) return frame;  // kEnd
  if (buffer.size() < kRecordHeaderSize) {
    bool all_zero = buffer.find_first_not_of('\0') == std::string_view::npos;
    frame.status = all_zero ? FrameStatus::kEnd : FrameStatus::kTruncated;
    frame.error = "incomplete record header";
    return frame;
  }
  const char* header = buffer.data();
  uint32_t length = GetFixed32(header + 4);
  if (length == 0) {
    bool all_zero = buffer.substr(0, kRecordHeaderSize).find_first_not_of('\0') ==
                    std::string_view::npos;
    frame.status = all_zero ? FrameStatus::kEnd : FrameStatus::kCorrupt;
    frame.error = "record with an empty payload";
    return frame;
  }
  if (length > kMaxRecordPayload) {
    frame.status = FrameStatus::kCorrupt;
    frame.error = "record length over the 16 MiB limit";
    return frame;
  }
  if (buffer.size() - kRecordHeaderSize < length) {
    frame.status = FrameStatus::kTruncated;
    frame.error = "incomplete record payload";
    return frame;
  }
  std::string_view payload = buffer.substr(kRecordHeaderSize, length);
  uint32_t crc = crc32c::Extend(crc32c::Value(payload.data(), payload.size()), header + 4,
                                kRecordHeaderSize - 4);
  if (crc32c::Mask(crc) != GetFixed32(header)) {
    frame.status = FrameStatus::kCorrupt;
    frame.error = "record checksum mismatch";
    return frame;
  }
  frame.status = FrameStatus::kOk;
  frame.offset = GetFixed64(header + 8);
  frame.append_time = static_cast<int64_t>(GetFixed64(header + 16));
  frame.payload = payload;
  frame.frame_size = kRecordHeaderSize + length;
  return frame;
}

}  // namespace eventlake::log
