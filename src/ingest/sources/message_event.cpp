// Broker messages to CloudEvents. Wrapped messages go through the decoder's
// binary mode with eventlake's attributes as escaped ce-* headers: the
// payload is then checked (JSON limits, UTF-8) and its data stored exactly as
// an HTTP binary-mode request would be, and the attributes meet the same
// rules, without a second copy of those rules here.
#include "ingest/sources/message_event.h"

#include "ingest/attribute_rules.h"
#include "ingest/json_text.h"
#include "security/api_key.h"

namespace eventlake::ingest {
namespace {

constexpr std::string_view kJsonType = "application/json";
constexpr std::string_view kTextType = "text/plain; charset=utf-8";
constexpr std::string_view kBinaryType = "application/octet-stream";

std::string_view RawType(std::string_view payload) {
  if (payload.empty()) return "";
  return IsValidUtf8(payload) ? kTextType : kBinaryType;
}

bool IsValidString(std::string_view text, const IngestLimits& limits) {
  return !text.empty() && text.size() <= limits.max_attribute_bytes && IsValidUtf8(text) &&
         !FindDisallowedCharacter(text).has_value();
}

void AddPartitionKey(const MessageAttributes& attributes, CloudEvent* event) {
  if (attributes.partition_key.empty()) return;
  if (event->FindExtension(kPartitionKeyExtension) != nullptr) return;
  event->SetExtension(std::string(kPartitionKeyExtension), attributes.partition_key);
}

// An attribute eventlake sets that breaks max_attribute_bytes, said as such
// rather than as the header it travels in.
std::optional<IngestProblem> CheckLength(std::string_view name, std::string_view value,
                                         const IngestLimits& limits) {
  if (value.size() <= limits.max_attribute_bytes) return std::nullopt;
  return IngestProblem{ProblemType::kInvalidEvent,
                       "attribute '" + std::string(name) + "' is longer than " +
                           std::to_string(limits.max_attribute_bytes) + " bytes",
                       "/" + std::string(name)};
}

// Problems of binary mode name HTTP headers ("header ce-time ..."); a Kafka
// producer knows them as "ce_time".
IngestProblem AsKafkaHeaders(IngestProblem problem) {
  for (size_t at = problem.detail.find("header ce-"); at != std::string::npos;
       at = problem.detail.find("header ce-", at + 1)) {
    problem.detail[at + 9] = '_';
  }
  return problem;
}

}  // namespace

std::string_view MessageFormatName(MessageFormat format) {
  switch (format) {
    case MessageFormat::kAuto:
      return "auto";
    case MessageFormat::kCloudEvents:
      return "cloudevents";
    case MessageFormat::kJson:
      return "json";
    case MessageFormat::kRaw:
      return "raw";
  }
  return "?";
}

std::vector<std::pair<std::string, MessageFormat>> MessageFormatChoices() {
  return {{"auto", MessageFormat::kAuto},
          {"cloudevents", MessageFormat::kCloudEvents},
          {"json", MessageFormat::kJson},
          {"raw", MessageFormat::kRaw}};
}

std::string EscapeHeaderValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '%') {
      out += "%25";
    } else if (c == '"') {
      out += "%22";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string PartitionKeyFor(std::string_view key, const IngestLimits& limits) {
  if (key.empty() || IsValidString(key, limits)) return std::string(key);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (uint8_t byte : security::Sha256(key)) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 15]);
  }
  return out;
}

MessageEventDecoder::MessageEventDecoder(const IngestLimits& limits) : decoder_(limits) {}

MessageEventResult MessageEventDecoder::Decode(MessageFormat format, std::string_view payload,
                                               const MessageAttributes& attributes) {
  switch (format) {
    case MessageFormat::kCloudEvents:
      return Structured(payload, attributes);
    case MessageFormat::kJson:
      return Wrap(payload, kJsonType, attributes);
    case MessageFormat::kRaw:
      return Wrap(payload, RawType(payload), attributes);
    case MessageFormat::kAuto:
      break;
  }
  // A CloudEvent must have a "specversion" member: most payloads are spared
  // a parse as an event.
  if (payload.find("\"specversion\"") != std::string_view::npos) {
    MessageEventResult event = Structured(payload, attributes);
    if (event.has_value()) return event;
  }
  MessageEventResult json = Wrap(payload, kJsonType, attributes);
  if (json.has_value()) return json;
  const ProblemType problem = json.error().type;
  if (problem != ProblemType::kMalformedJson && problem != ProblemType::kInvalidUtf8) return json;
  return Wrap(payload, RawType(payload), attributes);
}

MessageEventResult MessageEventDecoder::Structured(std::string_view payload,
                                                   const MessageAttributes& attributes) {
  MessageEventResult event = decoder_.DecodeStructured(payload);
  if (event.has_value()) AddPartitionKey(attributes, &*event);
  return event;
}

MessageEventResult MessageEventDecoder::Wrap(std::string_view payload,
                                             std::string_view content_type,
                                             const MessageAttributes& attributes) {
  if (content_type == kJsonType && payload.empty()) {
    return std::unexpected(IngestProblem{ProblemType::kMalformedJson, "the payload is empty", ""});
  }
  const std::string id = !attributes.id.empty()      ? attributes.id
                         : attributes.ids != nullptr ? attributes.ids->Next()
                                                     : NewEventId();
  const std::vector<std::pair<std::string_view, std::string_view>> attrs = {
      {"id", id},
      {"source", attributes.source},
      {"type", attributes.type},
      {"subject", attributes.subject},
      {"partitionkey", attributes.partition_key}};
  std::vector<std::string> names;
  std::vector<std::string> values;
  for (const auto& [name, value] : attrs) {
    if (value.empty() && (name == "subject" || name == "partitionkey")) continue;
    if (auto problem = CheckLength(name, value, limits())) return std::unexpected(*problem);
    names.push_back("ce-" + std::string(name));
    values.push_back(EscapeHeaderValue(value));
  }
  std::vector<HeaderField> headers{{"ce-specversion", "1.0"}};
  for (size_t i = 0; i < names.size(); ++i) headers.push_back({names[i], values[i]});
  if (!content_type.empty()) headers.push_back({"content-type", content_type});
  MessageEventResult event = decoder_.DecodeBinary(headers, payload);
  if (!event.has_value()) return event;
  event->time = attributes.time;
  event->data_is_binary = content_type == kBinaryType;
  return event;
}

MessageEventResult MessageEventDecoder::DecodeBinary(std::span<const MessageAttribute> ce,
                                                     std::optional<std::string_view> content_type,
                                                     std::string_view payload,
                                                     const MessageAttributes& attributes) {
  std::vector<std::string> names;
  std::vector<std::string> values;
  names.reserve(ce.size());
  values.reserve(ce.size());
  for (const MessageAttribute& attribute : ce) {
    if (attribute.value.size() > limits().max_header_value_bytes) {
      return std::unexpected(
          IngestProblem{ProblemType::kHeaderTooLarge,
                        "header ce_" + std::string(attribute.name) + " is longer than " +
                            std::to_string(limits().max_header_value_bytes) + " bytes",
                        ""});
    }
    names.push_back("ce-" + std::string(attribute.name));
    values.push_back(EscapeHeaderValue(attribute.value));
  }
  std::vector<HeaderField> headers;
  headers.reserve(ce.size() + 1);
  for (size_t i = 0; i < names.size(); ++i) headers.push_back({names[i], values[i]});
  if (content_type.has_value()) headers.push_back({"content-type", *content_type});
  MessageEventResult event = decoder_.DecodeBinary(headers, payload);
  if (!event.has_value()) return std::unexpected(AsKafkaHeaders(std::move(event.error())));
  AddPartitionKey(attributes, &*event);
  return event;
}

}  // namespace eventlake::ingest
