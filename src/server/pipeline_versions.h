// The versions of each pipeline (`eventlake apply`, issue 6): every change
// — added, changed, removed — from the config file or from an apply, with
// its time and the pipeline's config (pipeline_config.h's canonical JSON).
// One file per pipeline, <data_dir>/state/pipelines/<name>/versions.json,
// rewritten whole and atomically (temp, fsync, rename) at each change.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cloud_event.h"
#include "core/status.h"

namespace eventlake::server {

struct PipelineVersion {
  uint64_t version = 0;  // 1, 2, ... per pipeline
  TimestampMicros time = 0;
  std::string change;    // "added", "changed", "removed"
  std::string source;    // "config" (the file at a start) or "apply"
  nlohmann::json config;  // null when removed
};

class PipelineVersions {
 public:
  explicit PipelineVersions(std::string dir) : dir_(std::move(dir)) {}

  // Oldest first; none for a pipeline never seen.
  Result<std::vector<PipelineVersion>> Load(std::string_view name) const;
  // Appends the next version of `name`.
  Result<PipelineVersion> Record(std::string_view name, std::string change, std::string source,
                                 nlohmann::json config, TimestampMicros now);
  // The pipelines that have versions.
  std::vector<std::string> Names() const;

 private:
  std::string PathOf(std::string_view name) const;
  std::string dir_;
};

nlohmann::json VersionJson(const PipelineVersion& v);

}  // namespace eventlake::server
