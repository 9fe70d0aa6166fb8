// The whole configuration of an eventlake server (eventlake.yaml): the
// server section, API keys and policies, the streams it declares and the
// sources that feed them.
//
//   server:   { listen: 127.0.0.1:8080, data_dir: ./data }
//   security: { api_keys: [...], policies: [...] }
//   streams:  [{ name: events, partitions: 4, durability: fsync }]
//   sources:  [{ name: events, stream: events }]
//   storage:  { type: local }            # or s3: { endpoint, bucket, ... }
//   tables:   [{ name: curated.events, partition_by: [day(time)] }]
//   loaders:  [{ name: events, stream: events, table: curated.events }]
//   raw:      [{ name: events, stream: events }]
//   pipelines: [{ name: clean, trigger: { stream: events }, steps: [...], sinks: [...] }]
//
// Unknown keys and bad values are errors naming their path
// ("streams[0].partitions: ..."); sources must name declared streams; names
// are unique. The reference in docs/configuration.md is ConfigReference().
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ingest/source_options.h"
#include "lake/lake_options.h"
#include "log/stream_options.h"
#include "pipeline/pipeline_config.h"
#include "query/query_options.h"
#include "security/security_options.h"
#include "server/server_options.h"

namespace eventlake::server {

struct Config {
  ServerOptions server;
  security::SecurityOptions security;
  std::vector<log::StreamOptions> streams;
  std::vector<ingest::SourceOptions> sources;
  lake::StorageConfig storage;
  std::vector<lake::TableConfig> tables;
  std::vector<lake::LoaderConfig> loaders;
  std::vector<lake::RawZoneConfig> raw;
  std::vector<pipeline::PipelineConfig> pipelines;
  query::QueryOptions query;

  // The source named `name`, or nullptr.
  const ingest::SourceOptions* FindSource(std::string_view name) const;
};

// Parses YAML text; `source` names it in errors ("eventlake.yaml:3:5: ...").
Result<Config> ParseConfig(std::string_view yaml, std::string_view source);
// Reads and parses a file; errors start with the path.
Result<Config> LoadConfigFile(const std::string& path);

// What `eventlake serve` runs without a config file: the server defaults,
// the stream `events` (4 partitions, durability fsync), the source `events`
// feeding it, the table `curated.events` (partitioned by day(time)), the
// pipeline `events` filling it from the stream, and the raw zone raw.events.
Config EmbeddedDefaultConfig();

// Markdown reference of every key (top level, server, streams[], sources[]).
std::string ConfigReference();

// Cross-checks of a whole config (after parsing, also for configs built in code).
Status ValidateConfig(const Config& config);

}  // namespace eventlake::server
