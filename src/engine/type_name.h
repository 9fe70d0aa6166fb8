// DuckDB's SQL name of a logical type ("BIGINT", "DECIMAL(18,3)",
// "STRUCT(a INTEGER, b VARCHAR[])"), for column types in answers. Private to
// the engine room.
#pragma once

#include <duckdb.h>

#include <string>

namespace eventlake::engine {

std::string TypeName(duckdb_logical_type type);

}  // namespace eventlake::engine
