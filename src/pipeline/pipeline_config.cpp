// The pipelines option table and the readers of its steps and sinks.
#include "pipeline/pipeline_config.h"

#include <algorithm>

#include "pipeline/schedule.h"
#include "pipeline/sink_factory.h"
#include "pipeline/step_factory.h"

namespace eventlake::pipeline {
namespace {

const config::Table<ObjectsTriggerConfig>& ObjectsTable() {
  static const auto& table =
      (new config::Table<ObjectsTriggerConfig>(
           "pipelines[].trigger.objects",
           "New objects as the trigger: each new object (or one rewritten: another etag or size) becomes one "
           "`eventlake.object.created` event of the stream `<pipeline>.objects`, once, across restarts too; "
           "`function` steps get them in the S3 event shape (docs/pipelines.md)."))
          ->Field("prefix", &ObjectsTriggerConfig::prefix,
                  "A key prefix of the lake's object store (local or S3), e.g. `landing/uploads/` (or give zone).")
          .Field("zone", &ObjectsTriggerConfig::zone,
                 "A zone whose tables' new Parquet data files are the objects (or give prefix).")
          .Field("poll", &ObjectsTriggerConfig::poll, "How often the prefix is listed.", {.min = 10, .max = 3'600'000})
          .Field("existing", &ObjectsTriggerConfig::existing,
                 "At the pipeline's first start, the objects already there are events too (else only later ones).")
          .Field("max_objects", &ObjectsTriggerConfig::max_objects,
                 "New objects per poll at most; the others are events at the next polls.", {.min = 1, .max = 100'000})
          .Field("max_key_length", &ObjectsTriggerConfig::max_key_length,
                 "Objects with longer keys are skipped (counted in eventlake_pipeline_objects_dropped_total).",
                 {.min = 1, .max = 4096});
  return table;
}

const config::Table<PipelineTriggerConfig>& TriggerTable() {
  static const auto& table =
      (new config::Table<PipelineTriggerConfig>(
           "pipelines[].trigger",
           "What starts the pipeline: a stream it reads with the consumer group `pipeline-<name>`, in "
           "micro-batches cut at whichever limit comes first; a schedule, at whose firings a query's rows "
           "are the batch; or new objects, as events of the stream `<pipeline>.objects`."))
          ->Field("stream", &PipelineTriggerConfig::stream, "The stream to read (or give schedule or objects).")
          .Section("objects", &PipelineTriggerConfig::objects, ObjectsTable())
          .Field("schedule", &PipelineTriggerConfig::schedule,
                 "When a scheduled pipeline runs, in UTC: a cron expression (`0 * * * *`), `@hourly`-style "
                 "macros, `rate(5 minutes)` or `@every 90s`.")
          .Field("query", &PipelineTriggerConfig::query,
                 "A scheduled pipeline's SQL over the lake's tables (as POST /v1/query); its rows are the batch.")
          .Field("max_records", &PipelineTriggerConfig::max_records, "Records per batch at most.",
                 {.min = 1, .max = 1'000'000})
          .Field("max_bytes", &PipelineTriggerConfig::max_bytes, "Bytes of events per batch at most.",
                 {.min = 1024, .bytes = true})
          .Field("max_wait", &PipelineTriggerConfig::max_wait,
                 "How long a batch waits for more records after its first.", {.max = 600'000});
  return table;
}

const config::Table<PipelineErrorConfig>& ErrorTable() {
  static const auto& table =
      (new config::Table<PipelineErrorConfig>(
           "pipelines[].on_error",
           "Retries of a failing step: the batch, then its halves (bisection), then each record alone; what "
           "still fails goes to the dead-letter stream with the step, the error and the attempts."))
          ->Field("max_attempts", &PipelineErrorConfig::max_attempts, "Tries of a batch, and of a record alone.",
                  {.min = 1, .max = 100})
          .Field("backoff", &PipelineErrorConfig::backoff, "The wait before the second try; doubles each try.")
          .Field("max_backoff", &PipelineErrorConfig::max_backoff, "The longest wait between tries.")
          .Field("jitter", &PipelineErrorConfig::jitter, "Each wait is the backoff times [1 - jitter, 1 + jitter].",
                 {.min = 0, .max = 1})
          .Field("max_record_age", &PipelineErrorConfig::max_record_age,
                 "A record older than this (since it was appended) is dead-lettered without more tries.",
                 {.min = 1})
          .Field("dead_letter_stream", &PipelineErrorConfig::dead_letter_stream,
                 "The dead-letter stream; empty: `<pipeline>.dlq`, created by the first dead letter.");
  return table;
}

}  // namespace

const config::Table<PipelineConfig>& PipelineConfigTable() {
  static const auto& table =
      (new config::Table<PipelineConfig>(
           "pipelines[]", "Pipelines: a trigger, steps run in order on each batch, and sinks (docs/pipelines.md)."))
          ->Field("name", &PipelineConfig::name, "The pipeline's name.", {.required = true})
          .Section("trigger", &PipelineConfig::trigger, TriggerTable(), {.required = true})
          .Yaml("steps", &PipelineConfig::steps,
                "The steps, in order: a list of one-key maps `- <kind>: <spec>` (validate, filter, map, mask, "
                "dedup, route, sql, lua, function, http, enrich; docs/pipelines.md).")
          .Yaml("sinks", &PipelineConfig::sinks,
                "Where the events go (fan-out): a list of `- table: <zone.table>` (or `{name, mode: overwrite}` in "
                "a scheduled pipeline), `- stream: <name>`, `- webhook: <url> | {...}` and `- kafka: {...}` "
                "(docs/pipelines.md).")
          .Section("on_error", &PipelineConfig::on_error, ErrorTable());
  return table;
}

nlohmann::json PipelineConfigJson(const PipelineConfig& c) {
  using config::FormatDuration;
  const PipelineTriggerConfig& t = c.trigger;
  nlohmann::json trigger = nlohmann::json::object();
  if (!t.schedule.empty()) {
    trigger = {{"schedule", t.schedule}, {"query", t.query}};
  } else {
    trigger = {{"max_records", t.max_records},
               {"max_bytes", std::to_string(t.max_bytes)},
               {"max_wait", FormatDuration(t.max_wait)}};
    if (t.objects.enabled()) {
      const ObjectsTriggerConfig& o = t.objects;
      trigger["objects"] = {{o.zone.empty() ? "prefix" : "zone", o.zone.empty() ? o.prefix : o.zone},
                            {"poll", FormatDuration(o.poll)},
                            {"existing", o.existing},
                            {"max_objects", o.max_objects},
                            {"max_key_length", o.max_key_length}};
    } else {
      trigger["stream"] = t.stream;
    }
  }
  const PipelineErrorConfig& e = c.on_error;
  return {{"name", c.name},
          {"trigger", std::move(trigger)},
          {"steps", c.steps},
          {"sinks", c.sinks},
          {"on_error",
           {{"max_attempts", e.max_attempts},
            {"backoff", FormatDuration(e.backoff)},
            {"max_backoff", FormatDuration(e.max_backoff)},
            {"jitter", e.jitter},
            {"max_record_age", FormatDuration(e.max_record_age)},
            {"dead_letter_stream", e.dead_letter_stream}}}};
}

Result<PipelineConfig> ParsePipelineConfig(std::string_view yaml, const std::string& path) {
  YAML::Node node;
  try {
    node = YAML::Load(std::string(yaml));
  } catch (const std::exception& e) {
    return Err(InvalidArgument(path + ": " + e.what()));
  }
  PipelineConfig config;
  EL_RETURN_IF_ERROR(PipelineConfigTable().Parse(node, path, &config));
  return config;
}

namespace {

// The entries of a list of one-key maps, as (kind, spec, path).
Result<std::vector<StepSpec>> OneKeyMaps(const nlohmann::json& list, const std::string& path) {
  std::vector<StepSpec> out;
  if (list.is_null()) return out;
  if (!list.is_array()) return Err(InvalidArgument(path + ": expected a list"));
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string item = path + "[" + std::to_string(i) + "]";
    if (!list[i].is_object() || list[i].size() != 1) {
      return Err(InvalidArgument(item + ": expected a map with one key, the kind (`- sql: ...`)"));
    }
    const auto& [kind, spec] = *list[i].items().begin();
    out.push_back({.kind = kind, .spec = spec, .path = item + "." + kind});
  }
  return out;
}

}  // namespace

Result<std::vector<StepSpec>> StepSpecs(const PipelineConfig& config, const std::string& path) {
  return OneKeyMaps(config.steps, path + ".steps");
}

Result<std::vector<SinkSpec>> SinkSpecs(const PipelineConfig& config, const std::string& path) {
  EL_ASSIGN_OR_RETURN(std::vector<StepSpec> entries, OneKeyMaps(config.sinks, path + ".sinks"));
  std::vector<SinkSpec> sinks;
  for (const StepSpec& entry : entries) {
    SinkSpec sink{.spec = entry.spec, .path = entry.path};
    if (entry.kind == "table") {
      sink.kind = SinkKind::kTable;
    } else if (entry.kind == "stream") {
      sink.kind = SinkKind::kStream;
    } else if (entry.kind == "webhook" || entry.kind == "kafka") {
      sink.kind = entry.kind == "webhook" ? SinkKind::kWebhook : SinkKind::kKafka;
      sinks.push_back(std::move(sink));  // its options: sink_factory.h's CheckSinkSpec
      continue;
    } else {
      return Err(InvalidArgument(entry.path + ": unknown sink kind (table, stream, webhook, kafka)"));
    }
    nlohmann::json name = entry.spec;
    if (sink.kind == SinkKind::kTable && entry.spec.is_object()) {  // {name, mode: append | overwrite}
      for (const auto& [key, value] : entry.spec.items()) {
        if (key != "name" && key != "mode") return Err(InvalidArgument(entry.path + "." + key + ": unknown key (name, mode)"));
      }
      name = entry.spec.value("name", nlohmann::json());
      const nlohmann::json mode = entry.spec.value("mode", nlohmann::json("append"));
      if (mode != "append" && mode != "overwrite") {
        return Err(InvalidArgument(entry.path + ".mode: expected append or overwrite"));
      }
      sink.overwrite = mode == "overwrite";
    }
    if (!name.is_string() || name.get<std::string>().empty()) {
      return Err(InvalidArgument(entry.path + ": expected the " + entry.kind + "'s name"));
    }
    sink.target = name.get<std::string>();
    sinks.push_back(std::move(sink));
  }
  return sinks;
}

Status ValidatePipelineConfig(const PipelineConfig& config, const std::string& path) {
  if (config.name.empty() || config.name.find_first_of("/ ") != std::string::npos) {
    return InvalidArgument(path + ".name: must be non-empty, without '/' or spaces");
  }
  const PipelineTriggerConfig& t = config.trigger;
  if (int{!t.stream.empty()} + int{!t.schedule.empty()} + int{t.objects.enabled()} != 1) {
    return InvalidArgument(path + ".trigger: give exactly one of stream, schedule and objects");
  }
  if (!t.objects.prefix.empty() && !t.objects.zone.empty()) {
    return InvalidArgument(path + ".trigger.objects: give one of prefix and zone");
  }
  if (t.objects.prefix.starts_with("/") || t.objects.prefix.find("..") != std::string::npos) {
    return InvalidArgument(path + ".trigger.objects.prefix: a key prefix, without a leading '/' or '..'");
  }
  if (t.objects.zone.find('/') != std::string::npos) {
    return InvalidArgument(path + ".trigger.objects.zone: a zone's name, without '/'");
  }
  if (!t.schedule.empty()) {
    auto schedule = Schedule::Parse(t.schedule);
    if (!schedule.has_value()) return schedule.error().WithContext(path + ".trigger.schedule");
    if (t.query.empty()) return InvalidArgument(path + ".trigger.query: a scheduled pipeline needs a query");
  } else if (!t.query.empty()) {
    return InvalidArgument(path + ".trigger.query: only a scheduled pipeline has a query");
  }
  EL_ASSIGN_OR_RETURN(std::vector<StepSpec> steps, StepSpecs(config, path));
  for (const StepSpec& step : steps) EL_RETURN_IF_ERROR(CheckStepSpec(step));
  EL_ASSIGN_OR_RETURN(std::vector<SinkSpec> sinks, SinkSpecs(config, path));
  if (sinks.empty()) return InvalidArgument(path + ".sinks: a pipeline needs at least one sink");
  for (const SinkSpec& sink : sinks) EL_RETURN_IF_ERROR(CheckSinkSpec(sink));
  for (const SinkSpec& sink : sinks) {
    if (sink.overwrite && t.schedule.empty()) {
      return InvalidArgument(sink.path + ".mode: overwrite is for scheduled pipelines (each run replaces the rows)");
    }
  }
  EL_ASSIGN_OR_RETURN(std::vector<std::string> routed, RouteTargets(steps));
  std::vector<std::string> names;
  for (const SinkSpec& sink : sinks) {
    EL_ASSIGN_OR_RETURN(std::string name, SinkName(sink));
    names.push_back(std::move(name));
  }
  for (const std::string& name : routed) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      return InvalidArgument(path + ".steps: a route names " + name + ", which is none of the pipeline's sinks");
    }
  }
  return Status::Ok();
}

}  // namespace eventlake::pipeline
