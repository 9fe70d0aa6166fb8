// DuckDB's parser as the query room uses it: SQL to its serialized parse
// tree (json_serialize_sql) and a tree back to SQL (json_deserialize_sql).
// The guard (sql_guard.h) reads and rewrites the trees in between.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "engine/database.h"

namespace eventlake::query {

// The JSON of json_serialize_sql: {"error":false,"statements":[...]} or the
// parser's error ({"error":true,...}) as a value, not as a failure.
Result<std::string> SerializeSql(engine::Connection& connection, std::string_view sql);
// The SQL text of a serialized tree.
Result<std::string> RenderSql(engine::Connection& connection, std::string_view tree);

}  // namespace eventlake::query
