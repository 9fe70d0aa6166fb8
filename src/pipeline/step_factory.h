// Steps from their configuration (pipeline_config.h's StepSpec): each
// kind's spec read with errors naming its path, then the step built.
//
//   validate: schemas/click.json      | {file: ...} | {schema: {...}}
//   filter:   "price > 0"
//   sql:      "SELECT ... FROM batch" | {sql: ..., memory_limit: 256MB,
//              window: {size: 1m, allowed_lateness: 30s, late: dead_letter|drop, max_events}}
//   map:      {rename: {a: b}, drop: [c], set: {d: 1}, cast: {e: integer}}
//   mask:     {hash: [email], tokenize: [user.id], redact: [card], key_env: VAR}
//   dedup:    data.order_id           | {key: [source, id], window: 10m, max_entries: 1000000}
//   route:    [{when: "region = 'eu'", to: [curated.eu]}] | {rules: [...], otherwise: [sinks]}
//   lua:      functions/enrich.lua    | {file | code, function, mode, timeout, memory_limit, allow}
//   function: {command: ./bootstrap, directory, handler, timeout, memory, concurrency, idle_timeout, environment}
//   http:     {url, timeout, allow_private, headers}
//   enrich:   {file: lookups/users.csv | table: curated.users, format, key, on, fields, into,
//              on_missing: keep|drop|fail, max_rows, reload}
//
// Files are read relative to the working directory, as the tables'
// schema_file. An enrich step's `table` needs the context's lake_files, a
// dedup step the context's state_dir. A mask's tokenize key comes from the
// environment variable key_env (at least 16 bytes), never from the file.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "core/status.h"
#include "pipeline/batch_runner.h"
#include "pipeline/enrich_step.h"
#include "pipeline/pipeline_config.h"

namespace eventlake::pipeline {

// The kinds this build knows, for messages.
const std::vector<std::string>& StepKinds();

// A known kind with a spec of the right shape (no file read, nothing built).
Status CheckStepSpec(const StepSpec& spec);

// Where a step runs: what functions are told about their events' origin.
struct StepContext {
  std::string stream;                  // the trigger stream (SQS eventSourceARN, receiptHandle)
  // The trigger is new objects (object_lister.h): function and http steps
  // get the S3 event shape instead of the SQS one.
  bool object_created = false;
  std::string region = "us-east-1";    // AWS_REGION and the ARNs functions see
  MetricsRegistry* metrics = nullptr;  // function and enrich metrics
  std::string pipeline;                // the metrics' label
  // A lake table's current Parquet files and version, for an enrich step's
  // `table`; the server gives it (this room cannot include the lake).
  LakeFilesFunction lake_files;
  // The pipeline's state directory (<data_dir>/state/pipelines/<name>)
  // and the step's place in its list: where a dedup step keeps its claims.
  std::string state_dir;
  size_t step_index = 0;
  // The trigger stream's group offsets (what will not be read again), for
  // a windowed sql step; empty for a scheduled pipeline (no windows there).
  std::function<Result<std::vector<uint64_t>>()> committed;
};

// The sinks the route steps among `specs` name, once each (for
// PipelineOptions::routed_sinks).
Result<std::vector<std::string>> RouteTargets(std::span<const StepSpec> specs);

// The step's function; it owns what the step needs (a SQL step's DuckDB,
// a function's processes) and is safe to call from several threads.
Result<StepFunction> BuildStep(const StepSpec& spec, const StepContext& context = {});

}  // namespace eventlake::pipeline
