// QueryResult: cell access over a materialised duckdb_result.
#include "engine/query_result.h"

#include "engine/query_result_handle.h"

namespace eventlake::engine {

QueryResult::QueryResult(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}
QueryResult::QueryResult(QueryResult&& other) noexcept = default;
QueryResult& QueryResult::operator=(QueryResult&& other) noexcept = default;
QueryResult::~QueryResult() = default;

size_t QueryResult::rows() const { return duckdb_row_count(&handle_->result); }
size_t QueryResult::columns() const { return duckdb_column_count(&handle_->result); }

std::string QueryResult::column_name(size_t column) const {
  const char* name = duckdb_column_name(&handle_->result, column);
  return name != nullptr ? name : "";
}

std::string QueryResult::column_type(size_t column) const {
  duckdb_logical_type type = duckdb_column_logical_type(&handle_->result, column);
  char* text = duckdb_logical_type_get_alias(type);
  std::string out;
  if (text != nullptr) {
    out = text;
    duckdb_free(text);
  } else {
    switch (duckdb_get_type_id(type)) {
      case DUCKDB_TYPE_BOOLEAN: out = "BOOLEAN"; break;
      case DUCKDB_TYPE_INTEGER: out = "INTEGER"; break;
      case DUCKDB_TYPE_BIGINT: out = "BIGINT"; break;
      case DUCKDB_TYPE_HUGEINT: out = "HUGEINT"; break;
      case DUCKDB_TYPE_DOUBLE: out = "DOUBLE"; break;
      case DUCKDB_TYPE_VARCHAR: out = "VARCHAR"; break;
      case DUCKDB_TYPE_DATE: out = "DATE"; break;
      case DUCKDB_TYPE_TIMESTAMP: out = "TIMESTAMP"; break;
      case DUCKDB_TYPE_TIMESTAMP_TZ: out = "TIMESTAMP WITH TIME ZONE"; break;
      default: out = "OTHER"; break;
    }
  }
  duckdb_destroy_logical_type(&type);
  return out;
}

bool QueryResult::IsNull(size_t column, size_t row) const {
  return duckdb_value_is_null(&handle_->result, column, row);
}

std::optional<std::string> QueryResult::String(size_t column, size_t row) const {
  if (IsNull(column, row)) return std::nullopt;
  char* text = duckdb_value_varchar(&handle_->result, column, row);
  if (text == nullptr) return std::nullopt;
  std::string out(text);
  duckdb_free(text);
  return out;
}

std::optional<int64_t> QueryResult::Int64(size_t column, size_t row) const {
  if (IsNull(column, row)) return std::nullopt;
  return duckdb_value_int64(&handle_->result, column, row);
}

std::optional<double> QueryResult::Double(size_t column, size_t row) const {
  if (IsNull(column, row)) return std::nullopt;
  return duckdb_value_double(&handle_->result, column, row);
}

std::optional<bool> QueryResult::Bool(size_t column, size_t row) const {
  if (IsNull(column, row)) return std::nullopt;
  return duckdb_value_boolean(&handle_->result, column, row);
}

}  // namespace eventlake::engine
