// QueryResult: a materialised DuckDB result, read cell by cell. Meant for
// small results (metadata, stats, catalog queries); bulk data goes through
// Parquet files, not through this. Move-only; owns the duckdb_result.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace eventlake::engine {

class QueryResult {
 public:
  QueryResult(QueryResult&& other) noexcept;
  QueryResult& operator=(QueryResult&& other) noexcept;
  QueryResult(const QueryResult&) = delete;
  QueryResult& operator=(const QueryResult&) = delete;
  ~QueryResult();

  size_t rows() const;
  size_t columns() const;
  std::string column_name(size_t column) const;
  // DuckDB's name for the column's type ("BIGINT", "VARCHAR", ...).
  std::string column_type(size_t column) const;

  bool IsNull(size_t column, size_t row) const;
  // The cell cast as DuckDB casts it; nullopt for NULL.
  std::optional<std::string> String(size_t column, size_t row) const;
  std::optional<int64_t> Int64(size_t column, size_t row) const;
  std::optional<double> Double(size_t column, size_t row) const;
  std::optional<bool> Bool(size_t column, size_t row) const;
  // Timestamps: select epoch_us(t) and read it with Int64.

 private:
  friend class Connection;
  struct Handle;
  explicit QueryResult(std::unique_ptr<Handle> handle);
  std::unique_ptr<Handle> handle_;
};

}  // namespace eventlake::engine
