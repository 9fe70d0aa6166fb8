// The configured pipelines as the server runs them: each one's trigger
// stream, steps (step_factory.h), sinks (a lake table through the lake's
// table sink, a stream) and dead-letter stream, started after the lake and
// stopped before it (each sink writes out what it buffered).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "core/status.h"
#include "lake/lake.h"
#include "log/log.h"
#include "pipeline/pipeline.h"
#include "pipeline/pipeline_config.h"

namespace eventlake::server {

class PipelineSet {
 public:
  struct Deps {
    log::Log* log = nullptr;
    lake::Lake* lake = nullptr;  // before its Start: table sinks are opened here
    MetricsRegistry* metrics = nullptr;
  };
  struct Running {
    pipeline::PipelineConfig config;
    std::unique_ptr<pipeline::Pipeline> pipeline;
    std::vector<std::unique_ptr<pipeline::Sink>> owned_sinks;  // stream sinks; table sinks are the lake's
  };

  static Result<std::unique_ptr<PipelineSet>> Open(const std::vector<pipeline::PipelineConfig>& configs,
                                                   Deps deps);
  ~PipelineSet();  // Stop()

  Status Start();
  void Stop();

  const std::vector<Running>& pipelines() const { return running_; }
  const Running* Find(std::string_view name) const;

 private:
  explicit PipelineSet(Deps deps) : deps_(deps) {}
  Status Add(const pipeline::PipelineConfig& config, const std::string& path);

  Deps deps_;
  std::vector<Running> running_;
};

}  // namespace eventlake::server
