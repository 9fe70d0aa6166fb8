// Building the sources of a config: dead-letter streams, dedup windows,
// schemas, sinks and self-running sources.
#include "server/source_set.h"

#include <algorithm>

#include "core/logging.h"
#include "ingest/sources/file_drop.h"
#include "ingest/sources/kafka_source.h"
#include "ingest/sources/mqtt_source.h"

namespace eventlake::server {
namespace {

constexpr int64_t kLagCheckInterval = 250'000;  // micros

}  // namespace

Status SourceRuntime::CheckConsumerLag(Clock& clock) {
  const uint64_t limit = options_->max_consumer_lag;
  if (limit == 0) return Status::Ok();
  const int64_t now = clock.NowMicros();
  int64_t checked = lag_checked_at_.load(std::memory_order_relaxed);
  if ((checked == INT64_MIN || now - checked >= kLagCheckInterval) &&
      lag_checked_at_.compare_exchange_strong(checked, now, std::memory_order_relaxed)) {
    uint64_t worst = 0;
    if (auto groups = sink_->stream().Groups()) {
      for (const log::GroupStats& group : *groups) {
        uint64_t total = 0;
        for (uint64_t lag : group.lag) total += lag;
        worst = std::max(worst, total);
      }
    }
    worst_lag_.store(worst, std::memory_order_relaxed);
  }
  uint64_t worst = worst_lag_.load(std::memory_order_relaxed);
  if (worst <= limit) return Status::Ok();
  return ResourceExhausted("a consumer group of stream '" + sink_->stream().name() + "' is " +
                           std::to_string(worst) + " records behind (max_consumer_lag " +
                           std::to_string(limit) + "); retry later");
}

SourceSet::~SourceSet() { StopSources(); }

Result<std::unique_ptr<SourceSet>> SourceSet::Open(const Config& config, const Services& services) {
  std::unique_ptr<SourceSet> set(new SourceSet());
  set->data_dir_ = config.server.data_dir;
  EL_RETURN_IF_ERROR(set->OpenDedupWindows(config, services));
  for (const ingest::SourceOptions& source : config.sources) {
    Status s = set->OpenSource(source, services);
    if (!s.ok()) return Err(s.WithContext("source " + source.name));
  }
  return set;
}

// One window per stream, as long as the longest window of its sources asks.
Status SourceSet::OpenDedupWindows(const Config& config, const Services& services) {
  std::map<std::string, ingest::DedupOptions, std::less<>> wanted;
  for (const ingest::SourceOptions& source : config.sources) {
    if (!source.dedup.enabled) continue;
    ingest::DedupOptions& options = wanted[source.stream];
    auto window = std::chrono::duration_cast<std::chrono::microseconds>(source.dedup.window);
    if (options.stream == nullptr) {
      options.window = window;
      options.max_entries = source.dedup.max_entries;
    }
    options.window = std::max(options.window, window);
    options.max_entries = std::max<size_t>(options.max_entries, source.dedup.max_entries);
    options.stream = services.log->FindStream(source.stream);
    if (options.stream == nullptr) return NotFound("stream " + source.stream + " is not open");
  }
  for (auto& [stream, options] : wanted) {
    options.dir = data_dir_ + "/state/dedup";
    options.clock = services.clock;
    options.metrics = services.metrics;
    auto window = ingest::DedupWindow::Open(options);
    if (!window) return window.error().WithContext("dedup window of stream " + stream);
    dedup_.emplace(stream, std::move(*window));
  }
  return Status::Ok();
}

Status SourceSet::OpenSource(const ingest::SourceOptions& options, const Services& services) {
  auto runtime = std::make_unique<SourceRuntime>();
  runtime->options_ = &options;
  EL_ASSIGN_OR_RETURN(runtime->schemas_, ingest::SchemaSet::Load(options.schemas));
  ingest::SourceSinkOptions sink;
  sink.name = options.name;
  sink.stream = services.log->FindStream(options.stream);
  if (sink.stream == nullptr) return NotFound("stream " + options.stream + " is not open");
  sink.on_invalid = options.on_invalid;
  if (options.on_invalid == ingest::InvalidEventPolicy::kDeadLetter) {
    log::StreamOptions letters;
    letters.name = options.DeadLetterStream();
    letters.partitions = 1;
    letters.durability = sink.stream->options().durability;
    EL_ASSIGN_OR_RETURN(sink.dead_letter, services.log->EnsureStream(letters));
  }
  if (auto it = dedup_.find(options.stream); it != dedup_.end() && options.dedup.enabled) {
    sink.dedup = it->second.get();
  }
  sink.schemas = &runtime->schemas_;
  sink.clock = services.clock;
  sink.ids = services.ids;
  sink.metrics = services.metrics;
  EL_ASSIGN_OR_RETURN(runtime->sink_, ingest::SourceSink::Create(std::move(sink)));
  if (options.type == "file_drop") {
    ingest::FileDropOptions file_drop = options.file_drop;
    file_drop.name = options.name;
    file_drop.stream = options.stream;
    file_drop.record_type = options.event_type;
    EL_ASSIGN_OR_RETURN(
        runtime->runner_,
        ingest::FileDrop::Create(file_drop, *runtime->sink_, *services.metrics, *services.clock));
  }
  ingest::SourceContext context{.name = options.name,
                                .event_type = options.event_type,
                                .limits = options.limits,
                                .sink = runtime->sink_.get(),
                                .metrics = services.metrics,
                                .clock = services.clock,
                                .ids = services.ids};
  if (options.type == "mqtt") {
    EL_ASSIGN_OR_RETURN(runtime->runner_, ingest::MqttSource::Create(options.mqtt, context));
  }
  if (options.type == "kafka") {
    EL_ASSIGN_OR_RETURN(runtime->runner_, ingest::KafkaSource::Create(options.kafka, context));
  }
  sources_.emplace(options.name, std::move(runtime));
  return Status::Ok();
}

Status SourceSet::StartSources() {
  started_ = true;
  for (auto& [name, runtime] : sources_) {
    if (runtime->runner_ == nullptr) continue;
    Status s = runtime->runner_->Start();
    if (!s.ok()) {
      StopSources();
      return s.WithContext("starting source " + name);
    }
    LogInfo("ingest", "source started", {{"source", name}, {"type", runtime->options().type}});
  }
  return Status::Ok();
}

void SourceSet::StopSources() {
  if (!started_) return;
  started_ = false;
  for (auto& [name, runtime] : sources_) {
    if (runtime->runner_ != nullptr) runtime->runner_->Stop();
  }
}

SourceRuntime* SourceSet::Find(std::string_view name) {
  auto it = sources_.find(name);
  return it == sources_.end() ? nullptr : it->second.get();
}

}  // namespace eventlake::server
