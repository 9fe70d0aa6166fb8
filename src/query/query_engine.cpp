// QueryEngine: the sandboxed DuckDB, the per-query connection with its
// views, the workers and the watchdog that enforces timeouts.
#include "query/query_engine.h"

#include <filesystem>

#include "core/cloud_event.h"
#include "core/config_table.h"
#include "core/id.h"
#include "core/logging.h"
#include "core/system_memory.h"
#include "lake/table_writer.h"
#include "query/access_view.h"
#include "query/arrow_ipc_writer.h"
#include "query/catalog_views.h"
#include "query/parse_tree.h"
#include "query/partition_pruning.h"
#include "query/pending_table.h"
#include "query/table_view.h"

namespace eventlake::query {
namespace {

using engine::SqlIdentifier;
using engine::SqlString;
using config::FormatByteSize;

constexpr size_t kMaxCachedSqlBytes = 8 << 10;  // longer query texts are not cached
constexpr size_t kMaxCachedRenderedBytes = 256 << 10;
constexpr uint64_t kMinQueryMemory = 16ull << 20;  // below it DuckDB fails simple scans

// "2026-12-01", "2026-12-01 10:00:00", "2026-12-01T10:00:00.5+02:00" -> micros.
Result<int64_t> ParseAtTimestamp(std::string_view text) {
  std::string t(text);
  if (t.size() == 10) t += "T00:00:00";
  if (t.size() > 10 && t[10] == ' ') t[10] = 'T';
  const bool zoned = t.ends_with("Z") || t.ends_with("z") ||
                     (t.size() > 19 && (t[t.size() - 6] == '+' || t[t.size() - 6] == '-'));
  if (!zoned) t += "Z";
  auto micros = ParseRfc3339(t);
  if (!micros.has_value()) {
    return Err(InvalidArgument("AT (TIMESTAMP => '" + std::string(text) +
                               "'): expected 'YYYY-MM-DD[ HH:MM:SS[.fff]][+HH:MM]'"));
  }
  return *micros;
}

Status Bind(engine::PreparedStatement& statement, const std::vector<QueryParameter>& parameters) {
  if (parameters.size() != statement.parameter_count()) {
    return InvalidArgument("the query has " + std::to_string(statement.parameter_count()) +
                           " parameters; " + std::to_string(parameters.size()) + " given");
  }
  for (size_t i = 0; i < parameters.size(); ++i) {
    const size_t index = i + 1;
    Status s = std::visit(
        [&](const auto& v) -> Status {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::monostate>) return statement.BindNull(index);
          if constexpr (std::is_same_v<T, bool>) return statement.BindBool(index, v);
          if constexpr (std::is_same_v<T, int64_t>) return statement.BindInt64(index, v);
          if constexpr (std::is_same_v<T, double>) return statement.BindDouble(index, v);
          if constexpr (std::is_same_v<T, std::string>) return statement.BindText(index, v);
        },
        parameters[i]);
    EL_RETURN_IF_ERROR(s);
  }
  return Status::Ok();
}

// JSON has no NaN or infinities; DuckDB writes them bare. They become strings.
std::string_view JsonSafe(std::string_view row, std::string& scratch) {
  if (row.find_first_of("NI") == std::string_view::npos) return row;
  scratch.clear();
  bool in_string = false;
  for (size_t i = 0; i < row.size(); ++i) {
    const char c = row[i];
    if (in_string) {
      scratch += c;
      if (c == '\\' && i + 1 < row.size()) scratch += row[++i];
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    for (std::string_view word : {"-Infinity", "Infinity", "NaN"}) {
      if (row.substr(i, word.size()) == word) {
        scratch += '"';
        scratch += word;
        scratch += '"';
        i += word.size() - 1;
        goto next;
      }
    }
    scratch += c;
  next:;
  }
  return scratch;
}

}  // namespace

Result<std::unique_ptr<QueryEngine>> QueryEngine::Open(QueryEngineOptions options) {
  if (options.lake == nullptr) return Err(InvalidArgument("the query engine needs the lake"));
  auto engine = std::unique_ptr<QueryEngine>(new QueryEngine(std::move(options)));
  EL_RETURN_IF_ERROR(engine->Open());
  return engine;
}

Status QueryEngine::Open() {
  std::optional<std::string> root = options_.lake->LocalRoot();
  if (!root.has_value()) {
    // A lake in S3: queries read local copies of its data files, which
    // never change once written (file_cache.h).
    if (options_.cache_directory.empty()) {
      return FailedPrecondition("a lake in S3 needs a query cache directory");
    }
    EL_ASSIGN_OR_RETURN(file_cache_, FileCache::Open({.directory = options_.cache_directory,
                                                      .store = &options_.lake->store(),
                                                      .max_bytes = options_.cache_max_bytes,
                                                      .keep_for = 2 * options_.timeout,
                                                      .metrics = options_.metrics}));
    remote_ = true;
    root = options_.cache_directory;
  }
  lake_dir_ = *root;
  while (lake_dir_.size() > 1 && lake_dir_.back() == '/') lake_dir_.pop_back();
  const size_t slots = std::max<size_t>(options_.workers, 1);
  const uint64_t total = options_.memory_limit > 0 ? options_.memory_limit : AvailableMemoryBytes() / 10 * 8;
  query_memory_ = options_.max_query_memory > 0 ? options_.max_query_memory : total / slots;
  if (query_memory_ > total / slots) {
    return InvalidArgument("query.max_query_memory (" + FormatByteSize(query_memory_) + ") times query.workers (" +
                           std::to_string(slots) + ") is more than query.memory_limit (" + FormatByteSize(total) +
                           "); lower one of them or raise the limit");
  }
  if (query_memory_ < kMinQueryMemory) {
    return InvalidArgument("each query would have " + FormatByteSize(query_memory_) +
                           " (query.memory_limit / query.workers); it needs at least " +
                           FormatByteSize(kMinQueryMemory));
  }
  std::string allowed = SqlString(lake_dir_ + "/");
  if (!options_.results_directory.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(options_.results_directory, ec);  // what a crash left
    std::filesystem::create_directories(options_.results_directory, ec);
    if (ec) return IOError("creating " + options_.results_directory + ": " + ec.message());
    allowed += ", " + SqlString(options_.results_directory + "/");
  }
  for (size_t i = 0; i < slots; ++i) {
    EL_ASSIGN_OR_RETURN(auto database,
                        engine::Database::Open({.threads = options_.threads,
                                                .memory_limit = std::to_string(query_memory_ / 1024) + "KiB",
                                                .settings = {{"autoload_known_extensions", "false"},
                                                             {"autoinstall_known_extensions", "false"}}}));
    EL_ASSIGN_OR_RETURN(auto setup, database->Connect());
    std::string sandbox = "SET parquet_metadata_cache = true; SET allowed_directories = [" + allowed + "];";
    if (!options_.temp_directory.empty()) {
      const std::string spills = options_.temp_directory + "/slot-" + std::to_string(i);
      std::error_code ec;
      std::filesystem::create_directories(spills, ec);
      if (ec) return IOError("creating " + spills + ": " + ec.message());
      sandbox += "SET temp_directory = " + SqlString(spills) + ";";
    }
    sandbox += "SET enable_external_access = false; SET lock_configuration = true;";
    EL_RETURN_IF_ERROR(setup->Execute(sandbox));
    setup.reset();
    free_slots_.push_back(database.get());
    slots_.push_back(std::move(database));
  }
  if (MetricsRegistry* m = options_.metrics) {
    queries_ok_ = &m->GetCounter("eventlake_queries_total", "Queries run.", {{"result", "ok"}});
    queries_failed_ = &m->GetCounter("eventlake_queries_total", "Queries run.", {{"result", "error"}});
    rows_returned_ = &m->GetCounter("eventlake_query_rows_returned_total", "Result rows returned.");
    files_in_scope_ = &m->GetCounter("eventlake_query_files_in_scope_total",
                                     "Data files of the snapshots queries read (before pruning).");
    bytes_in_scope_ = &m->GetCounter("eventlake_query_bytes_in_scope_total",
                                     "Bytes of the data files in scope of queries (before pruning).");
    rows_in_scope_ = &m->GetCounter("eventlake_query_rows_in_scope_total",
                                    "Rows of the data files in scope of queries (before pruning).");
    files_scanned_ = &m->GetCounter("eventlake_query_files_scanned_total",
                                    "Data files queries read at most, after partition pruning.");
    bytes_scanned_ = &m->GetCounter("eventlake_query_bytes_scanned_total",
                                    "Bytes of the data files queries read at most, after partition pruning.");
    rows_scanned_ = &m->GetCounter("eventlake_query_rows_scanned_total",
                                   "Rows of the data files queries read at most, after partition pruning.");
    query_seconds_ = &m->GetHistogram("eventlake_query_seconds", "Query time, guard to last row.",
                                      {0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60});
  }
  for (size_t i = 0; i < slots; ++i) {
    workers_.emplace_back([this] { Worker(); });
  }
  watchdog_ = std::thread([this] { Watchdog(); });
  return Status::Ok();
}

QueryEngine::~QueryEngine() {
  std::deque<Job> cancelled;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cancelled.swap(queue_);
    for (auto& [n, running] : running_) {
      running.connection->Interrupt();
      running.sink->Interrupt();
    }
  }
  wake_.notify_all();
  slot_freed_.notify_all();
  for (std::thread& t : workers_) t.join();
  if (watchdog_.joinable()) watchdog_.join();
  for (Job& job : cancelled) job.done(QueryFailure{Unavailable("the server is stopping"), {}});
}

void QueryEngine::Submit(QueryRequest request, RowSink* sink,
                         std::function<void(std::variant<QueryStats, QueryFailure>)> done) {
  std::unique_lock lock(mu_);
  if (stopping_) {
    lock.unlock();
    return done(QueryFailure{Unavailable("the server is stopping"), {}});
  }
  if (queue_.size() >= options_.max_queued) {
    lock.unlock();
    return done(QueryFailure{ResourceExhausted("too many queries are waiting; retry later"), {}});
  }
  queue_.push_back({std::move(request), sink, std::move(done)});
  wake_.notify_all();
}

void QueryEngine::Worker() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    job.done(Run(job.request, *job.sink));
    lock.lock();
  }
}

void QueryEngine::Watchdog() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const auto now = std::chrono::steady_clock::now();
    auto next = now + std::chrono::seconds(1);
    for (auto& [n, running] : running_) {
      if (running.deadline <= now) {
        // Again and again until the query ends: an interrupt that lands
        // between two of its statements is cleared when the next starts.
        running.connection->Interrupt();
        running.sink->Interrupt();
        running.deadline = now + std::chrono::milliseconds(100);
      }
      next = std::min(next, running.deadline);
    }
    wake_.wait_until(lock, next);
  }
}

bool QueryEngine::Cancel(std::string_view id) {
  std::lock_guard lock(mu_);
  for (auto& [n, running] : running_) {
    if (!id.empty() && running.id == id) {
      running.cancelled = true;
      running.connection->Interrupt();
      running.sink->Interrupt();
      running.deadline = std::chrono::steady_clock::now();  // the watchdog keeps interrupting it
      wake_.notify_all();
      return true;
    }
  }
  return false;
}

std::variant<QueryStats, QueryFailure> QueryEngine::Run(const QueryRequest& request, RowSink& sink) {
  const auto started = std::chrono::steady_clock::now();
  const auto timeout = std::min(request.timeout.value_or(options_.timeout), options_.timeout);
  engine::Database* database = TakeSlot(started + timeout);
  if (database == nullptr) {
    if (std::lock_guard lock(mu_); stopping_) return QueryFailure{Unavailable("the server is stopping"), {}};
    return QueryFailure{DeadlineExceeded("no query slot became free within the timeout of " +
                                         std::to_string(timeout.count()) + " ms (query.workers are busy)"),
                        {}};
  }
  std::variant<QueryStats, QueryFailure> outcome = RunIn(*database, request, sink, started, timeout);
  ReturnSlot(database);
  return outcome;
}

engine::Database* QueryEngine::TakeSlot(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  slot_freed_.wait_until(lock, deadline, [&] { return stopping_ || !free_slots_.empty(); });
  if (stopping_ || free_slots_.empty()) return nullptr;
  engine::Database* database = free_slots_.back();
  free_slots_.pop_back();
  return database;
}

void QueryEngine::ReturnSlot(engine::Database* database) {
  {
    std::lock_guard lock(mu_);
    free_slots_.push_back(database);
  }
  slot_freed_.notify_one();
}

std::variant<QueryStats, QueryFailure> QueryEngine::RunIn(engine::Database& database, const QueryRequest& request,
                                                          RowSink& sink, std::chrono::steady_clock::time_point started,
                                                          std::chrono::milliseconds timeout) {
  auto connection = database.Connect();
  if (!connection.has_value()) return QueryFailure{connection.error(), {}};
  uint64_t slot;
  {
    std::lock_guard lock(mu_);
    slot = next_running_++;
    running_[slot] = {connection->get(), &sink, started + timeout, request.id};
  }
  wake_.notify_all();
  SyntaxError syntax;
  Result<QueryStats> result = Execute(request, **connection, sink, &syntax);
  bool cancelled;
  {
    std::lock_guard lock(mu_);
    cancelled = running_[slot].cancelled;
    running_.erase(slot);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (query_seconds_ != nullptr) query_seconds_->Observe(seconds);
  if (!result.has_value()) {
    if (queries_failed_ != nullptr) queries_failed_->Increment();
    Status status = result.error();
    // DuckDB quotes the SQL it ran, which is the query with its tables
    // expanded into their views: not the caller's text, and not theirs to see.
    if (size_t line = status.message().find("\n\nLINE "); line != std::string::npos) {
      status = Status(status.code(), status.message().substr(0, line));
    }
    if (status.code() == StatusCode::kResourceExhausted && status.message().starts_with("Out of Memory")) {
      // The query's own size, not the server's load: retrying will not help.
      status = InvalidArgument("the query needs more memory than query.max_query_memory (" +
                               FormatByteSize(query_memory_) + ") and its spill space allow: " +
                               status.message());
    }
    if (status.code() == StatusCode::kDeadlineExceeded) {
      status = DeadlineExceeded(cancelled ? "the query was cancelled"
                                          : "the query ran longer than its timeout of " +
                                                std::to_string(timeout.count()) + " ms");
    }
    Audit(request, nullptr, status, seconds);
    return QueryFailure{std::move(status), syntax.position};
  }
  result->seconds = seconds;
  if (queries_ok_ != nullptr) {
    queries_ok_->Increment();
    rows_returned_->Increment(result->rows);
    files_in_scope_->Increment(result->files);
    bytes_in_scope_->Increment(result->bytes);
    rows_in_scope_->Increment(result->rows_in_scope);
    files_scanned_->Increment(result->files_scanned);
    bytes_scanned_->Increment(result->bytes_scanned);
    rows_scanned_->Increment(result->rows_scanned);
  }
  Audit(request, &*result, Status::Ok(), seconds);
  return *result;
}

Result<QueryStats> QueryEngine::WriteParquet(const QueryRequest& request, engine::Connection& connection,
                                             const std::string& sql, QueryStats stats) {
  if (options_.results_directory.empty()) return Err(FailedPrecondition("Parquet results are not set up"));
  const uint64_t max_rows = std::min(request.max_rows.value_or(options_.max_result_rows),
                                     options_.max_result_rows);
  const std::string file = options_.results_directory + "/" + NewEventId() + ".parquet";
  EL_ASSIGN_OR_RETURN(auto copy, connection.Prepare("COPY (SELECT * FROM (\n" + sql + "\n) AS \"__query\" LIMIT " +
                                                    std::to_string(max_rows) + ") TO " + SqlString(file) +
                                                    " (FORMAT parquet, COMPRESSION zstd)"));
  EL_RETURN_IF_ERROR(Bind(*copy, request.parameters));
  auto written = [&]() -> Result<uint64_t> {
    EL_ASSIGN_OR_RETURN(engine::ChunkStream stream, copy->Execute());
    while (true) {
      EL_ASSIGN_OR_RETURN(bool more, stream.Next());
      if (!more) break;
    }
    EL_ASSIGN_OR_RETURN(engine::QueryResult counted,
                        connection.Query("SELECT count(*) FROM read_parquet(" + SqlString(file) + ")"));
    return static_cast<uint64_t>(counted.Int64(0, 0).value_or(0));
  }();
  std::error_code ec;
  if (!written.has_value()) {
    std::filesystem::remove(file, ec);
    return Err(written.error());
  }
  stats.rows = *written;
  stats.truncated = stats.rows == max_rows;  // maybe: exactly max_rows rows
  stats.result_bytes = std::filesystem::file_size(file, ec);
  if (stats.result_bytes > options_.max_result_bytes) {
    std::filesystem::remove(file, ec);
    return Err(InvalidArgument("the Parquet result is larger than query.max_result_bytes (" +
                               std::to_string(options_.max_result_bytes) + " bytes); narrow the query"));
  }
  stats.parquet_file = file;
  return stats;
}

void QueryEngine::Audit(const QueryRequest& request, const QueryStats* stats, const Status& status,
                        double seconds) const {
  if (request.describe_only) return;  // the Execute that follows is the query
  constexpr size_t kMaxAuditedSql = 4096;
  const std::string sql = request.sql.size() > kMaxAuditedSql
                              ? request.sql.substr(0, kMaxAuditedSql) + "..."
                              : request.sql;
  std::string tables;
  if (stats != nullptr) {
    for (const std::string& t : stats->tables) tables += (tables.empty() ? "" : ",") + t;
  }
  LogInfo("audit", "query",
          {{"principal", request.principal.name},
           {"outcome", status.ok() ? std::string("ok") : std::string(StatusCodeName(status.code()))},
           {"sql", sql},
           {"tables", tables},
           {"files", static_cast<uint64_t>(stats != nullptr ? stats->files : 0)},
           {"bytes", stats != nullptr ? stats->bytes : 0},
           {"rows_in_scope", stats != nullptr ? stats->rows_in_scope : 0},
           {"files_scanned", static_cast<uint64_t>(stats != nullptr ? stats->files_scanned : 0)},
           {"bytes_scanned", stats != nullptr ? stats->bytes_scanned : 0},
           {"rows_scanned", stats != nullptr ? stats->rows_scanned : 0},
           {"pending_rows", stats != nullptr ? stats->pending_rows : 0},
           {"rows", stats != nullptr ? stats->rows : 0},
           {"seconds", seconds}});
}

Result<std::shared_ptr<const lake::TableSnapshot>> QueryEngine::SnapshotFor(
    const TableReference& ref) const {
  Result<std::shared_ptr<const lake::TableSnapshot>> snapshot;
  if (ref.timestamp.has_value()) {
    EL_ASSIGN_OR_RETURN(int64_t micros, ParseAtTimestamp(*ref.timestamp));
    snapshot = options_.lake->SnapshotAsOf(ref.table, micros / 1000);
  } else {
    snapshot = options_.lake->Snapshot(ref.table, ref.version);
  }
  if (!snapshot.has_value() && snapshot.error().code() == StatusCode::kNotFound) {
    // A SQL error of the caller's, like a missing table in any database.
    return Err(InvalidArgument(snapshot.error().message()));
  }
  return snapshot;
}

Status QueryEngine::CreateCatalogView(engine::Connection& connection, const TableReference& ref,
                                      const security::Principal& principal) {
  EL_ASSIGN_OR_RETURN(std::vector<std::string> names, options_.lake->ListTables());
  std::vector<CatalogTable> tables;
  for (const std::string& name : names) {
    const security::Statement* allowed = nullptr;
    if (options_.access != nullptr) {
      auto statement = options_.access->AuthorizingStatement(principal, "tables:Select", "table/" + name);
      if (!statement.has_value()) continue;
      allowed = *statement;
    }
    auto snapshot = options_.lake->Snapshot(name);
    if (!snapshot.has_value()) continue;  // gone meanwhile
    const size_t dot = name.find('.');
    CatalogTable t{.zone = name.substr(0, dot), .table = name.substr(dot + 1)};
    std::vector<ViewColumn> columns;
    for (const lake::Column& c : (*snapshot)->schema.columns) {
      columns.push_back({c.name, std::string(lake::DuckDbTypeName(c.type))});
    }
    if (allowed != nullptr) columns = ShownColumns(columns, *allowed);
    for (ViewColumn& c : columns) t.columns.push_back({std::move(c.name), std::move(c.type)});
    tables.push_back(std::move(t));
  }
  const size_t dot = ref.table.find('.');
  return connection.Execute("CREATE TEMP VIEW " + SqlIdentifier(ref.view) + " AS " +
                            CatalogViewSelect(ref.table.substr(0, dot), ref.table.substr(dot + 1), tables));
}

Status QueryEngine::CacheFiles(const std::string& prefix, const lake::TableSnapshot& snapshot) {
  for (const auto& [path, add] : snapshot.files) {
    auto cached = file_cache_->Ensure(prefix + "/" + path);
    if (!cached.has_value()) return cached.error().WithContext("a query");
  }
  return Status::Ok();
}

QueryEngine::ScannedCounts QueryEngine::CountScanned(engine::Connection& connection, const std::string& key,
                                                     const lake::TableSnapshot& snapshot, const std::string* filter,
                                                     const ScannedCounts& all) {
  if (filter == nullptr) return all;
  const std::string cache_key = key + "\n" + *filter;
  if (std::optional<ScannedCounts> cached = scanned_cache_.Find(cache_key)) return *cached;
  Result<std::vector<std::string>> passing = FilesPassing(connection, snapshot, *filter);
  if (!passing.has_value()) {
    // Accounting only: the query goes on, and DuckDB says what is wrong with it.
    LogDebug("query", "a partition filter was not evaluated", {{"table", key}, {"error", passing.error().ToString()}});
    return all;
  }
  ScannedCounts counts;
  for (const std::string& path : *passing) {
    const lake::AddAction& add = snapshot.files.at(path);
    ++counts.files;
    counts.bytes += static_cast<uint64_t>(add.size);
    counts.rows += lake::NumRecords(add);
  }
  scanned_cache_.Store(cache_key, counts);
  return counts;
}

Status QueryEngine::CreateView(engine::Connection& connection, const TableReference& ref,
                               const std::shared_ptr<const lake::TableSnapshot>& snapshot,
                               const security::Statement* allowed, const std::string* filter, QueryStats& stats,
                               std::vector<std::pair<std::string, std::string>>* expansions,
                               std::string* expanded_as) {
  EL_ASSIGN_OR_RETURN(std::string prefix, lake::TablePrefix(ref.table));
  if (remote_) EL_RETURN_IF_ERROR(CacheFiles(prefix, *snapshot));
  const std::string key = ref.table + "@" + std::to_string(snapshot->version);
  std::string select = view_cache_.Find(key).value_or("");
  if (select.empty()) {
    EL_ASSIGN_OR_RETURN(TableViewSource source,
                        TableViewSelect(connection, *snapshot, lake_dir_ + "/" + prefix));
    select = std::move(source.select);
    view_cache_.Store(key, select);
  }
  const ScannedCounts in_scope{snapshot->files.size(), snapshot->SizeBytes(), snapshot->RowCount()};
  stats.files += in_scope.files;
  stats.bytes += in_scope.bytes;
  stats.rows_in_scope += in_scope.rows;
  stats.tables.push_back(key);
  // A restricted view's columns may be masked: the caller's filter then
  // reads masked values, not the partitions'.
  const ScannedCounts scanned = CountScanned(
      connection, key, *snapshot, allowed == nullptr || !allowed->Restricts() ? filter : nullptr, in_scope);
  stats.files_scanned += scanned.files;
  stats.bytes_scanned += scanned.bytes;
  stats.rows_scanned += scanned.rows;
  std::string pending_select;  // the pending rows' part of the view, when it has one
  if (!ref.version.has_value() && !ref.timestamp.has_value()) {
    // The current state also holds what is acknowledged but not committed.
    const std::string pending = ref.view + "#pending";
    EL_ASSIGN_OR_RETURN(PendingTable loaded,
                        LoadPendingTable(connection, *options_.lake, ref.table, *snapshot, pending,
                                         options_.max_pending_rows));
    stats.pending_rows += loaded.rows;
    stats.pending_truncated = stats.pending_truncated || loaded.truncated;
    if (!loaded.select.empty()) {
      // By name, then in the writer's order: UNION BY NAME alone would put
      // a column only the pending rows have after the partition columns,
      // and the committed table has it before them.
      select = "SELECT " + loaded.columns + " FROM ((" + select + ") UNION ALL BY NAME (" + loaded.select + "))";
      pending_select = loaded.select;
    }
  }
  if (allowed == nullptr || !allowed->Restricts()) {
    // Expanded into the query's tree (ExpandViews), not created: one bind.
    // The same view's tree is parsed once (the SELECT names the version).
    std::string serialized = view_tree_cache_.Find(select).value_or("");
    if (serialized.empty()) {
      EL_ASSIGN_OR_RETURN(serialized, SerializeSql(connection, select));
      view_tree_cache_.Store(select, serialized);
    }
    expansions->emplace_back(ref.view, std::move(serialized));
    // What decides the expanded view: the version's SELECT (named by the
    // version) and the pending rows' (their columns may be wider).
    *expanded_as += ref.view + "=" + key + "\n" + pending_select + "\n";
    return Status::Ok();
  }
  // The whole table as a view of its own, then what the statement shows of it.
  const std::string base = ref.view + "#base";
  EL_RETURN_IF_ERROR(connection.Execute("CREATE TEMP VIEW " + SqlIdentifier(base) + " AS " + select));
  if (allowed->RestrictsRows()) {
    Status filter = CheckRowFilter(connection, allowed->row_filter);
    if (!filter.ok()) return PermissionDenied("the row filter that applies to " + ref.table + " is not valid: " + filter.message());
  }
  EL_ASSIGN_OR_RETURN(engine::QueryResult described, connection.Query("DESCRIBE " + SqlIdentifier(base)));
  std::vector<ViewColumn> columns;
  for (size_t r = 0; r < described.rows(); ++r) {
    columns.push_back({described.String(0, r).value_or(""), described.String(1, r).value_or("VARCHAR")});
  }
  Status created = connection.Execute(
      "CREATE TEMP VIEW " + SqlIdentifier(ref.view) + " AS " +
      RestrictedSelect("SELECT * FROM " + SqlIdentifier(base), columns, *allowed, nullptr));
  if (!created.ok()) {
    // Do not echo the policy's SQL to the caller; the operator finds it in the log.
    LogWarn("query", "a tables:Select restriction does not apply to its table",
            {{"table", ref.table}, {"error", created.ToString()}});
    return PermissionDenied("the restrictions of the statement that allows " + ref.table +
                            " do not apply to it (see the server's log)");
  }
  return Status::Ok();
}

Result<QueryStats> QueryEngine::Execute(const QueryRequest& request, engine::Connection& connection,
                                        RowSink& sink, SyntaxError* syntax) {
  // The guard's verdict and the rendered SQL depend only on the text (and
  // on which views expand into it): a repeated query skips parsing,
  // guarding, expanding and rendering.
  const bool cacheable = request.sql.size() <= kMaxCachedSqlBytes;
  const std::string text_key = (request.dialect == SqlDialect::kPostgres ? "pg\n" : "duckdb\n") + request.sql;
  std::optional<GuardedTree> cached = cacheable ? guarded_cache_.Find(text_key) : std::nullopt;
  GuardedTree guarded;
  if (cached.has_value()) {
    guarded = std::move(*cached);
  } else {
    EL_ASSIGN_OR_RETURN(std::string serialized, SerializeSql(connection, request.sql));
    EL_ASSIGN_OR_RETURN(guarded, GuardParseTree(serialized, syntax, request.dialect));
    if (cacheable) guarded_cache_.Store(text_key, guarded);
  }
  QueryStats stats;
  // Every table is authorized before anything is read; the allowing
  // statement's restrictions shape the table's view.
  std::vector<const security::Statement*> allowed(guarded.tables.size(), nullptr);
  for (size_t i = 0; i < guarded.tables.size(); ++i) {
    const TableReference& ref = guarded.tables[i];
    if (IsCatalogTable(ref.table) || options_.access == nullptr) continue;  // catalog: filtered inside
    EL_ASSIGN_OR_RETURN(allowed[i], options_.access->AuthorizingStatement(request.principal, "tables:Select",
                                                                          "table/" + ref.table));
  }
  std::vector<std::shared_ptr<const lake::TableSnapshot>> snapshots(guarded.tables.size());
  PartitionColumnsByView partition_columns;
  for (size_t i = 0; i < guarded.tables.size(); ++i) {
    const TableReference& ref = guarded.tables[i];
    if (IsCatalogTable(ref.table)) continue;
    EL_ASSIGN_OR_RETURN(snapshots[i], SnapshotFor(ref));
    if (!snapshots[i]->schema.partition_columns.empty()) {
      partition_columns[ref.view] = snapshots[i]->schema.partition_columns;
    }
  }
  std::map<std::string, std::string> filters;  // none found: every file counts as scanned
  if (!partition_columns.empty()) {
    if (auto found = PartitionFilters(guarded.tree, partition_columns); found.has_value()) filters = std::move(*found);
  }
  std::vector<std::pair<std::string, std::string>> expansions;
  std::string expanded_as;
  for (size_t i = 0; i < guarded.tables.size(); ++i) {
    const TableReference& ref = guarded.tables[i];
    if (IsCatalogTable(ref.table)) {
      EL_RETURN_IF_ERROR(CreateCatalogView(connection, ref, request.principal));
      continue;
    }
    auto filter = filters.find(ref.view);
    EL_RETURN_IF_ERROR(CreateView(connection, ref, snapshots[i], allowed[i],
                                  filter != filters.end() ? &filter->second : nullptr, stats, &expansions,
                                  &expanded_as));
  }
  const std::string rendered_key = text_key + "\n\n" + expanded_as;
  std::string sql = cacheable ? rendered_cache_.Find(rendered_key).value_or("") : std::string();
  if (sql.empty()) {
    if (!expansions.empty()) {
      EL_ASSIGN_OR_RETURN(guarded.tree, ExpandViews(guarded.tree, expansions));
    }
    EL_ASSIGN_OR_RETURN(sql, RenderSql(connection, guarded.tree));
    if (cacheable && sql.size() <= kMaxCachedRenderedBytes) rendered_cache_.Store(rendered_key, sql);
  }
  // Rows: each rendered as a JSON array by DuckDB (column 0), beside the
  // columns themselves (for their names and types). Arrow: the columns alone.
  const bool arrow = request.output == QueryOutput::kArrow;
  const size_t first_column = arrow ? 0 : 1;
  const std::string select = arrow ? "SELECT *" : "SELECT json_array(*COLUMNS(*))::VARCHAR AS \"__row\", *";
  EL_ASSIGN_OR_RETURN(auto statement,
                      connection.Prepare(select + " FROM (\n" + sql + "\n) AS \"__query\""));
  if (!statement->IsSelect()) return Err(PermissionDenied("only SELECT statements are allowed"));
  std::vector<QueryColumn> columns;
  for (size_t c = first_column; c < statement->column_count(); ++c) {
    columns.push_back({statement->column_name(c), statement->column_type(c)});
  }
  std::vector<std::string> parameter_types;
  for (size_t p = 1; p <= statement->parameter_count(); ++p) {
    parameter_types.push_back(statement->parameter_type(p));
  }
  EL_RETURN_IF_ERROR(sink.Parameters(parameter_types));
  if (request.describe_only) {
    EL_RETURN_IF_ERROR(sink.Columns(columns));
    return stats;
  }
  if (request.output == QueryOutput::kParquet) return WriteParquet(request, connection, sql, std::move(stats));
  EL_RETURN_IF_ERROR(Bind(*statement, request.parameters));
  EL_RETURN_IF_ERROR(sink.Columns(columns));
  const uint64_t max_rows = std::min(request.max_rows.value_or(options_.max_result_rows),
                                     options_.max_result_rows);
  EL_ASSIGN_OR_RETURN(engine::ChunkStream stream, statement->Execute());
  return arrow ? StreamArrow(stream, max_rows, sink, std::move(stats))
               : StreamRows(stream, max_rows, sink, std::move(stats));
}

Result<QueryStats> QueryEngine::StreamRows(engine::ChunkStream& stream, uint64_t max_rows, RowSink& sink,
                                           QueryStats stats) {
  std::string scratch;
  while (!stats.truncated) {
    EL_ASSIGN_OR_RETURN(bool more, stream.Next());
    if (!more) break;
    for (size_t r = 0; r < stream.rows(); ++r) {
      if (stats.rows >= max_rows) {
        stats.truncated = true;
        break;
      }
      std::string_view row = JsonSafe(stream.Text(0, r).value_or("[]"), scratch);
      if (stats.result_bytes + row.size() > options_.max_result_bytes) {
        stats.truncated = true;
        break;
      }
      EL_RETURN_IF_ERROR(sink.Row(row));
      ++stats.rows;
      stats.result_bytes += row.size();
    }
    EL_RETURN_IF_ERROR(sink.ChunkEnd());
  }
  return stats;
}

// Like the JSON rows, the stream stops at the limits with stats.truncated:
// a chunk is cut to the rows left, then halved until its batch fits in the
// bytes left. The schema message and the end marker always go out, so a
// truncated result is still a whole stream.
Result<QueryStats> QueryEngine::StreamArrow(engine::ChunkStream& stream, uint64_t max_rows, RowSink& sink,
                                            QueryStats stats) {
  EL_ASSIGN_OR_RETURN(engine::OwnedArrowSchema schema, stream.ArrowSchemaOf());
  EL_ASSIGN_OR_RETURN(ArrowIpcWriter writer, ArrowIpcWriter::Open(schema.get()));
  const std::string head = writer.SchemaMessage();
  EL_RETURN_IF_ERROR(sink.Bytes(head));
  stats.result_bytes = head.size() + ArrowIpcWriter::EndOfStream().size();
  std::string batch;
  while (!stats.truncated) {
    EL_ASSIGN_OR_RETURN(bool more, stream.Next());
    if (!more) break;
    if (stats.rows + stream.rows() > max_rows) {
      stream.Truncate(static_cast<size_t>(max_rows - stats.rows));
      stats.truncated = true;
    }
    const size_t left = stats.result_bytes < options_.max_result_bytes
                            ? static_cast<size_t>(options_.max_result_bytes - stats.result_bytes)
                            : 0;
    batch.clear();
    bool fits = false;
    while (stream.rows() > 0 && !fits) {
      EL_ASSIGN_OR_RETURN(engine::OwnedArrowArray array, stream.ArrowChunk());
      EL_ASSIGN_OR_RETURN(fits, writer.AppendBatch(array.get(), left, &batch));
      if (!fits) {
        stats.truncated = true;
        stream.Truncate(stream.rows() / 2);
      }
    }
    if (!fits) break;
    EL_RETURN_IF_ERROR(sink.Bytes(batch));
    stats.rows += stream.rows();
    stats.result_bytes += batch.size();
  }
  EL_RETURN_IF_ERROR(sink.Bytes(ArrowIpcWriter::EndOfStream()));
  return stats;
}

}  // namespace eventlake::query
