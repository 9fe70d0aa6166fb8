// The top-level configuration table and its cross-checks.
#include "server/config.h"

#include <set>

#include "core/config_table.h"
#include "core/file.h"
#include "log/stream_options_table.h"
#include "pipeline/sink_options.h"

namespace eventlake::server {
namespace {

Status CheckUniqueNames(const Config& config) {
  std::set<std::string> streams;
  for (size_t i = 0; i < config.streams.size(); ++i) {
    if (!streams.insert(config.streams[i].name).second) {
      return InvalidArgument("streams[" + std::to_string(i) + "].name: '" + config.streams[i].name +
                             "' is declared twice");
    }
  }
  std::set<std::string> sources;
  for (size_t i = 0; i < config.sources.size(); ++i) {
    const ingest::SourceOptions& source = config.sources[i];
    std::string path = "sources[" + std::to_string(i) + "]";
    if (!sources.insert(source.name).second) {
      return InvalidArgument(path + ".name: '" + source.name + "' is declared twice");
    }
    if (!streams.contains(source.stream)) {
      return InvalidArgument(path + ".stream: no stream named '" + source.stream +
                             "' is declared under streams");
    }
  }
  std::set<std::string> tables;
  for (size_t i = 0; i < config.tables.size(); ++i) {
    if (!tables.insert(config.tables[i].name).second) {
      return InvalidArgument("tables[" + std::to_string(i) + "].name: '" + config.tables[i].name +
                             "' is declared twice");
    }
  }
  // An archive table belongs to one table, and is not also declared.
  std::set<std::string> archives;
  for (size_t i = 0; i < config.tables.size(); ++i) {
    if (config.tables[i].archive_after.count() == 0) continue;
    const std::string archive = config.tables[i].ArchiveTable();
    if (tables.contains(archive) || !archives.insert(archive).second) {
      return InvalidArgument("tables[" + std::to_string(i) + "].archive_to: '" + archive +
                             "' is already another table or archive");
    }
  }
  std::set<std::string> loaders;
  for (size_t i = 0; i < config.loaders.size(); ++i) {
    const lake::LoaderConfig& loader = config.loaders[i];
    const std::string path = "loaders[" + std::to_string(i) + "]";
    if (!loaders.insert(loader.name).second) {
      return InvalidArgument(path + ".name: '" + loader.name + "' is declared twice");
    }
    if (!streams.contains(loader.stream)) {
      return InvalidArgument(path + ".stream: no stream named '" + loader.stream +
                             "' is declared under streams");
    }
    if (!tables.contains(loader.table)) {
      return InvalidArgument(path + ".table: no table named '" + loader.table +
                             "' is declared under tables");
    }
  }
  std::set<std::string> raw;
  for (size_t i = 0; i < config.raw.size(); ++i) {
    const std::string path = "raw[" + std::to_string(i) + "]";
    if (!raw.insert(config.raw[i].name).second) {
      return InvalidArgument(path + ".name: '" + config.raw[i].name + "' is declared twice");
    }
    if (!streams.contains(config.raw[i].stream)) {
      return InvalidArgument(path + ".stream: no stream named '" + config.raw[i].stream +
                             "' is declared under streams");
    }
  }
  // Pipelines: their streams and tables are declared, and a table has one
  // writer (a loader or a pipeline's sink).
  std::set<std::string> pipelines;
  std::set<std::string> written;
  for (const lake::LoaderConfig& loader : config.loaders) written.insert(loader.table);
  for (size_t i = 0; i < config.pipelines.size(); ++i) {
    const pipeline::PipelineConfig& p = config.pipelines[i];
    const std::string path = "pipelines[" + std::to_string(i) + "]";
    if (!pipelines.insert(p.name).second) {
      return InvalidArgument(path + ".name: '" + p.name + "' is declared twice");
    }
    if (!p.trigger.stream.empty() && !streams.contains(p.trigger.stream)) {
      return InvalidArgument(path + ".trigger.stream: no stream named '" + p.trigger.stream +
                             "' is declared under streams");
    }
    EL_ASSIGN_OR_RETURN(std::vector<pipeline::SinkSpec> sinks, pipeline::SinkSpecs(p, path));
    for (const pipeline::SinkSpec& sink : sinks) {
      if (sink.kind == pipeline::SinkKind::kStream && !streams.contains(sink.target)) {
        return InvalidArgument(sink.path + ": no stream named '" + sink.target + "' is declared under streams");
      }
      if (sink.kind == pipeline::SinkKind::kTable) {
        if (!tables.contains(sink.target)) {
          return InvalidArgument(sink.path + ": no table named '" + sink.target + "' is declared under tables");
        }
        if (!written.insert(sink.target).second) {
          return InvalidArgument(sink.path + ": table '" + sink.target +
                                 "' is already filled by a loader or another pipeline");
        }
      }
    }
  }
  return Status::Ok();
}

const config::Table<Config>& ConfigTable() {
  static const auto& table =
      (new config::Table<Config>("", "The sections of eventlake.yaml."))
          ->Section("server", &Config::server, ServerOptionsTable())
          .Section("security", &Config::security, security::SecurityOptionsTable())
          .List("streams", &Config::streams, log::StreamOptionsTable())
          .List("sources", &Config::sources, ingest::SourceOptionsTable())
          .Section("storage", &Config::storage, lake::StorageConfigTable())
          .List("tables", &Config::tables, lake::TableConfigTable())
          .List("loaders", &Config::loaders, lake::LoaderConfigTable())
          .List("raw", &Config::raw, lake::RawZoneConfigTable())
          .List("pipelines", &Config::pipelines, pipeline::PipelineConfigTable())
          .Section("query", &Config::query, query::QueryOptionsTable())
          .Check(&CheckUniqueNames);
  return table;
}

}  // namespace

const ingest::SourceOptions* Config::FindSource(std::string_view name) const {
  for (const ingest::SourceOptions& source : sources) {
    if (source.name == name) return &source;
  }
  return nullptr;
}

Result<Config> ParseConfig(std::string_view yaml, std::string_view source) {
  EL_ASSIGN_OR_RETURN(YAML::Node root, config::LoadYaml(yaml, source));
  Config config;
  Status s = ConfigTable().Parse(root, "", &config);
  if (!s.ok()) return Err(s.WithContext(source));
  return config;
}

Result<Config> LoadConfigFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text) return Err(text.error().WithContext("reading config file " + path));
  return ParseConfig(*text, path);
}

Config EmbeddedDefaultConfig() {
  Config config;
  log::StreamOptions events;
  events.name = "events";
  events.partitions = 4;
  events.durability = log::Durability::kFsync;
  config.streams.push_back(events);
  ingest::SourceOptions source;
  source.name = "events";
  source.stream = "events";
  config.sources.push_back(source);
  lake::TableConfig table;
  table.name = "curated.events";
  table.partition_by = {"day(time)"};
  config.tables.push_back(table);
  // A pipeline named as the loader it replaced, so that a data directory
  // the loader filled goes on where it stood (the same txn appIds).
  pipeline::PipelineConfig pipeline;
  pipeline.name = "events";
  pipeline.trigger.stream = "events";
  // Rows a pipeline has not yet cut into a batch are not visible to queries
  // (its table sink shows only what it holds): a short wait keeps the
  // demo table queryable within about a tenth of a second.
  pipeline.trigger.max_wait = std::chrono::milliseconds(100);
  pipeline.sinks = nlohmann::json::array({{{"table", "curated.events"}}});
  config.pipelines.push_back(pipeline);
  lake::RawZoneConfig raw;
  raw.name = "events";
  raw.stream = "events";
  config.raw.push_back(raw);
  return config;
}

std::string ConfigReference() {
  // The sinks whose options have tables of their own, under pipelines[].sinks
  // (a list of one-key maps the pipelines table keeps as YAML).
  return ConfigTable().Reference() + pipeline::WebhookSinkOptionsTable().Reference() +
         pipeline::KafkaSinkOptionsTable().Reference();
}

Status ValidateConfig(const Config& config) {
  for (size_t i = 0; i < config.streams.size(); ++i) {
    Status s = log::ValidateStreamOptions(config.streams[i]);
    if (!s.ok()) return s.WithContext("streams[" + std::to_string(i) + "]");
  }
  for (size_t i = 0; i < config.sources.size(); ++i) {
    Status s = ingest::ValidateSourceOptions(config.sources[i]);
    if (!s.ok()) return s.WithContext("sources[" + std::to_string(i) + "]");
  }
  for (size_t i = 0; i < config.tables.size(); ++i) {
    Status s = lake::ValidateTableConfig(config.tables[i]);
    if (!s.ok()) return s.WithContext("tables[" + std::to_string(i) + "]");
  }
  for (size_t i = 0; i < config.loaders.size(); ++i) {
    Status s = lake::ValidateLoaderConfig(config.loaders[i]);
    if (!s.ok()) return s.WithContext("loaders[" + std::to_string(i) + "]");
  }
  for (size_t i = 0; i < config.pipelines.size(); ++i) {
    Status s = pipeline::ValidatePipelineConfig(config.pipelines[i], "pipelines[" + std::to_string(i) + "]");
    if (!s.ok()) return s;
  }
  Status s = security::ValidateSecurityOptions(config.security);
  if (!s.ok()) return s.WithContext("security");
  return CheckUniqueNames(config);
}

}  // namespace eventlake::server
