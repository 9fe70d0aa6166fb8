// Fuzzes the event payload decoder (src/log/event_codec.h). Any bytes may be
// read back from a damaged segment, so DecodeEvent must never crash, and
// whatever it accepts must survive a round trip: the decoder is strict, so
// re-encoding reproduces the input exactly and decodes to the same event.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "log/event_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  eventlake::Result<eventlake::CloudEvent> event = eventlake::log::DecodeEvent(input);
  if (!event.has_value()) {
    if (event.error().code() != eventlake::StatusCode::kCorruption) __builtin_trap();
    return 0;
  }
  std::string encoded;
  eventlake::log::EncodeEvent(*event, &encoded);
  if (encoded.size() != eventlake::log::EncodedEventSize(*event)) __builtin_trap();
  if (encoded != input) __builtin_trap();
  eventlake::Result<eventlake::CloudEvent> again = eventlake::log::DecodeEvent(encoded);
  if (!again.has_value() || *again != *event) __builtin_trap();
  return 0;
}
