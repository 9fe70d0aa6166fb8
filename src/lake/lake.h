// Lake: the lake as the server runs it — the object store (a local
// directory under the data directory), the DuckDB instance that writes
// Parquet, one TableWriter and Loader per configured loader, the table
// sinks of pipelines, and read access to every table's log for the API and
// the CLI.
//
// Maintenance: one thread compacts and vacuums the declared tables on their
// intervals, and runs the compactions and vacuums asked for (Compact,
// Vacuum) one at a time, answering through a callback on that thread.
//
// Lifetime: Open, Start (the loaders' and maintenance threads), Stop (each
// loader flushes what it buffered; queued maintenance is answered
// Unavailable), destroy. The Log and the metrics registry must outlive it.
// Reads (ListTables, Snapshot, History) and Compact/Vacuum are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/status.h"
#include "engine/database.h"
#include "lake/compaction.h"
#include "lake/declared_schema.h"
#include "lake/delta_log.h"
#include "lake/lake_options.h"
#include "lake/loader.h"
#include "lake/object_store.h"
#include "lake/pending_rows.h"
#include "lake/raw_archiver.h"
#include "lake/table_sink.h"
#include "lake/table_writer.h"
#include "lake/vacuum.h"
#include "log/log.h"

namespace eventlake::lake {

struct LakeOptions {
  std::string root;  // the local store's directory: <data_dir>/lake
  StorageConfig storage;  // local (in `root`) or S3
  std::string staging_dir;  // for an S3 store: where files wait for their upload
  std::vector<TableConfig> tables;
  std::vector<LoaderConfig> loaders;
  std::vector<RawZoneConfig> raw;
  log::Log* log = nullptr;
  MetricsRegistry* metrics = nullptr;
  Clock* clock = &SystemClock();
};

class Lake {
 public:
  // Opens the store and creates the declared tables that do not exist yet;
  // a loader's dead-letter stream is created by its first dead letter.
  // Nothing runs until Start(). A table that exists with another
  // partitioning is an error (FailedPrecondition).
  static Result<std::unique_ptr<Lake>> Open(LakeOptions options);
  ~Lake();  // Stop()
  Lake(const Lake&) = delete;
  Lake& operator=(const Lake&) = delete;

  Status Start();
  void Stop();

  ObjectStore& store() { return *store_; }
  const ObjectStore& store() const { return *store_; }
  // The directory of the local store; nullopt for S3.
  std::optional<std::string> LocalRoot() const {
    if (options_.storage.type != StorageType::kLocal) return std::nullopt;
    return options_.root;
  }
  // "<zone>.<table>" of every table in the store, sorted.
  Result<std::vector<std::string>> ListTables() const;
  bool Exists(std::string_view name) const;
  // The table's snapshot at `version` (latest when nullopt); NotFound for a
  // table that does not exist.
  Result<std::shared_ptr<const TableSnapshot>> Snapshot(
      std::string_view name, std::optional<int64_t> version = std::nullopt) const;
  // The table's latest snapshot committed at or before `millis` (time
  // travel by timestamp); NotFound when the table is younger.
  Result<std::shared_ptr<const TableSnapshot>> SnapshotAsOf(std::string_view name,
                                                            int64_t millis) const;
  Result<std::vector<CommitSummary>> History(std::string_view name) const;

  // Queued for the maintenance thread; `done` runs there (or at Stop, with
  // Unavailable). A table not declared in the config uses the defaults.
  void Compact(std::string name, std::function<void(Result<CompactionResult>)> done);
  void Vacuum(std::string name, VacuumOptions options,
              std::function<void(Result<VacuumResult>)> done);
  // The loaders, for tests and tools.
  const std::vector<std::unique_ptr<Loader>>& loaders() const { return loaders_; }

  // The sink of pipeline `pipeline` into the declared table `table`
  // (table_sink.h); the lake owns it, until the lake is destroyed. Also
  // after Start (a pipeline applied to a running server); the pipeline's
  // sink of the table again when it has one. One writer per table: a
  // table another loader or sink fills is FailedPrecondition. An
  // overwrite sink replaces the table's rows at each flush (TableSinkOptions).
  Result<TableSink*> OpenTableSink(const std::string& pipeline, const std::string& table, bool overwrite = false);

  // The rows the table's loaders have yet to commit, read against
  // `snapshot` (pending_rows.h); at most max_rows.
  Result<PendingRowsResult> ForEachPendingRow(std::string_view table, const TableSnapshot& snapshot,
                                              uint64_t max_rows, const PendingRowFn& row) const;

 private:
  explicit Lake(LakeOptions options) : options_(std::move(options)) {}
  Status Open();
  static Result<DeclaredSchema> DeclaredSchemaOf(const TableConfig& table);
  // The writer of a declared table, with the table's options.
  Result<std::unique_ptr<TableWriter>> OpenWriter(const TableConfig& table);
  const TableConfig* FindTable(std::string_view name) const;
  // lake_maintenance.cpp
  void MaintenanceLoop();
  void RunDueMaintenance(std::chrono::steady_clock::time_point now);
  // Archiving, then expiry (of the table and its archive): lifecycle.h.
  void RunLifecycle(const TableConfig& table);
  Result<CompactionResult> CompactNow(const std::string& name);
  Result<VacuumResult> VacuumNow(const std::string& name, const VacuumOptions& options);
  TableConfig ConfigOf(const std::string& name) const;

  LakeOptions options_;
  std::unique_ptr<ObjectStore> store_;
  std::unique_ptr<engine::Database> db_;
  std::vector<std::unique_ptr<TableWriter>> writers_;
  std::vector<std::unique_ptr<Loader>> loaders_;
  std::vector<std::unique_ptr<TableSink>> sinks_;  // guarded by sinks_mu_ (and the writers they hold)
  mutable std::mutex sinks_mu_;
  std::vector<std::unique_ptr<RawArchiver>> raw_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;                                // guarded by mu_
  std::deque<std::function<void(bool run)>> jobs_;        // guarded by mu_; false: cancelled
  std::map<std::string, std::chrono::steady_clock::time_point> next_compact_, next_vacuum_;
  std::thread maintenance_;
  Counter* compactions_ = nullptr;
  Counter* compacted_rows_ = nullptr;
  Counter* vacuumed_files_ = nullptr;
  Counter* maintenance_errors_ = nullptr;
  Counter* archived_files_ = nullptr;
  Counter* expired_files_ = nullptr;
};

}  // namespace eventlake::lake
