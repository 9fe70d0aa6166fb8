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
typedef struct _duckdb_vector* duckdb_vector;          // NOLINT

namespace eventlake::engine {

class Connection;

enum class SourceType {
  kBigint,
  kBoolean,
  kVarchar,
  kJson,
  kTimestampTz,
  kDouble,
  kInteger,
  kDate
};

struct SourceColumn {
  std::string name;
  SourceType type = SourceType::kVarchar;
};

// One column of a chunk, for a fill that writes column by column: each
// call is a store into DuckDB's vector (a string's bytes are copied at
// once). The value's type must be the column's: Int64 for kBigint, Int32
// for kInteger and kDate (days), Double, Bool, TimestampMicros for
// kTimestampTz, String for kVarchar and kJson.
class ColumnWriter {
 public:
  void Null(size_t row);
  void Int64(size_t row, int64_t value) { static_cast<int64_t*>(data_)[row] = value; }
  void Int32(size_t row, int32_t value) { static_cast<int32_t*>(data_)[row] = value; }
  void Double(size_t row, double value) { static_cast<double*>(data_)[row] = value; }
  void Bool(size_t row, bool value) { static_cast<bool*>(data_)[row] = value; }
  void TimestampMicros(size_t row, int64_t micros) { Int64(row, micros); }
  void String(size_t row, std::string_view value);
  // A string that is not copied: the vector points at `value`'s bytes,
  // which must stay put until the statement reading the source has ended.
  void StringView(size_t row, std::string_view value);

 private:
  friend class RowWriter;
  explicit ColumnWriter(duckdb_vector vector);
  duckdb_vector vector_;
  void* data_;
  uint64_t* validity_ = nullptr;  // made writable at the first Null
};

// Writes the cells of one chunk of a scan: rows [0, rows) of the chunk
// are rows [first, first + rows) of the source. A string's bytes are
// copied at once.
class RowWriter {
 public:
  explicit RowWriter(duckdb_data_chunk chunk) : chunk_(chunk) {}
  ColumnWriter Column(size_t column);
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
  // The columns that statements bound from now on see (bound ones keep
  // theirs: a statement prepared before reads the old columns).
  void SetColumns(std::vector<SourceColumn> columns) { columns_ = std::move(columns); }

 private:
  struct Callbacks;
  explicit RowSource(std::vector<SourceColumn> columns) : columns_(std::move(columns)) {}
  std::vector<SourceColumn> columns_;
  size_t count_ = 0;
  Fill fill_;
};

}  // namespace eventlake::engine
