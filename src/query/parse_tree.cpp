// SerializeSql and RenderSql: DuckDB's json_serialize_sql and json_deserialize_sql.
#include "query/parse_tree.h"

namespace eventlake::query {
namespace {

Result<std::string> ScalarText(engine::Connection& connection, const std::string& function,
                               std::string_view argument) {
  EL_ASSIGN_OR_RETURN(engine::QueryResult r, connection.Query("SELECT " + function + "(" +
                                                              engine::SqlString(argument) + ")"));
  auto text = r.String(0, 0);
  if (!text.has_value()) return Err(Internal(function + " gave NULL"));
  return *text;
}

}  // namespace

Result<std::string> SerializeSql(engine::Connection& connection, std::string_view sql) {
  return ScalarText(connection, "json_serialize_sql", sql);
}

Result<std::string> RenderSql(engine::Connection& connection, std::string_view tree) {
  return ScalarText(connection, "json_deserialize_sql", tree);
}

}  // namespace eventlake::query
