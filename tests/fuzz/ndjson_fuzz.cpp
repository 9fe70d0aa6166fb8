// Fuzzes the plain JSON and NDJSON wrappers of EventDecoder
// (src/ingest/event_decoder.h). Every accepted item must carry a JSON object
// as its data (checked by parsing it again), one item per non-blank line at
// most, and every rejected item a problem pointing at its line or element.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/clock.h"
#include "core/id.h"
#include "ingest/event_decoder.h"

namespace {

using eventlake::ingest::DecodedBody;
using eventlake::ingest::EventDecoder;
using eventlake::ingest::IngestLimits;

void CheckBody(const DecodedBody& body, size_t max_items) {
  static simdjson::dom::parser parser;
  if (body.items.size() > max_items) __builtin_trap();
  for (const auto& item : body.items) {
    if (!item.result.has_value()) {
      const auto& problem = item.result.error();
      if (problem.detail.empty()) __builtin_trap();
      if (body.per_item && (problem.pointer.empty() || problem.pointer[0] != '/')) __builtin_trap();
      continue;
    }
    const auto& event = *item.result;
    if (event.id.empty() || event.data_content_type != "application/json") __builtin_trap();
    simdjson::dom::element root;
    if (parser.parse(event.data).get(root) != simdjson::SUCCESS || !root.is_object()) {
      __builtin_trap();
    }
    if (event.data.find('\n') != std::string::npos) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static IngestLimits limits = [] {
    IngestLimits l;
    l.max_depth = 16;
    l.max_string_bytes = 256;
    l.max_events_per_batch = 32;
    return l;
  }();
  static EventDecoder decoder(limits);
  static eventlake::ManualClock clock;
  static eventlake::IdGenerator ids(clock);
  std::string_view input(reinterpret_cast<const char*>(data), size);
  eventlake::ingest::WrapOptions wrap;
  wrap.source = "/fuzz";
  wrap.type = "fuzz.event";
  wrap.clock = &clock;
  wrap.ids = &ids;
  if (size > 0 && data[0] % 2 == 0) wrap.id_field = "id";

  auto ndjson = decoder.DecodeNdjson(input, wrap);
  if (ndjson.has_value()) {
    CheckBody(*ndjson, limits.max_events_per_batch);
  } else if (ndjson.error().detail.empty()) {
    __builtin_trap();
  }
  auto plain = decoder.DecodePlainJson(input, wrap);
  if (plain.has_value()) {
    CheckBody(*plain, limits.max_events_per_batch);
  } else if (plain.error().detail.empty()) {
    __builtin_trap();
  }
  return 0;
}
