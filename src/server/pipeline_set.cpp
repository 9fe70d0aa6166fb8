// PipelineSet: pipelines built from their configuration.
#include "server/pipeline_set.h"

#include <algorithm>
#include <filesystem>

#include "core/logging.h"
#include "lake/object_cache.h"
#include "pipeline/sink_factory.h"
#include "pipeline/step_factory.h"
#include "security/api_key.h"

namespace eventlake::server {
namespace {

// An enrich step's lookup table in the lake: the committed Parquet files of
// its latest snapshot (not the rows a sink still buffers), as local paths.
// A lake table's data files as local paths: in place on local storage,
// copies in `cache_dir` (fetched once each) for a lake in S3.
Result<pipeline::LookupFiles> LakeTableFiles(const lake::Lake& lake, const std::string& cache_dir,
                                             std::string_view table) {
  EL_ASSIGN_OR_RETURN(std::shared_ptr<const lake::TableSnapshot> snapshot, lake.Snapshot(table));
  EL_ASSIGN_OR_RETURN(std::string prefix, lake::TablePrefix(table));
  const std::optional<std::string> root = lake.LocalRoot();
  if (!root.has_value() && cache_dir.empty()) {
    return Err(FailedPrecondition("enrich from the lake table " + std::string(table) +
                                  ": the lake is in S3 and there is no cache directory"));
  }
  const std::string dir =
      (std::filesystem::absolute(root.value_or(cache_dir)) / prefix).lexically_normal().string();
  pipeline::LookupFiles files{.paths = {}, .version = snapshot->version};
  for (const auto& [path, add] : snapshot->files) {
    files.paths.push_back(dir + "/" + path);
    if (root.has_value()) continue;
    auto fetched = lake::CacheObject(lake.store(), prefix + "/" + path, files.paths.back());
    if (!fetched.has_value()) return Err(fetched.error().WithContext("enrich from " + std::string(table)));
  }
  return files;
}

// The bucket object-created events name: the S3 store's, or "eventlake"
// for a local lake.
std::string BucketOf(const lake::ObjectStore& store) {
  const std::string described = store.Describe();  // "s3://bucket/prefix at endpoint"
  if (!described.starts_with("s3://")) return "eventlake";
  const std::string rest = described.substr(5);
  return rest.substr(0, rest.find_first_of("/ "));
}

// A zone's new data files: its tables' Parquet files, not their commit logs.
bool IsZoneDataFile(std::string_view key) {
  return key.ends_with(".parquet") && key.find("/_delta_log/") == std::string_view::npos &&
         key.find("/_") == std::string_view::npos;
}

// The store's listing as the lister wants it. The ObjectStore has no
// etags: a digest of size and modification time stands in for one (it
// changes when the object is rewritten).
pipeline::ListObjectsFunction ListStore(lake::ObjectStore* store, bool zone) {
  return [store, zone](std::string_view prefix) -> Result<std::vector<pipeline::ListedObject>> {
    EL_ASSIGN_OR_RETURN(std::vector<lake::ObjectInfo> infos, store->List(prefix));
    std::vector<pipeline::ListedObject> out;
    for (lake::ObjectInfo& info : infos) {
      if (zone && !IsZoneDataFile(info.key)) continue;
      const std::string version = std::to_string(info.size) + ":" + std::to_string(info.modified_millis);
      out.push_back({.key = std::move(info.key),
                     .size = info.size,
                     .etag = security::HexOf(security::Sha256(version)).substr(0, 32),
                     .modified = info.modified_millis * 1000});
    }
    return out;
  };
}

}  // namespace

Result<std::unique_ptr<PipelineSet>> PipelineSet::Open(const std::vector<pipeline::PipelineConfig>& configs,
                                                       Deps deps) {
  auto set = std::unique_ptr<PipelineSet>(new PipelineSet(deps));
  std::vector<std::string> seen;
  for (size_t i = 0; i < configs.size(); ++i) {
    const std::string path = "pipelines[" + std::to_string(i) + "]";
    seen.push_back(configs[i].name);
    EL_ASSIGN_OR_RETURN(std::optional<pipeline::PipelineConfig> run, set->Reconcile(configs[i].name, &configs[i]));
    if (!run.has_value()) continue;
    auto built = set->Build(*run, path);
    if (!built.has_value()) return Err(built.error());
    set->running_.push_back(std::move(*built));
  }
  for (const std::string& name : set->versions_.Names()) {
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
    EL_ASSIGN_OR_RETURN(std::optional<pipeline::PipelineConfig> run, set->Reconcile(name, nullptr));
    if (!run.has_value()) continue;
    auto built = set->Build(*run, "pipeline " + name);
    if (!built.has_value()) {
      LogWarn("pipeline", "an applied pipeline cannot be built and does not run",
              {{"pipeline", name}, {"error", built.error().ToString()}});
      continue;
    }
    set->running_.push_back(std::move(*built));
  }
  return set;
}

Result<std::optional<pipeline::PipelineConfig>> PipelineSet::Reconcile(std::string_view name,
                                                                       const pipeline::PipelineConfig* config) {
  EL_ASSIGN_OR_RETURN(std::vector<PipelineVersion> versions, versions_.Load(name));
  const PipelineVersion* last_from_file = nullptr;
  for (const PipelineVersion& v : versions) {
    if (v.source == "config") last_from_file = &v;
  }
  const TimestampMicros now = SystemClock().NowMicros();
  if (config != nullptr) {
    const nlohmann::json json = pipeline::PipelineConfigJson(*config);
    if (last_from_file == nullptr || last_from_file->config != json) {  // new in the file, or edited there
      EL_RETURN_IF_ERROR(eventlake::internal::ToStatus(versions_.Record(name, versions.empty() ? "added" : "changed", "config", json, now)));
      return *config;
    }
  } else if (!versions.empty() && versions.back().source == "config" && versions.back().change != "removed") {
    // Taken out of the file since the last start.
    EL_RETURN_IF_ERROR(eventlake::internal::ToStatus(versions_.Record(name, "removed", "config", nullptr, now)));
    return std::nullopt;
  }
  if (versions.empty() || versions.back().change == "removed") return std::nullopt;
  auto parsed = pipeline::ParsePipelineConfig(versions.back().config.dump(),
                                              "pipeline " + std::string(name) + " version " +
                                                  std::to_string(versions.back().version));
  if (!parsed.has_value()) return Err(parsed.error());
  return std::optional<pipeline::PipelineConfig>(std::move(*parsed));
}

PipelineSet::~PipelineSet() { Stop(); }

Result<std::shared_ptr<PipelineSet::Running>> PipelineSet::Build(const pipeline::PipelineConfig& config,
                                                                  const std::string& path) {
  log::Stream* trigger = nullptr;
  std::optional<pipeline::Schedule> schedule;
  if (!config.trigger.schedule.empty()) {
    auto parsed = pipeline::Schedule::Parse(config.trigger.schedule);
    if (!parsed.has_value()) return Err(parsed.error().WithContext(path + ".trigger.schedule"));
    schedule = std::move(*parsed);
  }
  auto built = std::make_shared<Running>();
  Running& running = *built;
  running.config = config;
  const bool on_objects = config.trigger.objects.enabled();
  if (on_objects) {
    EL_ASSIGN_OR_RETURN(trigger, OpenObjectsTrigger(config, path, running));
  } else if (!schedule.has_value()) {
    trigger = deps_.log->FindStream(config.trigger.stream);
    if (trigger == nullptr) return Err(InvalidArgument(path + ".trigger.stream: no stream " + config.trigger.stream));
  }
  // Where functions are told their events come from.
  const std::string origin = trigger != nullptr ? trigger->name() : "schedule/" + config.name;
  const pipeline::PipelineErrorConfig& e = config.on_error;
  const pipeline::RetryPolicy retry{.max_attempts = static_cast<int>(e.max_attempts),
                                    .base_backoff = e.backoff,
                                    .max_backoff = e.max_backoff,
                                    .jitter = e.jitter,
                                    .max_record_age = e.max_record_age};
  std::vector<pipeline::PipelineStep> steps;
  EL_ASSIGN_OR_RETURN(std::vector<pipeline::StepSpec> specs, pipeline::StepSpecs(config, path));
  std::function<Result<std::vector<uint64_t>>()> committed;
  if (trigger != nullptr) {
    committed = [trigger, group = pipeline::DefaultGroup(config.name)] { return trigger->GroupOffsets(group); };
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    const pipeline::StepSpec& spec = specs[i];
    EL_ASSIGN_OR_RETURN(pipeline::StepFunction run,
                        pipeline::BuildStep(spec, {.stream = origin,
                                                   .object_created = on_objects,
                                                   .metrics = deps_.metrics,
                                                   .pipeline = config.name,
                                                   .lake_files = [lake = deps_.lake, cache = deps_.cache_dir](
                                                                     std::string_view table) {
                                                     return LakeTableFiles(*lake, cache, table);
                                                   },
                                                   .state_dir = deps_.state_dir + "/" + config.name,
                                                   .step_index = i,
                                                   .committed = committed}));
    steps.push_back({.name = spec.kind, .run = std::move(run), .retry = retry});
  }
  EL_ASSIGN_OR_RETURN(std::vector<std::string> routed, pipeline::RouteTargets(specs));
  std::vector<pipeline::Sink*> sinks;
  EL_ASSIGN_OR_RETURN(std::vector<pipeline::SinkSpec> sink_specs, pipeline::SinkSpecs(config, path));
  for (const pipeline::SinkSpec& spec : sink_specs) {
    if (spec.kind == pipeline::SinkKind::kTable) {
      auto sink = deps_.lake->OpenTableSink(config.name, spec.target, spec.overwrite);
      if (!sink.has_value()) return Err(sink.error().WithContext(spec.path));
      sinks.push_back(*sink);
      continue;
    }
    if (spec.kind == pipeline::SinkKind::kStream) {
      log::Stream* stream = deps_.log->FindStream(spec.target);
      if (stream == nullptr) return Err(InvalidArgument(spec.path + ": no stream " + spec.target));
      running.owned_sinks.push_back(std::make_unique<pipeline::StreamSink>(stream));
    } else {
      EL_ASSIGN_OR_RETURN(std::unique_ptr<pipeline::Sink> sink,
                          pipeline::BuildSink(spec, {.pipeline = config.name, .metrics = deps_.metrics}));
      running.owned_sinks.push_back(std::move(sink));
    }
    sinks.push_back(running.owned_sinks.back().get());
  }
  auto created = pipeline::Pipeline::Create(
      {.name = config.name,
       .trigger = trigger,
       .schedule = std::move(schedule),
       .query = [query = deps_.query, sql = config.trigger.query]() -> Result<std::vector<std::string>> {
         if (!query) return Err(Unavailable("no query engine runs scheduled queries"));
         return query(sql);
       },
       .batch = {.max_records = config.trigger.max_records,
                 .max_bytes = config.trigger.max_bytes,
                 .max_wait = config.trigger.max_wait},
       .steps = std::move(steps),
       .sinks = std::move(sinks),
       .routed_sinks = std::move(routed),
       .open_dead_letter =
           [log = deps_.log, name = config.DeadLetterStream(),
            durability = trigger != nullptr ? trigger->options().durability : log::Durability::kFsync] {
             return log->EnsureStream({.name = name, .partitions = 1, .durability = durability});
           },
       .metrics = deps_.metrics});
  if (!created.has_value()) return Err(created.error().WithContext(path));
  running.pipeline = std::move(*created);
  return built;
}

Result<log::Stream*> PipelineSet::OpenObjectsTrigger(const pipeline::PipelineConfig& config,
                                                    const std::string& path, Running& running) {
  const pipeline::ObjectsTriggerConfig& o = config.trigger.objects;
  auto stream = deps_.log->EnsureStream({.name = config.ObjectsStream(), .partitions = 1});
  if (!stream.has_value()) return Err(stream.error().WithContext(path + ".trigger.objects"));
  const bool zone = !o.zone.empty();
  if (zone && !lake::TablePrefix(o.zone + ".t").has_value()) {  // the lake's rule for zones
    return Err(InvalidArgument(path + ".trigger.objects.zone: the zone must be raw, curated, analytics or archive"));
  }
  auto lister = pipeline::ObjectLister::Open({.pipeline = config.name,
                                              .bucket = BucketOf(deps_.lake->store()),
                                              .prefix = zone ? o.zone + "/" : o.prefix,
                                              .poll = o.poll,
                                              .existing = o.existing,
                                              .max_objects = o.max_objects,
                                              .max_key_length = o.max_key_length,
                                              .state_path = deps_.state_dir + "/" + config.name + "/objects.json",
                                              .list = ListStore(&deps_.lake->store(), zone),
                                              .stream = *stream,
                                              .metrics = deps_.metrics});
  if (!lister.has_value()) return Err(lister.error().WithContext(path + ".trigger.objects"));
  running.lister = std::move(*lister);
  return *stream;
}

Status PipelineSet::Start() {
  std::lock_guard lock(mu_);
  for (const auto& r : running_) EL_RETURN_IF_ERROR(StartRunning(*r));
  started_ = true;
  return Status::Ok();
}

Status PipelineSet::StartRunning(Running& r) {
  if (r.lister != nullptr) r.lister->Start();
  return r.pipeline->Start();
}

void PipelineSet::StopRunning(Running& r) {
  if (r.lister != nullptr) r.lister->Stop();
  r.redrive->stop = true;
  if (r.redrive->thread.joinable()) r.redrive->thread.join();
  r.pipeline->Stop();
}

void PipelineSet::Stop() {
  std::lock_guard one(apply_mu_);
  std::lock_guard lock(mu_);
  for (const auto& r : running_) StopRunning(*r);
  started_ = false;
}

Result<std::vector<PipelineSet::Change>> PipelineSet::Apply(const std::vector<pipeline::PipelineConfig>& desired,
                                                            bool prune) {
  std::lock_guard one(apply_mu_);
  // The streams first, for every pipeline: the usual mistake changes nothing.
  for (size_t i = 0; i < desired.size(); ++i) {
    const std::string path = "pipelines[" + std::to_string(i) + "]";
    const pipeline::PipelineConfig& config = desired[i];
    if (!config.trigger.stream.empty() && deps_.log->FindStream(config.trigger.stream) == nullptr) {
      return Err(InvalidArgument(path + ".trigger.stream: no stream " + config.trigger.stream));
    }
    EL_ASSIGN_OR_RETURN(std::vector<pipeline::SinkSpec> sinks, pipeline::SinkSpecs(config, path));
    for (const pipeline::SinkSpec& sink : sinks) {
      if (sink.kind == pipeline::SinkKind::kStream && deps_.log->FindStream(sink.target) == nullptr) {
        return Err(InvalidArgument(sink.path + ": no stream " + sink.target));
      }
    }
  }
  std::vector<Change> changes;
  const TimestampMicros now = SystemClock().NowMicros();
  for (size_t i = 0; i < desired.size(); ++i) {
    const pipeline::PipelineConfig& config = desired[i];
    const nlohmann::json json = pipeline::PipelineConfigJson(config);
    std::shared_ptr<Running> old;
    {
      std::lock_guard lock(mu_);
      for (const auto& r : running_) {
        if (r->config.name == config.name) old = r;
      }
    }
    if (old != nullptr && pipeline::PipelineConfigJson(old->config) == json) {
      changes.push_back({.name = config.name, .change = "unchanged", .version = 0});
      continue;
    }
    if (old != nullptr) {  // stopped first: its steps' state and its sinks pass to the new one
      StopRunning(*old);
      std::lock_guard lock(mu_);
      std::erase(running_, old);
    }
    auto built = Build(config, "pipelines[" + std::to_string(i) + "]");
    if (!built.has_value()) {
      if (old != nullptr) {  // back to what ran
        auto again = Build(old->config, "pipeline " + old->config.name);
        old.reset();
        if (again.has_value()) {
          std::lock_guard lock(mu_);
          if (started_) (void)StartRunning(**again);
          running_.push_back(std::move(*again));
        }
      }
      return Err(built.error());
    }
    {
      std::lock_guard lock(mu_);
      if (started_) EL_RETURN_IF_ERROR(StartRunning(**built));
      running_.push_back(std::move(*built));
    }
    const std::string change = old != nullptr ? "changed" : "added";
    EL_ASSIGN_OR_RETURN(PipelineVersion v, versions_.Record(config.name, change, "apply", json, now));
    changes.push_back({.name = config.name, .change = change, .version = v.version});
  }
  if (prune) {
    std::vector<std::shared_ptr<Running>> removed;
    {
      std::lock_guard lock(mu_);
      for (const auto& r : running_) {
        const bool wanted = std::any_of(desired.begin(), desired.end(),
                                        [&r](const pipeline::PipelineConfig& d) { return d.name == r->config.name; });
        if (!wanted) removed.push_back(r);
      }
    }
    for (const auto& r : removed) {
      StopRunning(*r);
      {
        std::lock_guard lock(mu_);
        std::erase(running_, r);
      }
      EL_ASSIGN_OR_RETURN(PipelineVersion v, versions_.Record(r->config.name, "removed", "apply", nullptr, now));
      changes.push_back({.name = r->config.name, .change = "removed", .version = v.version});
    }
  }
  return changes;
}

std::vector<std::shared_ptr<const PipelineSet::Running>> PipelineSet::pipelines() const {
  std::lock_guard lock(mu_);
  return {running_.begin(), running_.end()};
}

Status PipelineSet::StartRedrive(std::string_view name, double rate) {
  std::shared_ptr<const Running> running = Find(name);
  if (running == nullptr) return NotFound("no pipeline named " + std::string(name));
  log::Stream* letters = deps_.log->FindStream(running->config.DeadLetterStream());
  if (letters == nullptr) {
    return NotFound("pipeline " + std::string(name) + " has no dead letters (no stream " +
                    running->config.DeadLetterStream() + ")");
  }
  RedriveJob& job = *running->redrive;
  std::lock_guard lock(job.mu);
  if (job.status.running) return FailedPrecondition("a redrive of pipeline " + std::string(name) + " is running");
  if (job.thread.joinable()) job.thread.join();  // the last one, ended
  job.status = {.running = true, .rate = rate, .report = std::nullopt, .error = Status::Ok()};
  pipeline::Pipeline* pipeline = running->pipeline.get();
  job.thread = std::thread([&job, pipeline, letters, rate] {
    auto report = pipeline->Redrive({.dead_letters = letters, .rate = rate, .stop = &job.stop});
    std::lock_guard done(job.mu);
    job.status.running = false;
    if (report.has_value()) {
      job.status.report = *report;
    } else {
      job.status.error = report.error();
    }
  });
  return Status::Ok();
}

PipelineSet::RedriveStatus PipelineSet::RedriveStatusOf(const Running& running) const {
  std::lock_guard lock(running.redrive->mu);
  return running.redrive->status;
}

std::shared_ptr<const PipelineSet::Running> PipelineSet::Find(std::string_view name) const {
  std::lock_guard lock(mu_);
  for (const auto& r : running_) {
    if (r->config.name == name) return r;
  }
  return nullptr;
}

}  // namespace eventlake::server
