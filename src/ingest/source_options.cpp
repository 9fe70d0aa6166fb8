// The source options table and its checks.
#include "ingest/source_options.h"

#include <algorithm>
#include <set>

namespace eventlake::ingest {
namespace {

constexpr std::string_view kSourceTypes[] = {"http", "s3_notifications", "file_drop", "mqtt",
                                             "kafka"};

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

Status ValidateSchemaOptions(const SchemaOptions& schema) {
  if (schema.type.empty()) return InvalidArgument("type: must not be empty");
  if (schema.schema.empty() == schema.schema_file.empty()) {
    return InvalidArgument("give exactly one of schema (inline JSON) and schema_file");
  }
  return Status::Ok();
}

const config::Table<SchemaOptions>& SchemaOptionsTable() {
  using O = SchemaOptions;
  static const auto& table =
      (new config::Table<O>("schemas[]",
                            "A JSON Schema (draft 2020-12 subset, see docs/sources.md) for the "
                            "`data` of the source's events of one type."))
          ->Field("type", &O::type,
                  "CloudEvents `type` the schema applies to; `*` for every type without a "
                  "schema of its own.")
          .Field("schema", &O::schema, "The schema as inline JSON text.")
          .Field("schema_file", &O::schema_file, "Path of a file holding the schema.")
          .Check(&ValidateSchemaOptions);
  return table;
}

const config::Table<SourceDedupOptions>& DedupOptionsTable() {
  using O = SourceDedupOptions;
  static const auto& table =
      (new config::Table<O>("dedup",
                            "The dedup window: a retried event (same CloudEvents `source` and "
                            "`id`) is answered with the first copy's position instead of being "
                            "stored twice, also across restarts. One window per stream."))
          ->Field("enabled", &O::enabled, "Whether ids are remembered at all.")
          .Field("window", &O::window, "How long an id is remembered.",
                 {.min = 1000, .max = 30.0 * 86'400'000})
          .Field("max_entries", &O::max_entries,
                 "Most ids remembered; the oldest are forgotten first when full.",
                 {.min = 1, .max = 1e9});
  return table;
}

}  // namespace

std::string SourceOptions::DeadLetterStream() const {
  return dead_letter_stream.empty() ? stream + ".dlq" : dead_letter_stream;
}

std::string SourceEventSource(std::string_view name) {
  return "/eventlake/sources/" + std::string(name);
}

Status ValidateSourceOptions(const SourceOptions& options) {
  if (options.name.empty() || options.name.size() > 128 ||
      !std::all_of(options.name.begin(), options.name.end(), IsNameChar)) {
    return InvalidArgument("name: '" + options.name +
                           "' is not a valid source name (1 to 128 of a-z 0-9 _ - .)");
  }
  if (options.stream.empty()) return InvalidArgument("stream: required");
  if (std::find(std::begin(kSourceTypes), std::end(kSourceTypes), options.type) ==
      std::end(kSourceTypes)) {
    return InvalidArgument("type: unknown source type '" + options.type +
                           "' (http, s3_notifications, file_drop, mqtt, kafka)");
  }
  if (options.event_type.empty()) return InvalidArgument("event_type: must not be empty");
  std::set<std::string> types;
  for (size_t i = 0; i < options.schemas.size(); ++i) {
    std::string path = "schemas[" + std::to_string(i) + "]";
    Status s = ValidateSchemaOptions(options.schemas[i]);
    if (!s.ok()) return s.WithContext(path);
    if (!types.insert(options.schemas[i].type).second) {
      return InvalidArgument(path + ".type: '" + options.schemas[i].type + "' has two schemas");
    }
  }
  if (options.type == "file_drop" && options.file_drop.directory.empty()) {
    return InvalidArgument("file_drop.directory: required for a source of type file_drop");
  }
  if (options.type == "mqtt") {
    Status s = ValidateMqttOptions(options.mqtt);
    if (!s.ok()) return s.WithContext("mqtt");
  }
  if (options.type == "kafka") {
    Status s = ValidateKafkaOptions(options.kafka);
    if (!s.ok()) return s.WithContext("kafka");
  }
  if (options.DeadLetterStream() == options.stream) {
    return InvalidArgument("dead_letter_stream: must not be the source's own stream");
  }
  return Status::Ok();
}

const config::Table<SourceOptions>& SourceOptionsTable() {
  using O = SourceOptions;
  static const auto& table =
      (new config::Table<O>("sources[]",
                            "Where events come from: `POST /v1/sources/<name>/events` for every "
                            "source, plus a landing directory, an MQTT broker or Kafka topics "
                            "for the other types."))
          ->Field("name", &O::name,
                  "Name of the source, used in its URL (lower-case letters, digits, `_`, `-`, "
                  "`.`).",
                  {.required = true})
          .Field("stream", &O::stream, "The stream its events are appended to.", {.required = true})
          .Field("type", &O::type,
                 "The kind of source. Every kind takes events at `POST "
                 "/v1/sources/<name>/events` and bucket notifications at `POST "
                 "/v1/sources/<name>/s3`; `file_drop`, `mqtt` and `kafka` also fetch events "
                 "themselves, with the options of the section of the same name.",
                 {.choices = {"http", "s3_notifications", "file_drop", "mqtt", "kafka"}})
          .Field("event_type", &O::event_type,
                 "CloudEvents `type` of records eventlake wraps (plain JSON, NDJSON, CSV, broker "
                 "messages); a `ce-type` request header overrides it.")
          .Field("id_field", &O::id_field,
                 "Top-level member of a wrapped record holding its id (a string or an integer); "
                 "records without it are rejected. Empty: the `Idempotency-Key` header or a "
                 "fresh UUIDv7.")
          .List("schemas", &O::schemas, SchemaOptionsTable())
          .Enum("on_invalid", &O::on_invalid,
                "What happens to an event that breaks a CloudEvents rule or its schema: "
                "`reject` answers it as rejected (400), `dead_letter` stores it with the reason "
                "in the dead-letter stream and answers it as accepted there.",
                {{"reject", InvalidEventPolicy::kReject},
                 {"dead_letter", InvalidEventPolicy::kDeadLetter}})
          .Field("dead_letter_stream", &O::dead_letter_stream,
                 "The dead-letter stream; empty: `<stream>.dlq`, created when missing.")
          .Section("dedup", &O::dedup, DedupOptionsTable())
          .Section("limits", &O::limits, IngestLimitsTable())
          .Field("max_consumer_lag", &O::max_consumer_lag,
                 "Producers are answered 429 (with Retry-After) while a consumer group of the "
                 "stream is more than this many records behind; `0`: never.")
          .Section("file_drop", &O::file_drop, FileDropOptionsTable())
          .Section("mqtt", &O::mqtt, MqttOptionsTable())
          .Section("kafka", &O::kafka, KafkaOptionsTable())
          .Check(&ValidateSourceOptions);
  return table;
}

}  // namespace eventlake::ingest
