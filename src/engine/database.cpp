// Database and Connection over DuckDB's C API.
#include "engine/database.h"

#include <duckdb.h>

#include "engine/engine_error.h"
#include "engine/query_result_handle.h"

namespace eventlake::engine {

Result<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  duckdb_config config = nullptr;
  if (duckdb_create_config(&config) != DuckDBSuccess) return Err(Internal("duckdb_create_config"));
  std::vector<std::pair<std::string, std::string>> settings = options.settings;
  if (options.threads > 0) settings.emplace_back("threads", std::to_string(options.threads));
  if (!options.memory_limit.empty()) settings.emplace_back("memory_limit", options.memory_limit);
  for (const auto& [name, value] : settings) {
    if (duckdb_set_config(config, name.c_str(), value.c_str()) != DuckDBSuccess) {
      duckdb_destroy_config(&config);
      return Err(InvalidArgument("duckdb setting " + name + "=" + value + " refused"));
    }
  }
  duckdb_database db = nullptr;
  char* error = nullptr;
  const char* path = options.path.empty() ? nullptr : options.path.c_str();
  const duckdb_state state = duckdb_open_ext(path, &db, config, &error);
  duckdb_destroy_config(&config);
  if (state != DuckDBSuccess) {
    std::string message = error != nullptr ? error : "unknown error";
    duckdb_free(error);
    return Err(IOError("opening duckdb " + (options.path.empty() ? ":memory:" : options.path) +
                       ": " + message));
  }
  return std::unique_ptr<Database>(new Database(db));
}

Database::~Database() { duckdb_close(&db_); }

Result<std::unique_ptr<Connection>> Database::Connect() {
  duckdb_connection connection = nullptr;
  if (duckdb_connect(db_, &connection) != DuckDBSuccess) {
    return Err(IOError("duckdb_connect failed"));
  }
  return std::unique_ptr<Connection>(new Connection(connection));
}

Connection::~Connection() { duckdb_disconnect(&connection_); }

Result<QueryResult> Connection::Query(std::string_view sql) {
  auto handle = std::make_unique<QueryResult::Handle>();
  const std::string text(sql);
  if (duckdb_query(connection_, text.c_str(), &handle->result) != DuckDBSuccess) {
    const char* message = duckdb_result_error(&handle->result);
    return Err(DuckDbError(duckdb_result_error_type(&handle->result),
                           message != nullptr ? message : "query failed"));
  }
  return QueryResult(std::move(handle));
}

Status Connection::Execute(std::string_view sql) {
  EL_RETURN_IF_ERROR(Query(sql));
  return Status::Ok();
}

Result<Appender> Connection::AppendTo(std::string_view table) {
  duckdb_appender appender = nullptr;
  const std::string name(table);
  if (duckdb_appender_create(connection_, nullptr, name.c_str(), &appender) != DuckDBSuccess) {
    duckdb_error_data error = duckdb_appender_error_data(appender);
    Status status = DuckDbError(duckdb_error_data_error_type(error),
                                "appender for " + name + ": " + duckdb_error_data_message(error));
    duckdb_destroy_error_data(&error);
    duckdb_appender_destroy(&appender);
    return Err(std::move(status));
  }
  return Appender(appender);
}

void Connection::Interrupt() { duckdb_interrupt(connection_); }

std::string SqlString(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string SqlIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace eventlake::engine
