// Appender over duckdb_appender. DuckDB invalidates an appender after an
// error; Check() turns its error data into a Status once.
#include "engine/appender.h"

#include <duckdb.h>

#include <string>

#include "engine/engine_error.h"

namespace eventlake::engine {

Appender& Appender::operator=(Appender&& other) noexcept {
  if (this != &other) {
    if (appender_ != nullptr) duckdb_appender_destroy(&appender_);
    appender_ = other.appender_;
    other.appender_ = nullptr;
  }
  return *this;
}

Appender::~Appender() {
  if (appender_ != nullptr) duckdb_appender_destroy(&appender_);  // flushes, errors ignored
}

Status Appender::Check(int state) const {
  if (state == DuckDBSuccess) return Status::Ok();
  duckdb_error_data error = duckdb_appender_error_data(appender_);
  Status status =
      DuckDbError(duckdb_error_data_error_type(error),
                  std::string("appender: ") + duckdb_error_data_message(error));
  duckdb_destroy_error_data(&error);
  return status;
}

Status Appender::Null() { return Check(duckdb_append_null(appender_)); }
Status Appender::Bool(bool value) { return Check(duckdb_append_bool(appender_, value)); }
Status Appender::Int32(int32_t value) { return Check(duckdb_append_int32(appender_, value)); }
Status Appender::Int64(int64_t value) { return Check(duckdb_append_int64(appender_, value)); }
Status Appender::Double(double value) { return Check(duckdb_append_double(appender_, value)); }

Status Appender::String(std::string_view value) {
  return Check(duckdb_append_varchar_length(appender_, value.data(), value.size()));
}

Status Appender::TimestampMicros(int64_t micros) {
  return Check(duckdb_append_timestamp(appender_, duckdb_timestamp{micros}));
}

Status Appender::Date(int32_t days) {
  return Check(duckdb_append_date(appender_, duckdb_date{days}));
}

Status Appender::EndRow() { return Check(duckdb_appender_end_row(appender_)); }
Status Appender::Flush() { return Check(duckdb_appender_flush(appender_)); }
Status Appender::Close() { return Check(duckdb_appender_close(appender_)); }

}  // namespace eventlake::engine
