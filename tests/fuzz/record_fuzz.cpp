// Fuzzes the record frame decoder on arbitrary bytes: it must never read out
// of bounds, and what it accepts must re-encode to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "log/crc32c.h"
#include "log/record_format.h"

using namespace eventlake::log;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  DecodedFrame frame = DecodeFrame(input);
  if (frame.status != FrameStatus::kOk) return 0;
  if (frame.frame_size > size) __builtin_trap();
  std::string header(kRecordHeaderSize, '\0');
  EncodeRecordHeader(crc32c::Value(frame.payload), static_cast<uint32_t>(frame.payload.size()),
                     frame.offset, frame.append_time, header.data());
  if (header != input.substr(0, kRecordHeaderSize)) __builtin_trap();
  return 0;
}
