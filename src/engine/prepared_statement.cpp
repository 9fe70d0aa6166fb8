// PreparedStatement and ChunkStream over DuckDB's prepared statements and
// streaming results.
#include "engine/prepared_statement.h"

#include <duckdb.h>

#include "engine/database.h"
#include "engine/engine_error.h"
#include "engine/type_name.h"
#include "engine/vector_json.h"

namespace eventlake::engine {

struct ChunkStream::Handle {
  Handle() = default;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (arrow_options != nullptr) duckdb_destroy_arrow_options(&arrow_options);
    duckdb_destroy_result(&result);
  }
  duckdb_arrow_options ArrowOptions() {
    if (arrow_options == nullptr) arrow_options = duckdb_result_get_arrow_options(&result);
    return arrow_options;
  }
  duckdb_result result{};
  duckdb_arrow_options arrow_options = nullptr;  // the connection's Arrow settings, once asked
};

namespace {

// An error DuckDB's Arrow export returned, as a Status (and the data freed).
Status ArrowExportStatus(duckdb_error_data error) {
  if (error == nullptr) return Status::Ok();
  Status status = Status::Ok();
  if (duckdb_error_data_has_error(error)) {
    status = DuckDbError(duckdb_error_data_error_type(error), duckdb_error_data_message(error));
  }
  duckdb_destroy_error_data(&error);
  return status;
}

}  // namespace

ChunkStream::ChunkStream(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}

ChunkStream::ChunkStream(ChunkStream&& other) noexcept
    : handle_(std::move(other.handle_)),
      chunk_(std::exchange(other.chunk_, nullptr)),
      rows_(std::exchange(other.rows_, 0)),
      columns_(std::move(other.columns_)) {}

ChunkStream& ChunkStream::operator=(ChunkStream&& other) noexcept {
  if (this != &other) {
    if (chunk_ != nullptr) duckdb_destroy_data_chunk(&chunk_);
    handle_ = std::move(other.handle_);
    chunk_ = std::exchange(other.chunk_, nullptr);
    rows_ = std::exchange(other.rows_, 0);
    columns_ = std::move(other.columns_);
  }
  return *this;
}

ChunkStream::~ChunkStream() {
  if (chunk_ != nullptr) duckdb_destroy_data_chunk(&chunk_);
}

Result<bool> ChunkStream::Next() {
  if (chunk_ != nullptr) duckdb_destroy_data_chunk(&chunk_);
  rows_ = 0;
  columns_.clear();
  while (true) {
    chunk_ = duckdb_fetch_chunk(handle_->result);
    if (chunk_ == nullptr) {
      const char* error = duckdb_result_error(&handle_->result);
      if (error != nullptr) {
        return Err(DuckDbError(duckdb_result_error_type(&handle_->result), error));
      }
      return false;
    }
    rows_ = duckdb_data_chunk_get_size(chunk_);
    if (rows_ > 0) return true;
    duckdb_destroy_data_chunk(&chunk_);  // DuckDB may hand out empty chunks
  }
}

const ChunkStream::CachedColumn& ChunkStream::Column(size_t column) const {
  if (column >= columns_.size()) columns_.resize(column + 1);
  CachedColumn& c = columns_[column];
  if (c.looked) return c;
  c.looked = true;
  c.vector = duckdb_data_chunk_get_vector(chunk_, column);
  if (c.vector == nullptr) return c;
  duckdb_logical_type type = duckdb_vector_get_column_type(c.vector);
  c.type = duckdb_get_type_id(type);
  duckdb_destroy_logical_type(&type);
  c.data = duckdb_vector_get_data(c.vector);
  c.validity = duckdb_vector_get_validity(c.vector);
  return c;
}

bool ChunkStream::Valid(const CachedColumn& c, size_t row) const {
  // (A STRUCT's vector has no data of its own: only its children have.)
  return c.vector != nullptr && (c.validity == nullptr || duckdb_validity_row_is_valid(c.validity, row));
}

std::optional<std::string_view> ChunkStream::Text(size_t column, size_t row) const {
  if (chunk_ == nullptr || row >= rows_) return std::nullopt;
  const CachedColumn& c = Column(column);
  if (c.type != DUCKDB_TYPE_VARCHAR || !Valid(c, row)) return std::nullopt;
  auto* cell = &static_cast<duckdb_string_t*>(const_cast<void*>(c.data))[row];
  return std::string_view(duckdb_string_t_data(cell), duckdb_string_t_length(*cell));
}

std::optional<int64_t> ChunkStream::Int64(size_t column, size_t row) const {
  if (chunk_ == nullptr || row >= rows_) return std::nullopt;
  const CachedColumn& c = Column(column);
  if (!Valid(c, row)) return std::nullopt;
  switch (c.type) {
    case DUCKDB_TYPE_BIGINT: return static_cast<const int64_t*>(c.data)[row];
    case DUCKDB_TYPE_INTEGER: return static_cast<const int32_t*>(c.data)[row];
    case DUCKDB_TYPE_SMALLINT: return static_cast<const int16_t*>(c.data)[row];
    case DUCKDB_TYPE_TINYINT: return static_cast<const int8_t*>(c.data)[row];
    default: return std::nullopt;
  }
}

std::optional<bool> ChunkStream::Bool(size_t column, size_t row) const {
  if (chunk_ == nullptr || row >= rows_) return std::nullopt;
  const CachedColumn& c = Column(column);
  if (c.type != DUCKDB_TYPE_BOOLEAN || !Valid(c, row)) return std::nullopt;
  return static_cast<const bool*>(c.data)[row];
}

std::optional<int64_t> ChunkStream::TimestampMicros(size_t column, size_t row) const {
  if (chunk_ == nullptr || row >= rows_) return std::nullopt;
  const CachedColumn& c = Column(column);
  if (c.type != DUCKDB_TYPE_TIMESTAMP_TZ || !Valid(c, row)) return std::nullopt;
  return static_cast<const duckdb_timestamp*>(c.data)[row].micros;
}

bool ChunkStream::IsNull(size_t column, size_t row) const {
  return chunk_ == nullptr || row >= rows_ || !Valid(Column(column), row);
}

bool ChunkStream::AppendJson(size_t column, size_t row, std::string* out) const {
  if (chunk_ == nullptr || row >= rows_) return false;
  const CachedColumn& c = Column(column);
  if (c.vector == nullptr) return false;
  switch (c.type) {  // the common scalars without asking for the vector's type again
    case DUCKDB_TYPE_VARCHAR: {
      if (!Valid(c, row)) break;
      auto* cell = &static_cast<duckdb_string_t*>(const_cast<void*>(c.data))[row];
      AppendJsonString(std::string_view(duckdb_string_t_data(cell), duckdb_string_t_length(*cell)), out);
      return true;
    }
    case DUCKDB_TYPE_DOUBLE:
      if (!Valid(c, row)) break;
      return AppendJsonDouble(static_cast<const double*>(c.data)[row], out);
    default: break;
  }
  return AppendVectorJson(c.vector, row, out);
}

void ChunkStream::Truncate(size_t rows) {
  if (chunk_ == nullptr || rows >= rows_) return;
  duckdb_data_chunk_set_size(chunk_, rows);
  rows_ = rows;
}

Result<OwnedArrowSchema> ChunkStream::ArrowSchemaOf() const {
  const size_t count = duckdb_column_count(&handle_->result);
  std::vector<duckdb_logical_type> types(count);
  std::vector<const char*> names(count);
  for (size_t c = 0; c < count; ++c) {
    types[c] = duckdb_column_logical_type(&handle_->result, c);
    names[c] = duckdb_column_name(&handle_->result, c);  // the result's to free
  }
  OwnedArrowSchema schema;
  Status exported = ArrowExportStatus(
      duckdb_to_arrow_schema(handle_->ArrowOptions(), types.data(), names.data(), count, schema.Fill()));
  for (duckdb_logical_type& type : types) duckdb_destroy_logical_type(&type);
  if (!exported.ok()) return Err(exported.WithContext("exporting the result's Arrow schema"));
  return schema;
}

Result<OwnedArrowArray> ChunkStream::ArrowChunk() const {
  if (chunk_ == nullptr) return Err(FailedPrecondition("no current chunk to export"));
  OwnedArrowArray array;
  EL_RETURN_IF_ERROR(ArrowExportStatus(duckdb_data_chunk_to_arrow(handle_->ArrowOptions(), chunk_, array.Fill()))
                         .WithContext("exporting a result chunk to Arrow"));
  return array;
}

PreparedStatement::~PreparedStatement() { duckdb_destroy_prepare(&statement_); }

bool PreparedStatement::IsSelect() const {
  return duckdb_prepared_statement_type(statement_) == DUCKDB_STATEMENT_TYPE_SELECT;
}

size_t PreparedStatement::parameter_count() const { return duckdb_nparams(statement_); }

std::string PreparedStatement::parameter_type(size_t index) const {
  duckdb_logical_type type = duckdb_param_logical_type(statement_, index);
  if (type == nullptr) return "";
  std::string out = duckdb_get_type_id(type) == DUCKDB_TYPE_INVALID ? "" : TypeName(type);
  duckdb_destroy_logical_type(&type);
  return out == "OTHER" ? "" : out;
}

size_t PreparedStatement::column_count() const {
  return duckdb_prepared_statement_column_count(statement_);
}

std::string PreparedStatement::column_name(size_t column) const {
  const char* name = duckdb_prepared_statement_column_name(statement_, column);
  std::string out = name != nullptr ? name : "";
  duckdb_free(const_cast<char*>(name));
  return out;
}

std::string PreparedStatement::column_type(size_t column) const {
  duckdb_logical_type type = duckdb_prepared_statement_column_logical_type(statement_, column);
  char* alias = duckdb_logical_type_get_alias(type);
  std::string out = alias != nullptr ? std::string(alias) : TypeName(type);
  duckdb_free(alias);
  duckdb_destroy_logical_type(&type);
  return out;
}

bool PreparedStatement::column_renders_as_json(size_t column) const {
  duckdb_logical_type type = duckdb_prepared_statement_column_logical_type(statement_, column);
  const bool renders = IsJsonRenderable(type);
  duckdb_destroy_logical_type(&type);
  return renders;
}

Status PreparedStatement::BindResult(size_t index, int state) const {
  if (state == DuckDBSuccess) return Status::Ok();
  return InvalidArgument("parameter $" + std::to_string(index) + " cannot be bound (the statement has " +
                         std::to_string(parameter_count()) + ")");
}

Status PreparedStatement::BindNull(size_t index) {
  return BindResult(index, duckdb_bind_null(statement_, index));
}
Status PreparedStatement::BindBool(size_t index, bool value) {
  return BindResult(index, duckdb_bind_boolean(statement_, index, value));
}
Status PreparedStatement::BindInt64(size_t index, int64_t value) {
  return BindResult(index, duckdb_bind_int64(statement_, index, value));
}
Status PreparedStatement::BindDouble(size_t index, double value) {
  return BindResult(index, duckdb_bind_double(statement_, index, value));
}
Status PreparedStatement::BindText(size_t index, std::string_view value) {
  return BindResult(index,
                    duckdb_bind_varchar_length(statement_, index, value.data(), value.size()));
}

Result<ChunkStream> PreparedStatement::Execute() {
  auto handle = std::make_unique<ChunkStream::Handle>();
  if (duckdb_execute_prepared_streaming(statement_, &handle->result) != DuckDBSuccess) {
    const char* message = duckdb_result_error(&handle->result);
    return Err(DuckDbError(duckdb_result_error_type(&handle->result),
                           message != nullptr ? message : "execution failed"));
  }
  return ChunkStream(std::move(handle));
}

Result<std::unique_ptr<PreparedStatement>> Connection::Prepare(std::string_view sql) {
  duckdb_prepared_statement statement = nullptr;
  const std::string text(sql);
  if (duckdb_prepare(connection_, text.c_str(), &statement) != DuckDBSuccess) {
    const char* error = duckdb_prepare_error(statement);
    std::string message = error != nullptr ? error : "prepare failed";
    duckdb_destroy_prepare(&statement);
    return Err(PrepareError(std::move(message)));
  }
  return std::unique_ptr<PreparedStatement>(new PreparedStatement(statement));
}

}  // namespace eventlake::engine
