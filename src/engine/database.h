// Database and Connection: DuckDB, embedded, behind RAII types. A Database
// owns one DuckDB instance; Connections are sessions on it. Every failure is
// a Status: DuckDB's parser, binder and catalog errors are InvalidArgument,
// an interrupted query is DeadlineExceeded, out of memory ResourceExhausted,
// anything else IOError (its message kept whole).
//
// Threads: a Database may be shared by threads, each with its own
// Connection; a Connection is used by one thread at a time (Interrupt() is
// the exception: any thread may call it). Connections must be destroyed
// before their Database.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "engine/appender.h"
#include "engine/prepared_statement.h"
#include "engine/query_result.h"

typedef struct _duckdb_database* duckdb_database;      // NOLINT
typedef struct _duckdb_connection* duckdb_connection;  // NOLINT

namespace eventlake::engine {

struct DatabaseOptions {
  std::string path;        // "" = in memory
  int threads = 0;         // 0 = DuckDB's default (the cores)
  std::string memory_limit;  // e.g. "1GB"; "" = DuckDB's default
  // Further settings given at open (name, value), e.g. {"enable_external_access", "false"}.
  std::vector<std::pair<std::string, std::string>> settings;
};

class Connection;

class Database {
 public:
  static Result<std::unique_ptr<Database>> Open(const DatabaseOptions& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Result<std::unique_ptr<Connection>> Connect();

 private:
  explicit Database(duckdb_database db) : db_(db) {}
  duckdb_database db_;
};

class Connection {
 public:
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements, discarding their results.
  Status Execute(std::string_view sql);
  // Runs `sql` (its last statement's result is returned), materialised.
  Result<QueryResult> Query(std::string_view sql);
  // One statement, prepared (prepared_statement.h); the connection must
  // outlive it. Its errors are InvalidArgument (parser, binder, catalog),
  // PermissionDenied (what the sandbox refuses), DeadlineExceeded
  // (interrupted) or ResourceExhausted (out of memory).
  Result<std::unique_ptr<PreparedStatement>> Prepare(std::string_view sql);
  // An appender into `table` of the main schema; the connection must outlive it.
  Result<Appender> AppendTo(std::string_view table);
  // Stops the query running on this connection, from any thread; it fails
  // with DeadlineExceeded.
  void Interrupt();

 private:
  friend class Database;
  friend class RowSource;  // registers its table function on the connection
  explicit Connection(duckdb_connection connection) : connection_(connection) {}
  duckdb_connection connection_;
};

// `text` as a SQL string literal: quoted, with quotes doubled.
std::string SqlString(std::string_view text);
// `name` as a quoted SQL identifier.
std::string SqlIdentifier(std::string_view name);

}  // namespace eventlake::engine
