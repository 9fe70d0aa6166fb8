// Fuzzes the CloudEvents Kafka binding (src/ingest/sources/kafka_binding.h)
// with what a broker could hand the kafka source. Input: one byte choosing
// the source's format (mod 4: auto, cloudevents, json, raw), then a header
// block ("name=value" lines; a line without '=' is a header with a null
// value; the line "key=..." is the record key instead), a blank line, and
// the record value. Any bytes must give either an event with the required
// attributes inside the limits, or a problem with a detail.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "ingest/sources/kafka_binding.h"

namespace {

using eventlake::ingest::KafkaHeader;
using eventlake::ingest::KafkaRecord;

void ParseHeaders(std::string_view block, KafkaRecord* record) {
  while (!block.empty()) {
    size_t end = block.find('\n');
    std::string_view line = block.substr(0, end);
    block = end == std::string_view::npos ? std::string_view() : block.substr(end + 1);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      record->headers.push_back(KafkaHeader{line, std::nullopt});
    } else if (line.substr(0, eq) == "key") {
      record->key = line.substr(eq + 1);
    } else {
      record->headers.push_back(KafkaHeader{line.substr(0, eq), line.substr(eq + 1)});
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace eventlake::ingest;  // NOLINT: a fuzz target's one function
  static IngestLimits limits = [] {
    IngestLimits l;
    l.max_attribute_bytes = 128;
    l.max_string_bytes = 512;
    l.max_depth = 16;
    return l;
  }();
  static MessageEventDecoder decoder(limits);
  if (size == 0) return 0;
  static constexpr MessageFormat kFormats[] = {MessageFormat::kAuto, MessageFormat::kCloudEvents,
                                               MessageFormat::kJson, MessageFormat::kRaw};
  KafkaEventDefaults defaults{.source = "/eventlake/sources/fuzz",
                              .type = "fuzz.record",
                              .format = kFormats[data[0] % 4],
                              .now = 1'700'000'000'000'000};
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t split = input.find("\n\n");
  KafkaRecord record{.topic = "orders", .partition = 3, .offset = 42};
  ParseHeaders(input.substr(0, split), &record);
  record.value = split == std::string_view::npos ? "" : input.substr(split + 2);

  MessageEventResult event = KafkaRecordToEvent(decoder, record, defaults);
  if (event.has_value()) {
    if (event->id.empty() || event->source.empty() || event->type.empty()) __builtin_trap();
    if (event->spec_version != "1.0") __builtin_trap();
    if (event->id.size() > limits.max_attribute_bytes) __builtin_trap();
  } else if (event.error().detail.empty()) {
    __builtin_trap();
  }
  return 0;
}
