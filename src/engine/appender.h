// Appender: DuckDB's appender, the fast way to insert rows into a table
// (values are written straight into DuckDB's column buffers, no SQL per
// row). Append one value per column, then EndRow(); Close() (or the
// destructor) flushes. Errors of a row (a wrong type, too few values) come
// back from the call that finds them; after an error the appender is
// unusable. Move-only; the Connection it came from must outlive it; one
// thread at a time.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/status.h"

typedef struct _duckdb_appender* duckdb_appender;  // NOLINT

namespace eventlake::engine {

class Appender {
 public:
  Appender(Appender&& other) noexcept : appender_(other.appender_) { other.appender_ = nullptr; }
  Appender& operator=(Appender&& other) noexcept;
  Appender(const Appender&) = delete;
  Appender& operator=(const Appender&) = delete;
  ~Appender();

  Status Null();
  Status Bool(bool value);
  Status Int32(int32_t value);
  Status Int64(int64_t value);
  Status Double(double value);
  Status String(std::string_view value);  // VARCHAR (valid UTF-8 expected)
  Status TimestampMicros(int64_t micros);  // TIMESTAMP / TIMESTAMPTZ
  Status Date(int32_t days);               // days since 1970-01-01
  Status EndRow();
  // Writes buffered rows into the table.
  Status Flush();
  Status Close();

 private:
  friend class Connection;
  explicit Appender(duckdb_appender appender) : appender_(appender) {}
  Status Check(int state) const;
  duckdb_appender appender_;
};

}  // namespace eventlake::engine
