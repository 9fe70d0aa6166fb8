// How one message of a broker (an MQTT PUBLISH, a Kafka record) becomes a
// CloudEvent, shared by the mqtt and kafka sources so that both read payloads
// the same way and under the same IngestLimits as the HTTP gateway (every
// JSON payload goes through EventDecoder).
//
// Formats (the `format` option of both sources):
// - cloudevents: the payload is one event in the CloudEvents JSON format
//   (structured mode); anything else is rejected.
// - json: the payload is a JSON value; it becomes the `data` of a new event
//   (datacontenttype application/json, the JSON text with whitespace removed).
// - raw: the payload's bytes are the `data` of a new event: valid UTF-8 as
//   text ("text/plain; charset=utf-8"), anything else as binary
//   ("application/octet-stream", data_is_binary). An empty payload gives an
//   event without data.
// - auto: a payload that is a valid structured CloudEvent is taken as it is;
//   else one that parses as JSON is wrapped as `json`; else it is wrapped as
//   `raw`. A payload that is JSON but breaks a limit (too deep, a string too
//   long) is rejected, not stored as text.
//
// New events get their context attributes from MessageAttributes. An event
// taken from the payload keeps its own; it only gains the partition key as
// the `partitionkey` extension when it has none.
#pragma once

#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/cloud_event.h"
#include "core/id.h"
#include "ingest/event_decoder.h"
#include "ingest/ingest_limits.h"
#include "ingest/problem_type.h"

namespace eventlake::ingest {

enum class MessageFormat { kAuto, kCloudEvents, kJson, kRaw };

// "auto", "cloudevents", "json", "raw".
std::string_view MessageFormatName(MessageFormat format);
// The choices of a config table's Enum(), in that order.
std::vector<std::pair<std::string, MessageFormat>> MessageFormatChoices();

// What eventlake gives an event it makes from a message.
struct MessageAttributes {
  std::string id;             // "" = a new UUIDv7 from `ids` (NewEventId() when ids is null)
  std::string source;         // required
  std::string type;           // required
  std::string subject;        // "" = none
  std::string partition_key;  // "" = none; else the `partitionkey` extension
  TimestampMicros time = 0;
  IdGenerator* ids = nullptr;
};

// One attribute of a binary-mode message (Kafka header "ce_<name>"), its
// name without the prefix and its value as sent (UTF-8, not percent-encoded).
struct MessageAttribute {
  std::string_view name;
  std::string_view value;
};

using MessageEventResult = std::expected<CloudEvent, IngestProblem>;

// Not thread-safe: one per source thread, reused (see EventDecoder).
class MessageEventDecoder {
 public:
  explicit MessageEventDecoder(const IngestLimits& limits);

  const IngestLimits& limits() const { return decoder_.limits(); }

  // A payload under `format` (see the top of this file).
  MessageEventResult Decode(MessageFormat format, std::string_view payload,
                            const MessageAttributes& attributes);

  // A payload in binary mode: context attributes from `ce` (every name at
  // most once; datacontenttype must not be among them), datacontenttype
  // from `content_type`, data from the payload; the JSON format's rules
  // apply to each value. `attributes` only gives the partition key.
  MessageEventResult DecodeBinary(std::span<const MessageAttribute> ce,
                                  std::optional<std::string_view> content_type,
                                  std::string_view payload, const MessageAttributes& attributes);

 private:
  // Structured mode: the event, or why the payload is not a valid one.
  MessageEventResult Structured(std::string_view payload, const MessageAttributes& attributes);
  // A new event whose data is the payload under `content_type` ("" = no data).
  MessageEventResult Wrap(std::string_view payload, std::string_view content_type,
                          const MessageAttributes& attributes);

  EventDecoder decoder_;
};

// A message key (any bytes) as a `partitionkey` value: the key itself when
// it is a valid CloudEvents String of at most max_attribute_bytes, else
// "sha256:<hex of its SHA-256>", so that equal keys still give equal values.
// "" for an empty key.
std::string PartitionKeyFor(std::string_view key, const IngestLimits& limits);

// `value` made safe to pass through DecodeHeaderValue unchanged: '%' and '"'
// percent-encoded.
std::string EscapeHeaderValue(std::string_view value);

}  // namespace eventlake::ingest
