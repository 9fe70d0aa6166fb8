// RowSource over DuckDB's C table functions: bind declares the columns,
// init starts a scan at row 0, and each call fills one chunk.
#include "engine/row_source.h"

#include <duckdb.h>

#include <algorithm>
#include <cstring>

#include "engine/database.h"

namespace eventlake::engine {
namespace {

struct Scan {
  size_t next = 0;
};

duckdb_logical_type LogicalType(SourceType type) {
  switch (type) {
    case SourceType::kBigint: return duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
    case SourceType::kBoolean: return duckdb_create_logical_type(DUCKDB_TYPE_BOOLEAN);
    case SourceType::kTimestampTz: return duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP_TZ);
    case SourceType::kDouble:
      return duckdb_create_logical_type(DUCKDB_TYPE_DOUBLE);
    case SourceType::kInteger:
      return duckdb_create_logical_type(DUCKDB_TYPE_INTEGER);
    case SourceType::kDate:
      return duckdb_create_logical_type(DUCKDB_TYPE_DATE);
    case SourceType::kJson: {
      duckdb_logical_type json = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
      duckdb_logical_type_set_alias(json, "JSON");  // DuckDB's JSON is exactly this
      return json;
    }
    case SourceType::kVarchar: break;
  }
  return duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
}

}  // namespace

struct RowSource::Callbacks {
  static void Bind(duckdb_bind_info info) {
    auto* source = static_cast<RowSource*>(duckdb_bind_get_extra_info(info));
    for (const SourceColumn& c : source->columns_) {
      duckdb_logical_type type = LogicalType(c.type);
      duckdb_bind_add_result_column(info, c.name.c_str(), type);
      duckdb_destroy_logical_type(&type);
    }
  }
  static void Init(duckdb_init_info info) {
    duckdb_init_set_init_data(info, new Scan, [](void* scan) { delete static_cast<Scan*>(scan); });
    duckdb_init_set_max_threads(info, 1);
  }
  static void Function(duckdb_function_info info, duckdb_data_chunk output) {
    auto* source = static_cast<RowSource*>(duckdb_function_get_extra_info(info));
    auto* scan = static_cast<Scan*>(duckdb_function_get_init_data(info));
    const size_t rows = std::min<size_t>(source->count_ - std::min(scan->next, source->count_), duckdb_vector_size());
    if (rows > 0) {
      RowWriter writer(output);
      source->fill_(scan->next, rows, writer);
    }
    scan->next += rows;
    duckdb_data_chunk_set_size(output, rows);
  }
};

Result<std::unique_ptr<RowSource>> RowSource::Register(Connection& connection, std::string_view name,
                                                       std::vector<SourceColumn> columns) {
  auto source = std::unique_ptr<RowSource>(new RowSource(std::move(columns)));
  duckdb_table_function function = duckdb_create_table_function();
  const std::string text(name);
  duckdb_table_function_set_name(function, text.c_str());
  duckdb_table_function_set_extra_info(function, source.get(), nullptr);
  duckdb_table_function_set_bind(function, Callbacks::Bind);
  duckdb_table_function_set_init(function, Callbacks::Init);
  duckdb_table_function_set_function(function, Callbacks::Function);
  const duckdb_state state = duckdb_register_table_function(connection.connection_, function);
  duckdb_destroy_table_function(&function);
  if (state != DuckDBSuccess) return Err(InvalidArgument("registering the table function " + text));
  return source;
}

void RowSource::SetRows(size_t count, Fill fill) {
  count_ = count;
  fill_ = std::move(fill);
}

ColumnWriter::ColumnWriter(duckdb_vector vector)
    : vector_(vector), data_(duckdb_vector_get_data(vector)) {}

void ColumnWriter::Null(size_t row) {
  if (validity_ == nullptr) {
    duckdb_vector_ensure_validity_writable(vector_);
    validity_ = duckdb_vector_get_validity(vector_);
  }
  validity_[row / 64] &= ~(uint64_t{1} << (row % 64));
}

void ColumnWriter::String(size_t row, std::string_view value) {
  duckdb_vector_assign_string_element_len(vector_, row, value.data(), value.size());
}

void ColumnWriter::StringView(size_t row, std::string_view value) {
  duckdb_string_t& out = static_cast<duckdb_string_t*>(data_)[row];
  out = duckdb_string_t{};  // an inlined string's unused bytes are compared: zero them
  out.value.inlined.length = static_cast<uint32_t>(value.size());
  if (value.size() <= sizeof out.value.inlined.inlined) {
    std::memcpy(out.value.inlined.inlined, value.data(), value.size());
  } else {
    std::memcpy(out.value.pointer.prefix, value.data(), sizeof out.value.pointer.prefix);
    out.value.pointer.ptr = const_cast<char*>(value.data());
  }
}

ColumnWriter RowWriter::Column(size_t column) {
  return ColumnWriter(duckdb_data_chunk_get_vector(chunk_, column));
}

void RowWriter::Null(size_t column, size_t row) {
  duckdb_vector vector = duckdb_data_chunk_get_vector(chunk_, column);
  duckdb_vector_ensure_validity_writable(vector);
  duckdb_validity_set_row_invalid(duckdb_vector_get_validity(vector), row);
}

void RowWriter::Int64(size_t column, size_t row, int64_t value) {
  static_cast<int64_t*>(duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk_, column)))[row] = value;
}

void RowWriter::Bool(size_t column, size_t row, bool value) {
  static_cast<bool*>(duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk_, column)))[row] = value;
}

void RowWriter::String(size_t column, size_t row, std::string_view value) {
  duckdb_vector_assign_string_element_len(duckdb_data_chunk_get_vector(chunk_, column), row, value.data(),
                                          value.size());
}

void RowWriter::TimestampMicros(size_t column, size_t row, int64_t micros) {
  static_cast<duckdb_timestamp*>(duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk_, column)))[row] =
      duckdb_timestamp{micros};
}

}  // namespace eventlake::engine
