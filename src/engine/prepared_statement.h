// PreparedStatement: one SQL statement parsed, bound and planned once, run
// with positional parameters ($1, $2, ... or ?). Its result is read as a
// stream of chunks, so a large result never has to fit in memory; cells are
// read as text from VARCHAR (or JSON) columns, which is how the query room
// takes most results (it has DuckDB render rows as JSON), or a chunk at a
// time through the Arrow C data interface (arrow_c_data.h), as DuckDB
// exports it under the connection's Arrow settings.
//
// Threads: like its Connection, used by one thread at a time; the
// connection's Interrupt() stops a running Execute or Next from another.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engine/arrow_c_data.h"

typedef struct _duckdb_prepared_statement* duckdb_prepared_statement;  // NOLINT
typedef struct _duckdb_data_chunk* duckdb_data_chunk;                  // NOLINT
typedef struct _duckdb_vector* duckdb_vector;                          // NOLINT

namespace eventlake::engine {

class Connection;

class ChunkStream {
 public:
  ChunkStream(ChunkStream&& other) noexcept;
  ChunkStream& operator=(ChunkStream&& other) noexcept;
  ChunkStream(const ChunkStream&) = delete;
  ChunkStream& operator=(const ChunkStream&) = delete;
  ~ChunkStream();

  // Moves to the next chunk: false at the end of the result.
  Result<bool> Next();
  // The current chunk's rows.
  size_t rows() const { return rows_; }
  // The text of a VARCHAR cell of the current chunk; nullopt for NULL (or a
  // column of another type). The view lives until the next Next().
  std::optional<std::string_view> Text(size_t column, size_t row) const;
  // A BIGINT (or smaller integer) cell, a BOOLEAN cell; nullopt for NULL
  // (or a column of another type).
  std::optional<int64_t> Int64(size_t column, size_t row) const;
  std::optional<bool> Bool(size_t column, size_t row) const;
  // A TIMESTAMP WITH TIME ZONE cell in microseconds since the epoch
  // (infinity is INT64_MAX, -infinity -INT64_MAX); nullopt for NULL (or
  // another type).
  std::optional<int64_t> TimestampMicros(size_t column, size_t row) const;
  bool IsNull(size_t column, size_t row) const;
  // Appends a cell of a column that renders as JSON (column_renders_as_json)
  // as JSON text (vector_json.h: what nlohmann dumps of DuckDB's to_json);
  // false when the value has no JSON form (NaN, infinity).
  bool AppendJson(size_t column, size_t row, std::string* out) const;
  // Keeps the first `rows` rows of the current chunk (at most rows()).
  void Truncate(size_t rows);

  // The result's columns as an Arrow schema: a struct ("+s") with a child
  // per column. Any time, also before the first Next().
  Result<OwnedArrowSchema> ArrowSchemaOf() const;
  // The current chunk as an Arrow struct array of that schema, its rows()
  // long. It owns its memory: it may outlive the chunk and the stream.
  Result<OwnedArrowArray> ArrowChunk() const;

 private:
  friend class PreparedStatement;
  struct Handle;
  explicit ChunkStream(std::unique_ptr<Handle> handle);
  // A column of the current chunk, looked at once per chunk, not per cell.
  struct CachedColumn {
    bool looked = false;
    duckdb_vector vector = nullptr;
    int type = 0;  // duckdb_type
    const void* data = nullptr;
    uint64_t* validity = nullptr;
  };
  const CachedColumn& Column(size_t column) const;
  bool Valid(const CachedColumn& c, size_t row) const;

  std::unique_ptr<Handle> handle_;
  duckdb_data_chunk chunk_ = nullptr;
  size_t rows_ = 0;
  mutable std::vector<CachedColumn> columns_;
};

class PreparedStatement {
 public:
  ~PreparedStatement();
  PreparedStatement(const PreparedStatement&) = delete;
  PreparedStatement& operator=(const PreparedStatement&) = delete;

  bool IsSelect() const;
  size_t parameter_count() const;
  // The type DuckDB expects at parameter `index` (from 1): "BIGINT", ...;
  // "" when it cannot tell (the value decides).
  std::string parameter_type(size_t index) const;
  size_t column_count() const;
  std::string column_name(size_t column) const;
  std::string column_type(size_t column) const;  // "BIGINT", "DECIMAL(18,3)", "VARCHAR[]"
  // Whether ChunkStream::AppendJson renders the column: NULL, BOOLEAN, the
  // integers up to 64 bits, FLOAT, DOUBLE, VARCHAR (not JSON), and LISTs
  // and STRUCTs of those.
  bool column_renders_as_json(size_t column) const;

  // Parameters are numbered from 1. A value is cast to the type the
  // statement expects there (InvalidArgument when it cannot be).
  Status BindNull(size_t index);
  Status BindBool(size_t index, bool value);
  Status BindInt64(size_t index, int64_t value);
  Status BindDouble(size_t index, double value);
  Status BindText(size_t index, std::string_view value);

  Result<ChunkStream> Execute();

 private:
  friend class Connection;
  explicit PreparedStatement(duckdb_prepared_statement statement) : statement_(statement) {}
  Status BindResult(size_t index, int state) const;
  duckdb_prepared_statement statement_;
};

}  // namespace eventlake::engine
