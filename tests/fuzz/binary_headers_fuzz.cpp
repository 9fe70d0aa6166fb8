// Fuzzes binary content mode and mode detection of EventDecoder
// (src/ingest/event_decoder.h). The input is split at the first blank line
// into a header block ("name: value" lines) and a body, then decoded as a
// whole request. Any bytes must be refused with a problem or give an event
// with the required attributes set.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "ingest/event_decoder.h"

namespace {

using eventlake::ingest::EventDecoder;
using eventlake::ingest::HeaderField;
using eventlake::ingest::IngestLimits;

std::vector<HeaderField> SplitHeaders(std::string_view block) {
  std::vector<HeaderField> headers;
  while (!block.empty()) {
    size_t end = block.find('\n');
    std::string_view line = block.substr(0, end);
    block = end == std::string_view::npos ? std::string_view() : block.substr(end + 1);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    headers.push_back({line.substr(0, colon), value});
  }
  return headers;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static EventDecoder decoder([] {
    IngestLimits limits;
    limits.max_header_value_bytes = 256;
    limits.max_attribute_bytes = 128;
    limits.max_string_bytes = 512;
    limits.max_depth = 16;
    return limits;
  }());
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t split = input.find("\n\n");
  std::string_view block = input.substr(0, split);
  std::string_view body = split == std::string_view::npos ? "" : input.substr(split + 2);
  std::vector<HeaderField> headers = SplitHeaders(block);

  auto event = decoder.DecodeBinary(headers, body);
  if (event.has_value()) {
    if (event->id.empty() || event->source.empty() || event->type.empty()) __builtin_trap();
    if (event->spec_version != "1.0") __builtin_trap();
    if (event->id.size() > 128 || event->source.size() > 128) __builtin_trap();
  } else if (event.error().detail.empty()) {
    __builtin_trap();
  }

  eventlake::ingest::WrapOptions wrap;
  wrap.source = "/fuzz";
  wrap.type = "fuzz";
  wrap.idempotency_key = "key";
  auto request = decoder.DecodeRequest(headers, body, wrap);
  if (request.has_value()) {
    if (!request->per_item && request->items.size() != 1) __builtin_trap();
  } else if (request.error().detail.empty()) {
    __builtin_trap();
  }
  return 0;
}
