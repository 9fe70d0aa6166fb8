// Kafka records to CloudEvents, per the Kafka protocol binding.
#include "ingest/sources/kafka_binding.h"

#include "ingest/attribute_rules.h"

namespace eventlake::ingest {
namespace {

constexpr std::string_view kCePrefix = "ce_";

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

std::optional<std::string_view> FindHeader(const KafkaRecord& record, std::string_view name) {
  for (const KafkaHeader& header : record.headers) {
    if (EqualsIgnoreCase(header.name, name) && header.value.has_value()) return header.value;
  }
  return std::nullopt;
}

bool HasHeader(const KafkaRecord& record, std::string_view name) {
  for (const KafkaHeader& header : record.headers) {
    if (header.name == name) return true;
  }
  return false;
}

MessageEventResult Unsupported(std::string detail) {
  return std::unexpected(IngestProblem{ProblemType::kUnsupportedMediaType, std::move(detail), ""});
}

MessageEventResult Structured(MessageEventDecoder& decoder, const KafkaRecord& record,
                              std::string_view content_type, const MessageAttributes& attributes) {
  const std::string_view essence = MediaTypeEssence(content_type);
  if (StartsWithIgnoreCase(essence, "application/cloudevents-batch")) {
    return Unsupported("content-type " + std::string(essence) +
                       ": batches are not part of the Kafka binding; send one event per record");
  }
  if (!EqualsIgnoreCase(essence, "application/cloudevents+json")) {
    return Unsupported("content-type " + std::string(essence) +
                       ": only the JSON event format is read");
  }
  return decoder.Decode(MessageFormat::kCloudEvents, record.value, attributes);
}

MessageEventResult Binary(MessageEventDecoder& decoder, const KafkaRecord& record,
                          const MessageAttributes& attributes) {
  std::vector<MessageAttribute> ce;
  for (const KafkaHeader& header : record.headers) {
    if (!header.name.starts_with(kCePrefix)) continue;
    if (!header.value.has_value()) {
      return std::unexpected(IngestProblem{ProblemType::kInvalidEvent,
                                           "header " + std::string(header.name) + " is null", ""});
    }
    ce.push_back({header.name.substr(kCePrefix.size()), *header.value});
  }
  return decoder.DecodeBinary(ce, FindHeader(record, "content-type"), record.value, attributes);
}

}  // namespace

std::string KafkaEventId(std::string_view topic, int32_t partition, int64_t offset) {
  return std::string(topic) + "-" + std::to_string(partition) + "-" + std::to_string(offset);
}

MessageEventResult KafkaRecordToEvent(MessageEventDecoder& decoder, const KafkaRecord& record,
                                      const KafkaEventDefaults& defaults) {
  MessageAttributes attributes{
      .id = KafkaEventId(record.topic, record.partition, record.offset),
      .source = defaults.source,
      .type = defaults.type,
      .subject = std::string(record.topic),
      .partition_key = PartitionKeyFor(record.key.value_or(""), decoder.limits()),
      .time = record.timestamp.value_or(defaults.now)};
  if (defaults.format == MessageFormat::kJson || defaults.format == MessageFormat::kRaw) {
    return decoder.Decode(defaults.format, record.value, attributes);
  }
  std::optional<std::string_view> content_type = FindHeader(record, "content-type");
  if (content_type.has_value() &&
      StartsWithIgnoreCase(MediaTypeEssence(*content_type), "application/cloudevents")) {
    return Structured(decoder, record, *content_type, attributes);
  }
  if (HasHeader(record, "ce_specversion")) return Binary(decoder, record, attributes);
  return decoder.Decode(defaults.format, record.value, attributes);
}

}  // namespace eventlake::ingest
