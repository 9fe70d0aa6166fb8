// Fuzzes what recovery and readers do with a segment file's bytes: the
// scanner (frame decoding, checksums, buffer refills) and the event decoder
// on every record it accepts. The input is the file after its 16-byte header.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

#include "log/event_codec.h"
#include "log/segment.h"

using eventlake::log::DecodeEvent;
using eventlake::log::ScannedRecord;
using eventlake::log::SegmentScanner;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static int fd = memfd_create("segment", 0);
  if (fd < 0) return 0;
  if (ftruncate(fd, 0) != 0) return 0;
  std::string contents = eventlake::log::EncodeSegmentHeader(0);
  contents.append(reinterpret_cast<const char*>(data), size);
  if (pwrite(fd, contents.data(), contents.size(), 0) != static_cast<ssize_t>(contents.size())) {
    return 0;
  }
  SegmentScanner scanner(fd, "fuzz", eventlake::log::kSegmentHeaderSize, contents.size());
  ScannedRecord record;
  uint64_t position = eventlake::log::kSegmentHeaderSize;
  while (scanner.Next(&record)) {
    if (record.position != position) __builtin_trap();  // frames are back to back
    position += record.frame_size;
    (void)DecodeEvent(record.payload);
  }
  if (scanner.stop() == SegmentScanner::Stop::kNone) __builtin_trap();
  if (scanner.position() != position) __builtin_trap();
  return 0;
}
