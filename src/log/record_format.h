// Record framing of log segments (docs/formats/log.md, "Segment files"):
//
//   u32 masked crc32c | u32 payload length | u64 offset | i64 append time | payload
//
// The CRC covers the payload followed by the 20 header bytes after the CRC, so
// an appender checksums its payload before the log assigns offset and time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "log/event_codec.h"

namespace eventlake::log {

inline constexpr size_t kRecordHeaderSize = 24;
inline constexpr uint32_t kMaxRecordPayload = static_cast<uint32_t>(kMaxEventBytes);

// Fills the 24-byte header at `out` for a payload of `length` bytes whose
// crc32c (unmasked) is `payload_crc`.
void EncodeRecordHeader(uint32_t payload_crc, uint32_t length, uint64_t offset,
                        int64_t append_time, char* out);

enum class FrameStatus {
  kOk,         // a whole, valid frame
  kEnd,        // no frame here: end of buffer, or an all-zero header (unwritten space)
  kTruncated,  // the buffer ends inside the frame
  kCorrupt,    // a bad length or checksum
};

struct DecodedFrame {
  FrameStatus status = FrameStatus::kEnd;
  uint64_t offset = 0;
  int64_t append_time = 0;
  std::string_view payload;  // points into the decoded buffer
  size_t frame_size = 0;     // header + payload, when kOk
  const char* error = "";    // why, for kTruncated and kCorrupt
};

// Decodes the frame at the start of `buffer`.
DecodedFrame DecodeFrame(std::string_view buffer);

// Little-endian fixed-width helpers shared by the log's file formats.
void PutFixed32(char* out, uint32_t v);
void PutFixed64(char* out, uint64_t v);
uint32_t GetFixed32(const char* in);
uint64_t GetFixed64(const char* in);

}  // namespace eventlake::log
