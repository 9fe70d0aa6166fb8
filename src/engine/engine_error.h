// How DuckDB's error types map onto Status codes (database.h states the
// rule). Private to the engine room.
#pragma once

#include <string>

#include "core/status.h"

namespace eventlake::engine {

// `type` is a duckdb_error_type.
Status DuckDbError(int type, std::string message);

// A failed prepare reports no error type, only its message, which starts
// with the type's name ("Permission Error: ..."); read from that.
Status PrepareError(std::string message);

}  // namespace eventlake::engine
