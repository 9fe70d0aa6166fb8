// Fuzzes the structured and batch decoders of EventDecoder
// (src/ingest/event_decoder.h) on arbitrary bytes. Any input must be either
// refused with a problem or give events that obey the CloudEvents rules, and
// every accepted event must survive a round trip through the structured
// writer (ToStructuredJson) unchanged.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/attribute_rules.h"
#include "ingest/cloudevent_json.h"
#include "ingest/event_decoder.h"

namespace {

using eventlake::CloudEvent;
using eventlake::ingest::EventDecoder;
using eventlake::ingest::EventResult;
using eventlake::ingest::IngestLimits;

IngestLimits SmallLimits() {
  IngestLimits limits;
  limits.max_depth = 16;
  limits.max_string_bytes = 512;
  limits.max_attribute_bytes = 128;
  limits.max_events_per_batch = 64;
  return limits;
}

void CheckProblem(const eventlake::ingest::IngestProblem& problem) {
  if (problem.detail.empty()) __builtin_trap();
  if (!problem.pointer.empty() && problem.pointer[0] != '/') __builtin_trap();
}

void CheckEvent(const CloudEvent& event, EventDecoder& again) {
  if (event.id.empty() || event.source.empty() || event.type.empty()) __builtin_trap();
  if (event.spec_version != "1.0") __builtin_trap();
  if (!event.data.empty() && !event.data_is_binary && !event.data_content_type) __builtin_trap();
  // The writer and the decoder agree on what is JSON data (IsJsonMediaType),
  // so every decoded event must read back identical.
  EventResult round_trip = again.DecodeStructured(eventlake::ingest::ToStructuredJson(event));
  if (!round_trip.has_value() || !(*round_trip == event)) __builtin_trap();
}

void CheckResult(const EventResult& result, EventDecoder& again) {
  if (result.has_value()) {
    CheckEvent(*result, again);
  } else {
    CheckProblem(result.error());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static EventDecoder decoder(SmallLimits());
  static EventDecoder again;  // default limits: what we wrote must read back
  std::string_view input(reinterpret_cast<const char*>(data), size);

  CheckResult(decoder.DecodeStructured(input), again);

  auto batch = decoder.DecodeBatch(input);
  if (!batch.has_value()) {
    CheckProblem(batch.error());
    return 0;
  }
  if (batch->items.size() > SmallLimits().max_events_per_batch) __builtin_trap();
  for (const auto& item : batch->items) {
    if (item.text.empty()) __builtin_trap();  // every element has text
    CheckResult(item.result, again);
  }
  return 0;
}
