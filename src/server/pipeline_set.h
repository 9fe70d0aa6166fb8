// The configured pipelines as the server runs them: each one's trigger
// (a stream, a schedule and its query, or new objects of the lake's store:
// an ObjectLister appending to the internal stream `<pipeline>.objects`,
// which the pipeline reads), steps (step_factory.h), sinks
// (a lake table through the lake's table sink, a stream, a webhook or a
// Kafka topic: sink_factory.h) and dead-letter stream, started after the lake and
// stopped before it (each sink writes out what it buffered).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/metrics.h"
#include "core/status.h"
#include "lake/lake.h"
#include "log/log.h"
#include "pipeline/object_lister.h"
#include "pipeline/pipeline.h"
#include "pipeline/pipeline_config.h"
#include "server/pipeline_versions.h"

namespace eventlake::server {

class PipelineSet {
 public:
  struct Deps {
    log::Log* log = nullptr;
    lake::Lake* lake = nullptr;  // before its Start: table sinks are opened here
    MetricsRegistry* metrics = nullptr;
    std::string state_dir;  // <data_dir>/state/pipelines: each pipeline's steps keep state in <state_dir>/<name>
    // Local copies of an S3 lake's data files (the query engine's cache,
    // <data_dir>/query-cache): an enrich step's lookup table reads them.
    std::string cache_dir;
    // Runs a scheduled pipeline's query over the lake: its rows as JSON
    // objects (scheduled_query.h). Called when the schedule fires.
    std::function<Result<std::vector<std::string>>(const std::string& sql)> query;
  };
  // The last redrive of a pipeline's dead letters (POST .../dlq/redrive).
  struct RedriveStatus {
    bool running = false;
    double rate = 0;
    std::optional<pipeline::RedriveReport> report;  // of the last one that ended well
    Status error;                                    // of the last one, if it failed
  };
  struct RedriveJob {
    std::mutex mu;
    RedriveStatus status;  // guarded by mu
    std::thread thread;
    std::atomic<bool> stop{false};
  };
  struct Running {
    pipeline::PipelineConfig config;
    std::unique_ptr<pipeline::Pipeline> pipeline;
    std::unique_ptr<pipeline::ObjectLister> lister;  // the objects trigger's; started before the pipeline
    std::vector<std::unique_ptr<pipeline::Sink>> owned_sinks;  // stream, webhook, kafka; table sinks are the lake's
    std::unique_ptr<RedriveJob> redrive = std::make_unique<RedriveJob>();
  };

  // The config file's pipelines, each recorded as a new version when it
  // differs from the last one the file gave (pipeline_versions.h); a
  // pipeline whose last version came from `eventlake apply` runs as it was
  // applied (or not at all, when that removed it). An applied pipeline
  // that can no longer be built (its stream is gone) is skipped with a
  // warning; a file's is an error.
  static Result<std::unique_ptr<PipelineSet>> Open(const std::vector<pipeline::PipelineConfig>& configs,
                                                   Deps deps);
  ~PipelineSet();  // Stop()

  Status Start();
  void Stop();

  // A change of `eventlake apply`.
  struct Change {
    std::string name;
    std::string change;  // "added", "changed", "removed", "unchanged"
    uint64_t version = 0;  // the new version (0: unchanged)
  };
  // Adds the pipelines of `desired` that do not run, replaces those whose
  // config differs (stopped, their sinks flushed, then built and started
  // again: the same consumer group and table sinks go on where they
  // stood), and with `prune` removes the running ones `desired` lacks.
  // Each change is a new version. The configs must have passed
  // ValidatePipelineConfig. A stream that does not exist fails the apply
  // before any change; another reason a pipeline cannot be built (a table
  // another pipeline fills) fails it at that pipeline, after the changes
  // before it (a changed pipeline then runs its old version again).
  Result<std::vector<Change>> Apply(const std::vector<pipeline::PipelineConfig>& desired, bool prune);
  Result<std::vector<PipelineVersion>> Versions(std::string_view name) const { return versions_.Load(name); }

  // What runs now (a snapshot: a pipeline removed meanwhile stays valid).
  std::vector<std::shared_ptr<const Running>> pipelines() const;
  std::shared_ptr<const Running> Find(std::string_view name) const;

  // Starts a redrive of the pipeline's dead letters on a thread of its own
  // (`rate` letters per second, 0: no limit). NotFound for an unknown
  // pipeline or one without dead letters, FailedPrecondition while one runs.
  Status StartRedrive(std::string_view name, double rate);
  RedriveStatus RedriveStatusOf(const Running& running) const;

 private:
  explicit PipelineSet(Deps deps) : deps_(deps), versions_(deps.state_dir) {}
  // The pipeline, its steps and sinks, not started.
  Result<std::shared_ptr<Running>> Build(const pipeline::PipelineConfig& config, const std::string& path);
  // Starts its objects lister, if any, then the pipeline.
  static Status StartRunning(Running& running);
  // Stops its lister, its redrive and the pipeline (its sinks flushed).
  static void StopRunning(Running& running);
  // Open: what runs of pipeline `name` given the file's `config` (or none).
  Result<std::optional<pipeline::PipelineConfig>> Reconcile(std::string_view name,
                                                            const pipeline::PipelineConfig* config);
  // The objects trigger's internal stream and its lister.
  Result<log::Stream*> OpenObjectsTrigger(const pipeline::PipelineConfig& config, const std::string& path,
                                          Running& running);

  Deps deps_;
  PipelineVersions versions_;
  std::mutex apply_mu_;  // one Apply at a time
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Running>> running_;  // guarded by mu_
  bool started_ = false;                           // guarded by mu_
};

}  // namespace eventlake::server
