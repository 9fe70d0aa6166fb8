// DuckDB's types and values as Postgres sees them on the wire: the type OID
// and length of each result column, and each value (as the engine renders
// it, a JSON element) in Postgres's text format or, for the basic types,
// its binary format. Parameters come the other way: Postgres text or binary
// values into the engine's parameters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "query/query_engine.h"

namespace eventlake::query {

struct PgType {
  int32_t oid = 25;       // text
  int16_t length = -1;    // typlen; -1 = variable
};

inline constexpr int32_t kPgBool = 16, kPgBytea = 17, kPgInt8 = 20, kPgInt2 = 21, kPgInt4 = 23,
                         kPgText = 25, kPgJson = 114, kPgFloat4 = 700, kPgFloat8 = 701,
                         kPgVarchar = 1043, kPgDate = 1082, kPgTime = 1083, kPgTimestamp = 1114,
                         kPgTimestamptz = 1184, kPgInterval = 1186, kPgNumeric = 1700,
                         kPgUuid = 2950, kPgUnknown = 705;

// The Postgres type of a DuckDB type name ("BIGINT" -> int8, "VARCHAR[]" ->
// text[], STRUCT and MAP -> json).
PgType PgTypeOf(std::string_view duckdb_type);

// A JSON element of an engine row (query_engine.h) as the Postgres text of
// a value of `type`; nullopt for SQL NULL.
Result<std::optional<std::string>> PgText(std::string_view json, const PgType& type);
// The same in Postgres's binary format; InvalidArgument for the types this
// does not encode in binary (the client can ask for text).
Result<std::optional<std::string>> PgBinary(std::string_view json, const PgType& type);

// A bound parameter (text or binary, with the OID the client declared, 0 if
// none) as an engine parameter.
Result<QueryParameter> PgParameter(const std::optional<std::string>& value, int32_t oid, bool binary);

// The OID to announce for a parameter DuckDB expects as `duckdb_type` ("" = unknown).
int32_t PgParameterOid(std::string_view duckdb_type);

}  // namespace eventlake::query
