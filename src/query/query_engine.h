// QueryEngine: SQL over the lake (docs/query.md). One embedded DuckDB,
// sandboxed once at start (external access off except reads of the lake
// directory, no extension loading, configuration locked), runs every query
// on a connection of its own:
//
//   1. the SQL guard checks the parse tree (sql_guard.h);
//   2. the caller must have tables:Select on table/<name> for each table;
//   3. each table becomes a view on that connection (expanded into the
//      query's parse tree, or created when restricted) over the files
//      of its current snapshot plus the rows its loaders have not committed
//      yet (pending_table.h), or over the files of the version asked AT;
//   4. DuckDB renders each result row as a JSON array, streamed in chunks to
//      a RowSink, up to the row and byte limits (beyond them: truncated);
//      or the result goes out as a Parquet file, or as an Arrow IPC stream
//      (QueryOutput).
//
// The guard's tree (1.) and the SQL rendered with the views expanded
// (3.) are kept per query text and dialect, the latter also per the table
// versions and pending rows its views expand: a repeated query (a
// dashboard's) only reads the snapshots, is authorized and binds again.
//
// Every query is accounted: metrics, and one "audit" log record with the
// principal, the SQL, the tables and versions read, their files and bytes,
// the pending rows, the result rows, the time and the outcome.
//
// Queries run on a few worker threads (Submit) or on the caller's (Run).
// Each has a timeout; Cancel(id) stops one. Both interrupt DuckDB and the
// sink (RowSink::Interrupt).
//
// Memory: `workers` slots, each a DuckDB of its own with max_query_memory
// as its memory limit and a spill directory of its own; a query holds one
// slot from start to end (Run waits for a free one, up to its timeout), so
// one query's memory is bounded whatever the others do, and all of them
// by memory_limit. A query beyond its slot's memory spills, then fails
// with InvalidArgument ("... exceeds query.max_query_memory ...").
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

#include "core/metrics.h"
#include "core/status.h"
#include "engine/database.h"
#include "lake/lake.h"
#include "query/bounded_cache.h"
#include "query/file_cache.h"
#include "query/sql_guard.h"
#include "security/access_control.h"
#include "security/principal.h"

namespace eventlake::query {

struct QueryEngineOptions {
  lake::Lake* lake = nullptr;                         // required; must outlive the engine
  const security::AccessControl* access = nullptr;    // null: access control off
  MetricsRegistry* metrics = nullptr;
  int threads = 0;                                     // DuckDB's, per query; 0 = the cores
  uint64_t memory_limit = 0;                           // all queries together; 0 = 80% of the memory
  uint64_t max_query_memory = 0;                       // one query; 0 = memory_limit / workers
  std::string temp_directory;                          // where DuckDB spills (a directory per slot); "" = none
  std::string cache_directory;                         // local copies of an S3 lake's data files
  uint64_t cache_max_bytes = 10ull << 30;              // beyond it the least recently used go (file_cache.h)
  std::string results_directory;                       // Parquet results are written here; "" = none
  size_t workers = 4;                                  // queries at once (Submit and Run)
  size_t max_queued = 64;                              // waiting beyond that: ResourceExhausted
  std::chrono::milliseconds timeout{60'000};
  uint64_t max_result_rows = 1'000'000;
  uint64_t max_result_bytes = 256ull << 20;            // of rendered JSON rows (or the file, the stream)
  uint64_t max_pending_rows = 1'000'000;               // per table per query (pending_table.h)
};

using QueryParameter = std::variant<std::monostate, bool, int64_t, double, std::string>;

// What a query's result becomes.
enum class QueryOutput {
  kRows,     // JSON arrays to RowSink::Row
  kParquet,  // a zstd Parquet file (QueryStats::parquet_file, the caller's to delete)
  kArrow,    // an Arrow IPC stream to RowSink::Bytes (arrow_ipc_writer.h), no JSON rendered
};

struct QueryRequest {
  std::string sql;
  std::vector<QueryParameter> parameters;  // $1, $2, ...
  security::Principal principal = security::AnonymousPrincipal();
  std::string id;                          // for Cancel; "" = not cancellable
  std::optional<std::chrono::milliseconds> timeout;  // at most the engine's
  std::optional<uint64_t> max_rows;                  // at most the engine's
  // Only prepare: the sink gets Parameters and Columns, no rows (what the
  // wire protocol's Describe needs); the parameters need not be given.
  bool describe_only = false;
  SqlDialect dialect = SqlDialect::kDuckDb;  // the wire protocol's: kPostgres
  QueryOutput output = QueryOutput::kRows;
};

struct QueryColumn {
  std::string name;
  std::string type;  // DuckDB's type name
};

// Where result rows go. A non-OK Status from the sink stops the query.
class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual Status Columns(std::span<const QueryColumn> columns) = 0;
  // The types DuckDB expects for $1, $2, ... ("" where the value decides);
  // called before Columns.
  virtual Status Parameters(std::span<const std::string> types) {
    (void)types;
    return Status::Ok();
  }
  // One row as a JSON array (values in column order).
  virtual Status Row(std::string_view json_array) = 0;
  // QueryOutput::kArrow: the next piece of the result's Arrow IPC stream
  // (the pieces in order are the whole stream), after Columns.
  virtual Status Bytes(std::string_view piece) {
    (void)piece;
    return FailedPrecondition("this result sink takes rows, not an Arrow stream");
  }
  // After the rows of one of DuckDB's chunks (up to 2048): a sink that
  // sends rows on may send what it holds now, so that a slow query's rows
  // do not wait for more.
  virtual Status ChunkEnd() { return Status::Ok(); }
  // From another thread (the watchdog at the timeout, Cancel, the engine
  // stopping), possibly many times while the query runs: DuckDB is
  // interrupted, and a sink that blocks in Row (a slow client) must return
  // an error soon after.
  virtual void Interrupt() {}
};

struct QueryStats {
  uint64_t rows = 0;           // result rows delivered
  uint64_t result_bytes = 0;   // their JSON text (the Parquet file, the Arrow stream)
  bool truncated = false;      // a limit cut the result
  std::vector<std::string> tables;  // "curated.events@3"
  size_t files = 0;            // data files of the snapshots read (before pruning)
  uint64_t bytes = 0;          // their size
  uint64_t rows_in_scope = 0;  // their rows (Delta stats' numRecords), before pruning
  // What is left of them after the query's filters on partition columns
  // (partition_pruning.h): the files DuckDB reads at most, their bytes, rows.
  size_t files_scanned = 0;
  uint64_t bytes_scanned = 0;
  uint64_t rows_scanned = 0;
  uint64_t pending_rows = 0;   // acknowledged rows not committed yet, read from the log
  bool pending_truncated = false;  // more were pending than max_pending_rows
  std::string parquet_file;    // QueryOutput::kParquet: the result's file
  double seconds = 0;
};

// The outcome of one query: its stats, or the error (with the position of a
// syntax error when it was one).
struct QueryFailure {
  Status status;
  std::optional<size_t> position;
};

class QueryEngine {
 public:
  static Result<std::unique_ptr<QueryEngine>> Open(QueryEngineOptions options);
  ~QueryEngine();  // waits for running queries, fails queued ones
  QueryEngine(const QueryEngine&) = delete;
  QueryEngine& operator=(const QueryEngine&) = delete;

  // Runs `request` on the calling thread.
  std::variant<QueryStats, QueryFailure> Run(const QueryRequest& request, RowSink& sink);
  // Runs it on a worker; `done` runs there. The sink must live until then.
  void Submit(QueryRequest request, RowSink* sink,
              std::function<void(std::variant<QueryStats, QueryFailure>)> done);
  // Interrupts the running query of that id: true when there was one.
  bool Cancel(std::string_view id);

 private:
  explicit QueryEngine(QueryEngineOptions options) : options_(std::move(options)) {}
  Status Open();
  void Worker();
  void Watchdog();
  Result<QueryStats> Execute(const QueryRequest& request, engine::Connection& connection,
                             RowSink& sink, SyntaxError* syntax);
  // `allowed`: the statement that allows the caller to read the table (its
  // restrictions apply); null when access control is off.
  // Unrestricted tables are not created as views but added to `expansions`
  // (view name, serialized parse tree) for ExpandViews.
  // `filter`: the reference's partition filter (partition_pruning.h), for
  // the scanned figures; null when every file may be read. An expanded
  // view adds what decides its tree to `expanded_as`.
  Status CreateView(engine::Connection& connection, const TableReference& ref,
                    const std::shared_ptr<const lake::TableSnapshot>& snapshot,
                    const security::Statement* allowed, const std::string* filter, QueryStats& stats,
                    std::vector<std::pair<std::string, std::string>>* expansions, std::string* expanded_as);
  struct ScannedCounts;
  // The files, bytes and rows of `snapshot` that pass `filter`: `all` of
  // them when null, or when DuckDB cannot evaluate it.
  ScannedCounts CountScanned(engine::Connection& connection, const std::string& key,
                             const lake::TableSnapshot& snapshot, const std::string* filter,
                             const ScannedCounts& all);
  Status CreateCatalogView(engine::Connection& connection, const TableReference& ref,
                           const security::Principal& principal);
  Result<std::shared_ptr<const lake::TableSnapshot>> SnapshotFor(const TableReference& ref) const;
  Result<QueryStats> WriteParquet(const QueryRequest& request, engine::Connection& connection,
                                  const std::string& sql, QueryStats stats);
  // The rows of `stream` to the sink as JSON (column 0), up to the limits.
  Result<QueryStats> StreamRows(engine::ChunkStream& stream, uint64_t max_rows, RowSink& sink,
                                QueryStats stats);
  // The result of `stream` to the sink as an Arrow IPC stream, up to the limits.
  Result<QueryStats> StreamArrow(engine::ChunkStream& stream, uint64_t max_rows, RowSink& sink,
                                 QueryStats stats);
  // One "audit" log record per query: who, what, what it read, the outcome.
  void Audit(const QueryRequest& request, const QueryStats* stats, const Status& status,
             double seconds) const;
  // For a lake in S3: each data file of `snapshot` in the cache directory.
  Status CacheFiles(const std::string& prefix, const lake::TableSnapshot& snapshot);

  struct Running {
    engine::Connection* connection;
    RowSink* sink;
    std::chrono::steady_clock::time_point deadline;
    std::string id;
    bool cancelled = false;
  };
  struct Job {
    QueryRequest request;
    RowSink* sink;
    std::function<void(std::variant<QueryStats, QueryFailure>)> done;
  };

  // A free slot's DuckDB, waiting until `deadline` for one; null when none
  // became free or the engine is stopping.
  engine::Database* TakeSlot(std::chrono::steady_clock::time_point deadline);
  void ReturnSlot(engine::Database* database);
  std::variant<QueryStats, QueryFailure> RunIn(engine::Database& database, const QueryRequest& request,
                                               RowSink& sink, std::chrono::steady_clock::time_point started,
                                               std::chrono::milliseconds timeout);

  QueryEngineOptions options_;
  uint64_t query_memory_ = 0;                          // each slot's DuckDB memory limit
  std::vector<std::unique_ptr<engine::Database>> slots_;
  std::vector<engine::Database*> free_slots_;          // under mu_
  std::condition_variable slot_freed_;
  std::string lake_dir_;

  std::mutex mu_;
  std::condition_variable wake_;           // workers and the watchdog
  std::deque<Job> queue_;                  // guarded by mu_
  std::map<uint64_t, Running> running_;    // guarded by mu_
  uint64_t next_running_ = 0;              // guarded by mu_
  bool stopping_ = false;                  // guarded by mu_
  std::vector<std::thread> workers_;
  std::thread watchdog_;

  struct ScannedCounts {
    size_t files = 0;
    uint64_t bytes = 0;
    uint64_t rows = 0;
  };
  // "<table>@<version>\n<filter>" -> what passes.
  BoundedCache<ScannedCounts> scanned_cache_{1024};
  // "<dialect>\n<sql>" -> the guard's tree and tables (~20x the text each).
  BoundedCache<GuardedTree> guarded_cache_{128};
  // "<dialect>\n<sql>\n\n<the views expanded into it>" -> the SQL to run.
  BoundedCache<std::string> rendered_cache_{128};
  // (table@version) -> its view's SELECT.
  BoundedCache<std::string> view_cache_{1024};
  // A view's SELECT -> its serialized parse tree (SerializeSql), tens of KB each.
  BoundedCache<std::string> view_tree_cache_{256};
  bool remote_ = false;                        // the lake is in S3: lake_dir_ is the cache
  std::unique_ptr<FileCache> file_cache_;      // a lake in S3: its data files' local copies

  Counter* queries_ok_ = nullptr;
  Counter* queries_failed_ = nullptr;
  Counter* rows_returned_ = nullptr;
  Counter* files_in_scope_ = nullptr;
  Counter* bytes_in_scope_ = nullptr;
  Counter* rows_in_scope_ = nullptr;
  Counter* files_scanned_ = nullptr;
  Counter* bytes_scanned_ = nullptr;
  Counter* rows_scanned_ = nullptr;
  Histogram* query_seconds_ = nullptr;
};

}  // namespace eventlake::query
