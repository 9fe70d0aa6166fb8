// ColumnBuffer: the rows of one partition that a TableWriter holds until its
// next flush, column by column in plain vectors. Appending a row is a store
// or two per cell; a flush hands the columns to DuckDB's COPY through an
// engine::RowSource, so rows never pass through an appender or a temporary
// table (which cost about 2 µs per 13-column row: docs/benchmarks.md).
//
// Strings are copied into the buffer (a row's cells only view theirs). One
// thread at a time.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engine/row_source.h"
#include "lake/table_row.h"
#include "lake/table_schema.h"

namespace eventlake::lake {

// The RowSource type that holds a column of `type`.
engine::SourceType SourceTypeOf(ColumnType type);

class ColumnBuffer {
 public:
  explicit ColumnBuffer(std::span<const Column> columns);

  // A new last column, NULL in the rows so far.
  void AddColumn(ColumnType type);
  // Column `column` now holds `type`, a widening of its type
  // (WidenFor: integer to long to double); values convert in place.
  void Widen(size_t column, ColumnType type);

  // One row: per column its value, or nullptr (or a monostate) for NULL.
  // The value must fit the column (as TableWriter resolves it: a long or a
  // double for a double column, the column's type otherwise).
  Status Append(std::span<const CellValue* const> row);

  size_t rows() const { return rows_; }
  size_t columns() const { return columns_.size(); }

  // Rows [first, first + count) into a chunk, every column. Strings are not
  // copied: the chunk points into this buffer, which must neither change
  // nor go away until the statement reading the chunk has ended.
  void Fill(size_t first, size_t count, engine::RowWriter& writer) const;

 private:
  struct Storage {
    ColumnType type;
    std::vector<uint8_t> valid;     // per row: 0 for NULL
    std::vector<int64_t> integers;  // long, integer, timestamp (µs), date (days), boolean
    std::vector<double> doubles;
    std::string bytes;           // strings, end to end
    std::vector<uint64_t> ends;  // per row: where its string ends in bytes
  };
  static void AppendNull(Storage& column);
  // Drops the column's values past its first `rows`.
  static void Truncate(Storage& column, size_t rows);

  std::vector<Storage> columns_;
  size_t rows_ = 0;
};

}  // namespace eventlake::lake
