// DuckDB errors as Status: callers decide on the code, never on the text.
#include "engine/engine_error.h"

#include <duckdb.h>

namespace eventlake::engine {

Status DuckDbError(int type, std::string message) {
  switch (static_cast<duckdb_error_type>(type)) {
    case DUCKDB_ERROR_PARSER:
    case DUCKDB_ERROR_SYNTAX:
    case DUCKDB_ERROR_BINDER:
    case DUCKDB_ERROR_CATALOG:
    case DUCKDB_ERROR_CONVERSION:
    case DUCKDB_ERROR_MISMATCH_TYPE:
    case DUCKDB_ERROR_INVALID_INPUT:
    case DUCKDB_ERROR_INVALID_TYPE:
    case DUCKDB_ERROR_OUT_OF_RANGE:
    case DUCKDB_ERROR_DIVIDE_BY_ZERO:
    case DUCKDB_ERROR_CONSTRAINT:
    case DUCKDB_ERROR_NOT_IMPLEMENTED:
    case DUCKDB_ERROR_PARAMETER_NOT_RESOLVED:
    case DUCKDB_ERROR_PARAMETER_NOT_ALLOWED:
    case DUCKDB_ERROR_SETTINGS:
      return InvalidArgument(std::move(message));
    case DUCKDB_ERROR_PERMISSION:
      return PermissionDenied(std::move(message));
    case DUCKDB_ERROR_INTERRUPT:
      return DeadlineExceeded(std::move(message));
    case DUCKDB_ERROR_OUT_OF_MEMORY:
      return ResourceExhausted(std::move(message));
    case DUCKDB_ERROR_TRANSACTION:
      return Conflict(std::move(message));
    case DUCKDB_ERROR_INTERNAL:
    case DUCKDB_ERROR_FATAL:
      return Internal(std::move(message));
    default:
      return IOError(std::move(message));
  }
}

Status PrepareError(std::string message) {
  const std::string_view text = message;
  if (text.starts_with("Permission Error")) return PermissionDenied(std::move(message));
  if (text.starts_with("INTERRUPT Error") || text.starts_with("Interrupt")) {
    return DeadlineExceeded(std::move(message));
  }
  if (text.starts_with("Out of Memory Error")) return ResourceExhausted(std::move(message));
  return InvalidArgument(std::move(message));
}

}  // namespace eventlake::engine
