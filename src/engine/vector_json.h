// DuckDB values as JSON text, read straight from a result's vectors: the
// text nlohmann's dump() gives for DuckDB's to_json of the value (object
// keys sorted, doubles in nlohmann's digits), so that a result read this
// way is byte for byte what one rendered by to_json and re-dumped was.
// Private to the engine room.
#pragma once

#include <duckdb.h>

#include <string>
#include <string_view>

namespace eventlake::engine {

// Whether AppendVectorJson renders values of `type`: NULL, BOOLEAN, the integers
// up to 64 bits, FLOAT, DOUBLE, VARCHAR, and LISTs and STRUCTs of those.
bool IsJsonRenderable(duckdb_logical_type type);

// Appends the value at `row` of `vector` (of a renderable type; NULL is
// null) to *out. False when it has no JSON form (a NaN or infinite double).
bool AppendVectorJson(duckdb_vector vector, uint64_t row, std::string* out);

// Helpers of the scalar cases, for readers that know the column's type.
void AppendJsonString(std::string_view text, std::string* out);
bool AppendJsonDouble(double value, std::string* out);

}  // namespace eventlake::engine
