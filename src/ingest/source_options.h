// The options of one source (a `sources:` entry of eventlake.yaml) that the
// ingest room owns: which stream it feeds, how wrapped records get their
// CloudEvents attributes, how its events are validated, what happens to
// invalid ones, how long ids are remembered for dedup, and when producers are
// told to back off, and the section of its kind (file_drop, mqtt, kafka).
//
//   sources:
//     - name: web
//       stream: clicks
//       event_type: page.viewed        # type of wrapped plain JSON / NDJSON records
//       id_field: event_id             # their id (else Idempotency-Key, else a UUIDv7)
//       schemas:
//         - { type: page.viewed, schema_file: schemas/page_viewed.json }
//       on_invalid: dead_letter        # or reject (400)
//       dedup: { window: 10m }
//       limits: { max_body_bytes: 4MiB }
//       max_consumer_lag: 1000000      # 429 while a consumer group is this far behind
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/config_table.h"
#include "core/status.h"
#include "ingest/ingest_limits.h"
#include "ingest/sources/file_drop_options.h"
#include "ingest/sources/kafka_options.h"
#include "ingest/sources/mqtt_options.h"

namespace eventlake::ingest {

// What a source does with an event that breaks a CloudEvents rule or its schema.
enum class InvalidEventPolicy {
  kReject,      // answer it as rejected (HTTP 400 / a per-item rejection)
  kDeadLetter,  // store it, with the reason, in the source's dead-letter stream
};

// A JSON Schema for the data of events of one type ("*": every type without
// a schema of its own). Exactly one of `schema` (inline JSON text) and
// `schema_file` (a path, relative to the working directory) is set.
struct SchemaOptions {
  std::string type = "*";
  std::string schema;
  std::string schema_file;
};

struct SourceDedupOptions {
  bool enabled = true;
  std::chrono::milliseconds window{std::chrono::minutes(10)};
  uint64_t max_entries = 1'000'000;
};

struct SourceOptions {
  std::string name;
  std::string stream;
  // The kind of source: http and s3_notifications (only the HTTP endpoints),
  // file_drop, mqtt, kafka (which also run on their own).
  std::string type = "http";
  // CloudEvents `type` of records eventlake wraps (plain JSON, NDJSON, CSV,
  // broker messages); the `ce-type` header overrides it per request.
  std::string event_type = "eventlake.event";
  // Top-level member of a wrapped record that holds its id; "" = none.
  std::string id_field;
  std::vector<SchemaOptions> schemas;
  InvalidEventPolicy on_invalid = InvalidEventPolicy::kReject;
  // Where dead_letter puts invalid events; "" = "<stream>.dlq", created on start.
  std::string dead_letter_stream;
  SourceDedupOptions dedup;
  IngestLimits limits;
  // Producers get 429 while any consumer group of the stream lags more than
  // this many records; 0 = never.
  uint64_t max_consumer_lag = 0;

  // The section of the source's type (only that one is read).
  FileDropOptions file_drop;
  MqttOptions mqtt;
  KafkaOptions kafka;

  // The dead-letter stream's name (dead_letter_stream or "<stream>.dlq").
  std::string DeadLetterStream() const;
};

// The table of the keys above. Its checks: a valid name, exactly one of
// schema/schema_file per schema entry, no type listed twice, a known `type`
// whose section is given and valid when it needs one (file_drop, mqtt, kafka).
const config::Table<SourceOptions>& SourceOptionsTable();

// The same checks for options built in code.
Status ValidateSourceOptions(const SourceOptions& options);

// "/eventlake/sources/<name>": the CloudEvents source of records the source wraps.
std::string SourceEventSource(std::string_view name);

}  // namespace eventlake::ingest
