// The `pipelines:` section of eventlake.yaml (issue 6):
//
//   pipelines:
//     - name: clicks_to_lake
//       trigger: { stream: clicks, max_records: 1000, max_bytes: 4MiB, max_wait: 1s }
//       # or: trigger: { schedule: "@hourly", query: "SELECT ... FROM curated.clicks" }
//       # or: trigger: { objects: { prefix: landing/uploads/, poll: 1s } }  (or {zone: raw})
//       steps:
//         - validate: schemas/click.json         # a JSON Schema file, or {schema: {...}}
//         - filter: "price > 0"
//         - map: { rename: {ts: event_time}, drop: [debug], set: {v: 2}, cast: {price: double} }
//         - mask: { hash: [email], tokenize: [user.id], redact: [card], key_env: MASK_KEY }
//         - enrich: { file: lookups/users.csv, key: user_id, on: user.id, into: user }
//         - sql: "SELECT *, upper(country) AS country FROM batch"
//       on_error: { max_attempts: 3, backoff: 100ms, dead_letter_stream: clicks.dlq }
//       sinks:
//         - table: curated.clicks                 # or {name: analytics.x, mode: overwrite}
//         - stream: clicks_enriched
//         - webhook: https://example.com/hook     # or {url, headers, timeout, ...}
//         - kafka: { brokers: host:9092, topic: clicks }
//
// Steps and sinks are lists of one-key maps whose key is the kind; the
// table reference (docs/configuration.md) has the fixed keys, and
// docs/pipelines.md each kind's. StepSpecs and SinkSpecs read them, with
// errors naming their path ("pipelines[0].steps[2].map.cast.price: ...").
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config_table.h"
#include "core/status.h"

namespace eventlake::pipeline {

// The object-created trigger (object_lister.h): new objects under `prefix`
// of the lake's object store, or new data files of `zone`'s tables (one of
// the two), as events of the internal stream `<pipeline>.objects`.
struct ObjectsTriggerConfig {
  std::string prefix;
  std::string zone;
  std::chrono::milliseconds poll{1000};
  bool existing = false;
  uint32_t max_objects = 1000;
  uint32_t max_key_length = 1024;

  bool enabled() const { return !prefix.empty() || !zone.empty(); }
};

// One of `stream` (the stream trigger), `schedule` (the schedule trigger:
// at each firing, the rows of `query` over the lake are the batch) and
// `objects` (new objects; then the batch limits apply to their events).
struct PipelineTriggerConfig {
  std::string stream;
  ObjectsTriggerConfig objects;
  std::string schedule;  // schedule.h: "0 * * * *", "@hourly", "rate(5 minutes)"
  std::string query;     // SQL over the lake's tables, as POST /v1/query runs it
  uint32_t max_records = 1000;
  uint64_t max_bytes = 4ull << 20;
  std::chrono::milliseconds max_wait{1000};
};

struct PipelineErrorConfig {
  uint32_t max_attempts = 3;
  std::chrono::milliseconds backoff{100};
  std::chrono::milliseconds max_backoff{10'000};
  double jitter = 0.2;
  std::chrono::milliseconds max_record_age = std::chrono::hours(24 * 7);
  std::string dead_letter_stream;  // "" = "<pipeline>.dlq"
};

struct PipelineConfig {
  std::string name;
  PipelineTriggerConfig trigger;
  nlohmann::json steps = nlohmann::json::array();
  nlohmann::json sinks = nlohmann::json::array();
  PipelineErrorConfig on_error;

  // The object-created trigger's internal stream.
  std::string ObjectsStream() const { return name + ".objects"; }

  std::string DeadLetterStream() const {
    return on_error.dead_letter_stream.empty() ? name + ".dlq" : on_error.dead_letter_stream;
  }
};

const config::Table<PipelineConfig>& PipelineConfigTable();

// One step as configured: `- <kind>: <spec>`.
struct StepSpec {
  std::string kind;     // "validate", "sql", ...
  nlohmann::json spec;  // what follows the kind
  std::string path;     // "pipelines[0].steps[2].map", for errors
};

enum class SinkKind { kTable, kStream, kWebhook, kKafka };

struct SinkSpec {
  SinkKind kind = SinkKind::kTable;
  std::string target;   // the table ("curated.clicks") or the stream; "" for webhook and kafka
  nlohmann::json spec;  // what follows the kind (webhook, kafka: their options, sink_options.h)
  std::string path;     // "pipelines[0].sinks[1].webhook", for errors
  bool overwrite = false;  // a table's `mode: overwrite`: each run replaces its rows
};

// A pipeline as a JSON document in the config's own terms (durations as
// "100ms", every key written): what `eventlake apply` compares and what its
// versions keep. ParsePipelineConfig reads it (or any YAML of one pipeline)
// through the option table, with errors starting with `path`.
nlohmann::json PipelineConfigJson(const PipelineConfig& config);
Result<PipelineConfig> ParsePipelineConfig(std::string_view yaml, const std::string& path);

// `path` names the pipeline ("pipelines[0]"). InvalidArgument for an entry
// that is not a one-key map; the kinds themselves are checked where they
// are built (step_factory.h, sink_factory.h); a table or stream sink's name here.
Result<std::vector<StepSpec>> StepSpecs(const PipelineConfig& config, const std::string& path);
Result<std::vector<SinkSpec>> SinkSpecs(const PipelineConfig& config, const std::string& path);

// The name (no '/'), the steps' and sinks' shapes and kinds, and at least one sink;
// errors start with `path` ("pipelines[0]").
Status ValidatePipelineConfig(const PipelineConfig& config, const std::string& path);

}  // namespace eventlake::pipeline
