// Lake: wiring of store, DuckDB, writers and loaders; table lookups.
#include "lake/lake.h"

#include <cstdlib>

#include "core/logging.h"
#include "lake/declared_schema.h"
#include "lake/event_row.h"
#include "core/file.h"
#include "lake/local_object_store.h"
#include "lake/s3_object_store.h"

namespace eventlake::lake {
namespace {

constexpr std::string_view kZones[] = {"raw", "curated", "analytics", "archive"};

}  // namespace

Lake::~Lake() { Stop(); }

Result<DeclaredSchema> Lake::DeclaredSchemaOf(const TableConfig& table) {
  std::string text = table.schema;
  if (!table.schema_file.empty()) {
    auto file = ReadFile(table.schema_file);
    if (!file.has_value()) return Err(file.error().WithContext("table " + table.name + " schema_file"));
    text = std::move(*file);
  }
  if (text.empty()) return DeclaredSchema{};
  auto declared = ParseDeclaredSchema(text);
  if (!declared.has_value()) return Err(declared.error().WithContext("table " + table.name + " schema"));
  return declared;
}

Result<std::unique_ptr<Lake>> Lake::Open(LakeOptions options) {
  if (options.log == nullptr) return Err(InvalidArgument("the lake needs the log"));
  auto lake = std::unique_ptr<Lake>(new Lake(std::move(options)));
  if (MetricsRegistry* m = lake->options_.metrics) {
    lake->compactions_ = &m->GetCounter("eventlake_lake_compactions_total",
                                        "Compaction commits (OPTIMIZE).");
    lake->compacted_rows_ = &m->GetCounter("eventlake_lake_compacted_rows_total",
                                           "Rows rewritten by compaction.");
    lake->vacuumed_files_ = &m->GetCounter("eventlake_lake_vacuumed_files_total",
                                           "Data files deleted by vacuum.");
    lake->maintenance_errors_ = &m->GetCounter(
        "eventlake_lake_maintenance_errors_total",
        "Compactions, vacuums, archivings and expiries that failed.");
    lake->archived_files_ = &m->GetCounter("eventlake_lake_archived_files_total",
                                           "Data files moved to an archive table.");
    lake->expired_files_ = &m->GetCounter("eventlake_lake_expired_files_total",
                                          "Data files that left a table by expire_after.");
  }
  EL_RETURN_IF_ERROR(lake->Open());
  return lake;
}

Status Lake::Open() {
  if (options_.storage.type == StorageType::kS3) {
    const S3Config& s3 = options_.storage.s3;
    auto env = [](const std::string& given, const char* name) {
      const char* value = std::getenv(name);
      return !given.empty() ? given : value != nullptr ? std::string(value) : std::string();
    };
    EL_RETURN_IF_ERROR(CreateDirectories(options_.staging_dir));
    EL_ASSIGN_OR_RETURN(store_,
                        S3ObjectStore::Open({.endpoint = s3.endpoint,
                                             .bucket = s3.bucket,
                                             .prefix = s3.prefix,
                                             .region = s3.region,
                                             .access_key_id = env(s3.access_key_id, "AWS_ACCESS_KEY_ID"),
                                             .secret_access_key =
                                                 env(s3.secret_access_key, "AWS_SECRET_ACCESS_KEY"),
                                             .session_token = env(s3.session_token, "AWS_SESSION_TOKEN"),
                                             .path_style = s3.path_style,
                                             .multipart_threshold = s3.multipart_threshold,
                                             .part_size = s3.part_size,
                                             .staging_dir = options_.staging_dir}));
  } else {
    EL_ASSIGN_OR_RETURN(store_, LocalObjectStore::Open(options_.root));
  }
  LogInfo("lake", "lake open", {{"store", store_->Describe()}});
  // Parquet writing is one COPY per partition per flush: two threads are
  // plenty, and leave the cores to ingestion.
  EL_ASSIGN_OR_RETURN(db_, engine::Database::Open({.threads = 2, .memory_limit = "2GB"}));
  for (const LoaderConfig& config : options_.loaders) {
    const TableConfig* table = FindTable(config.table);
    if (table == nullptr) {
      return InvalidArgument("loader " + config.name + ": no table " + config.table +
                             " is declared under tables");
    }
    log::Stream* stream = options_.log->FindStream(config.stream);
    if (stream == nullptr) {
      return InvalidArgument("loader " + config.name + ": no stream " + config.stream);
    }
    auto writer = OpenWriter(*table);
    if (!writer.has_value()) return writer.error();
    auto loader = Loader::Create({.name = config.name,
                                  .stream = stream,
                                  .writer = writer->get(),
                                  .open_dead_letter =
                                      [log = options_.log, name = config.DeadLetterStream(),
                                       durability = stream->options().durability] {
                                        return log->EnsureStream({.name = name,
                                                                  .partitions = 1,
                                                                  .durability = durability});
                                      },
                                  .max_poll_records = config.max_poll_records,
                                  .lateness = config.lateness,
                                  .max_future = config.max_future,
                                  .max_past = config.max_past,
                                  .clock = options_.clock,
                                  .metrics = options_.metrics});
    if (!loader.has_value()) return loader.error().WithContext("loader " + config.name);
    writers_.push_back(std::move(*writer));
    loaders_.push_back(std::move(*loader));
  }
  for (const RawZoneConfig& zone : options_.raw) {
    log::Stream* stream = options_.log->FindStream(zone.stream);
    if (stream == nullptr) return InvalidArgument("raw." + zone.name + ": no stream " + zone.stream);
    auto archiver = RawArchiver::Create({.name = zone.name,
                                         .stream = stream,
                                         .store = store_.get(),
                                         .max_bytes = zone.max_bytes,
                                         .max_age = zone.max_age,
                                         .clock = options_.clock,
                                         .metrics = options_.metrics});
    if (!archiver.has_value()) return archiver.error().WithContext("raw." + zone.name);
    raw_.push_back(std::move(*archiver));
  }
  // Declared tables nobody loads yet exist too, so that they can be listed.
  for (const TableConfig& table : options_.tables) {
    auto writer = OpenWriter(table);
    if (!writer.has_value()) return writer.error();
  }
  return Status::Ok();
}

const TableConfig* Lake::FindTable(std::string_view name) const {
  for (const TableConfig& t : options_.tables) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

Result<std::unique_ptr<TableWriter>> Lake::OpenWriter(const TableConfig& table) {
  EL_ASSIGN_OR_RETURN(DeclaredSchema declared, DeclaredSchemaOf(table));
  std::vector<Column> columns = EventAttributeColumns();
  columns.insert(columns.end(), declared.columns.begin(), declared.columns.end());
  auto writer = TableWriter::Open(store_.get(), db_.get(),
                                  {.name = table.name,
                                   .partition_by = table.partition_by,
                                   .initial_columns = std::move(columns),
                                   .add_columns = !declared.closed,
                                   .max_rows = table.max_rows,
                                   .max_bytes = table.max_bytes,
                                   .max_age = table.max_age,
                                   .checkpoint_interval = table.checkpoint_interval,
                                   .metrics = options_.metrics},
                                  options_.clock);
  if (!writer.has_value()) return Err(writer.error().WithContext("table " + table.name));
  return std::move(*writer);
}

Result<TableSink*> Lake::OpenTableSink(const std::string& pipeline, const std::string& table, bool overwrite) {
  const TableConfig* config = FindTable(table);
  if (config == nullptr) return Err(InvalidArgument("no table " + table + " is declared under tables"));
  std::lock_guard lock(sinks_mu_);
  for (const auto& sink : sinks_) {
    // A pipeline changed on a running server (eventlake apply) goes on
    // with its sink: the same writer, the offsets it has.
    if (sink->name() == table && sink->options().pipeline == pipeline && sink->options().overwrite == overwrite) {
      return sink.get();
    }
  }
  for (const auto& writer : writers_) {
    if (writer->options().name == table) {
      return Err(FailedPrecondition("table " + table + " already has a writer (a loader or a pipeline)"));
    }
  }
  EL_ASSIGN_OR_RETURN(std::unique_ptr<TableWriter> writer, OpenWriter(*config));
  EL_ASSIGN_OR_RETURN(std::unique_ptr<TableSink> sink,
                      TableSink::Create({.pipeline = pipeline,
                                         .writer = writer.get(),
                                         .clock = options_.clock,
                                         .metrics = options_.metrics,
                                         .overwrite = overwrite}));
  writers_.push_back(std::move(writer));
  sinks_.push_back(std::move(sink));
  return sinks_.back().get();
}

Status Lake::Start() {
  for (auto& loader : loaders_) EL_RETURN_IF_ERROR(loader->Start());
  for (auto& raw : raw_) EL_RETURN_IF_ERROR(raw->Start());
  maintenance_ = std::thread([this] { MaintenanceLoop(); });
  return Status::Ok();
}

void Lake::Stop() {
  for (auto& loader : loaders_) loader->Stop();
  for (auto& raw : raw_) raw->Stop();
  std::deque<std::function<void(bool)>> cancelled;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cancelled.swap(jobs_);
  }
  wake_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
  for (auto& job : cancelled) job(false);
}

Result<std::vector<std::string>> Lake::ListTables() const {
  std::vector<std::string> names;
  for (std::string_view zone : kZones) {
    EL_ASSIGN_OR_RETURN(std::vector<std::string> tables,
                        store_->ListDirectories(std::string(zone) + "/"));
    for (const std::string& table : tables) {
      const std::string prefix = std::string(zone) + "/" + table;
      if (store_->Head(CommitKey(prefix, 0)).has_value()) {
        names.push_back(std::string(zone) + "." + table);
      }
    }
  }
  return names;
}

bool Lake::Exists(std::string_view name) const {
  auto prefix = TablePrefix(name);
  return prefix.has_value() && store_->Head(CommitKey(*prefix, 0)).has_value();
}

Result<std::shared_ptr<const TableSnapshot>> Lake::Snapshot(std::string_view name,
                                                            std::optional<int64_t> version) const {
  EL_ASSIGN_OR_RETURN(std::string prefix, TablePrefix(name));
  DeltaLog log(store_.get(), prefix, db_.get());
  EL_ASSIGN_OR_RETURN(auto snapshot, log.Load(version));
  if (!snapshot->exists()) return Err(NotFound("no table named " + std::string(name)));
  return snapshot;
}

Result<std::shared_ptr<const TableSnapshot>> Lake::SnapshotAsOf(std::string_view name,
                                                                int64_t millis) const {
  EL_ASSIGN_OR_RETURN(std::string prefix, TablePrefix(name));
  DeltaLog log(store_.get(), prefix, db_.get());
  return log.LoadAsOf(millis);
}

Result<PendingRowsResult> Lake::ForEachPendingRow(std::string_view table,
                                                  const TableSnapshot& snapshot, uint64_t max_rows,
                                                  const PendingRowFn& row) const {
  std::vector<PendingSource> sources;
  for (const auto& loader : loaders_) {
    const LoaderOptions& o = loader->options();
    if (o.writer->options().name != table) continue;
    sources.push_back({.loader = o.name, .stream = o.stream, .max_future = o.max_future,
                       .max_past = o.max_past});
  }
  const TableSink* sink = nullptr;
  {
    std::lock_guard lock(sinks_mu_);  // a sink is never destroyed before the lake
    for (const auto& s : sinks_) {
      if (s->name() == table) sink = s.get();
    }
  }
  if (sources.empty() && sink == nullptr) return PendingRowsResult{};
  const TableConfig* config = FindTable(table);
  EL_ASSIGN_OR_RETURN(std::vector<PartitionField> fields,
                      ParsePartitionBy(config != nullptr ? config->partition_by : std::vector<std::string>{}));
  if (sink != nullptr) return sink->ForEachPendingRow(snapshot, fields, max_rows, row);
  return lake::ForEachPendingRow(snapshot, sources, fields, max_rows, options_.clock, row);
}

Result<std::vector<CommitSummary>> Lake::History(std::string_view name) const {
  EL_ASSIGN_OR_RETURN(std::string prefix, TablePrefix(name));
  DeltaLog log(store_.get(), prefix);
  EL_ASSIGN_OR_RETURN(auto history, log.History());
  if (history.empty()) return Err(NotFound("no table named " + std::string(name)));
  return history;
}

}  // namespace eventlake::lake
