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

namespace eventlake::server {

class PipelineSet {
 public:
  struct Deps {
    log::Log* log = nullptr;
    lake::Lake* lake = nullptr;  // before its Start: table sinks are opened here
    MetricsRegistry* metrics = nullptr;
    std::string state_dir;  // <data_dir>/state/pipelines: each pipeline's steps keep state in <state_dir>/<name>
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

  static Result<std::unique_ptr<PipelineSet>> Open(const std::vector<pipeline::PipelineConfig>& configs,
                                                   Deps deps);
  ~PipelineSet();  // Stop()

  Status Start();
  void Stop();

  const std::vector<Running>& pipelines() const { return running_; }
  const Running* Find(std::string_view name) const;

  // Starts a redrive of the pipeline's dead letters on a thread of its own
  // (`rate` letters per second, 0: no limit). NotFound for an unknown
  // pipeline or one without dead letters, FailedPrecondition while one runs.
  Status StartRedrive(std::string_view name, double rate);
  RedriveStatus RedriveStatusOf(const Running& running) const;

 private:
  explicit PipelineSet(Deps deps) : deps_(deps) {}
  Status Add(const pipeline::PipelineConfig& config, const std::string& path);
  // The objects trigger's internal stream and its lister.
  Result<log::Stream*> OpenObjectsTrigger(const pipeline::PipelineConfig& config, const std::string& path,
                                          Running& running);

  Deps deps_;
  std::vector<Running> running_;
};

}  // namespace eventlake::server
