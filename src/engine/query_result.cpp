// QueryResult: cell access over a materialised duckdb_result.
#include "engine/query_result.h"

#include "engine/query_result_handle.h"
#include "engine/type_name.h"

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
  char* alias = duckdb_logical_type_get_alias(type);
  std::string out = alias != nullptr ? std::string(alias) : TypeName(type);
  duckdb_free(alias);
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
