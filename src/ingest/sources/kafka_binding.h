// The CloudEvents Kafka protocol binding (version 1.0.2), for reading: how a
// Kafka record becomes a CloudEvent. Pure functions over a KafkaRecord (a
// view of a librdkafka message), so that they are tested without a broker.
//
// Modes (binding section 3), under the formats auto and cloudevents:
// - structured: the `content-type` header starts with
//   "application/cloudevents" (case-insensitive). Only +json is read; the
//   batch media type is not part of the Kafka binding and is rejected.
// - binary: a `ce_specversion` header is present. Every `ce_<name>` header is
//   the attribute <name>, its value taken as UTF-8 (not percent-encoded);
//   `content-type` is datacontenttype; the value is the data.
// - otherwise the value is read under the source's format (message_event.h),
//   with format cloudevents meaning "structured without the content-type".
// Under the formats json and raw the headers are not looked at.
//
// Events eventlake makes get: id "<topic>-<partition>-<offset>" (the same
// record read again, after a crash or a rebalance, gets the same id and is
// stored once by the sink's dedup), subject = the topic, time = the record's
// timestamp (its CreateTime or LogAppendTime; the time it was read if it has
// none). In every mode the record key becomes the `partitionkey` extension
// unless the event has one (PartitionKeyFor: hashed when not a valid String),
// so records with one key stay together in eventlake's partitions too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cloud_event.h"
#include "ingest/sources/message_event.h"

namespace eventlake::ingest {

struct KafkaHeader {
  std::string_view name;
  std::optional<std::string_view> value;  // Kafka allows null header values
};

// A consumed record; the views point into the librdkafka message.
struct KafkaRecord {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::optional<std::string_view> key;  // nullopt: a null key
  std::string_view value;               // a null value (tombstone) reads as empty
  std::vector<KafkaHeader> headers;
  std::optional<TimestampMicros> timestamp;
};

// What the source gives the events it makes.
struct KafkaEventDefaults {
  std::string source;  // "/eventlake/sources/<name>"
  std::string type;    // the source's event_type
  MessageFormat format = MessageFormat::kAuto;
  TimestampMicros now = 0;  // the time of a record without a timestamp
};

// "<topic>-<partition>-<offset>".
std::string KafkaEventId(std::string_view topic, int32_t partition, int64_t offset);

// The record as an event, or why it cannot be one.
MessageEventResult KafkaRecordToEvent(MessageEventDecoder& decoder, const KafkaRecord& record,
                                      const KafkaEventDefaults& defaults);

}  // namespace eventlake::ingest
