// RowSource: rows the caller hands over, read by SQL as the table function
// <name>() on one connection: a table with no DDL per batch, so that the
// statements prepared over it stay bound (replacing a table makes DuckDB
// bind every statement prepared before, at every execution after), and
// no appender (the rows are written straight into DuckDB's vectors as a
// scan asks for them).
//
// Ownership: the connection must outlive the source, and the source every
// statement that reads it. Threads: the connection's; SetRows between
// queries, never during one.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

typedef struct _duckdb_data_chunk* duckdb_data_chunk;  // NOLINT

namespace eventlake::engine {

class Connection;

enum class SourceType { kBigint, kBoolean, kVarchar, kJson, kTimestampTz };

struct SourceColumn {
  std::string name;
  SourceType type = SourceType::kVarchar;
};

// Writes the cells of one chunk of a scan: rows [0, rows) of the chunk
// are rows [first, first + rows) of the source. A string's bytes are
// copied at once.
class RowWriter {
 public:
  explicit RowWriter(duckdb_data_chunk chunk) : chunk_(chunk) {}
  void Null(size_t column, size_t row);
  void Int64(size_t column, size_t row, int64_t value);
  void Bool(size_t column, size_t row, bool value);
  void String(size_t column, size_t row, std::string_view value);  // VARCHAR, JSON
  void TimestampMicros(size_t column, size_t row, int64_t micros);

 private:
  duckdb_data_chunk chunk_;
};

class RowSource {
 public:
  // Writes `rows` rows from `first` through the writer.
  using Fill = std::function<void(size_t first, size_t rows, RowWriter& writer)>;

  // Registers the table function `name` on the connection.
  static Result<std::unique_ptr<RowSource>> Register(Connection& connection, std::string_view name,
                                                     std::vector<SourceColumn> columns);
  RowSource(const RowSource&) = delete;
  RowSource& operator=(const RowSource&) = delete;

  // What the next scans read: `count` rows, written by `fill` when asked.
  void SetRows(size_t count, Fill fill);

 private:
  struct Callbacks;
  explicit RowSource(std::vector<SourceColumn> columns) : columns_(std::move(columns)) {}
  std::vector<SourceColumn> columns_;
  size_t count_ = 0;
  Fill fill_;
};

}  // namespace eventlake::engine
