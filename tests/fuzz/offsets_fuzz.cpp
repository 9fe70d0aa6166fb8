// Fuzzes the consumer group offsets file parser (OffsetStore::Decode in
// src/log/offset_store.h). It must never crash on any text, and whatever it
// accepts must encode to a file that decodes to the same offsets.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "log/offset_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using eventlake::log::OffsetStore;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  eventlake::Result<std::vector<uint64_t>> offsets = OffsetStore::Decode(input);
  if (!offsets.has_value()) {
    if (offsets.error().code() != eventlake::StatusCode::kCorruption) __builtin_trap();
    return 0;
  }
  std::string encoded = OffsetStore::Encode(*offsets);
  // Decode accepts exactly Encode's output, with or without its final newline.
  if (encoded != input && encoded.substr(0, encoded.size() - 1) != input) __builtin_trap();
  eventlake::Result<std::vector<uint64_t>> again = OffsetStore::Decode(encoded);
  if (!again.has_value() || *again != *offsets) __builtin_trap();
  return 0;
}
