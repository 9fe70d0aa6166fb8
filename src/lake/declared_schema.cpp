// JSON Schema properties to table columns.
#include "lake/declared_schema.h"

#include <set>

#include <nlohmann/json.hpp>

#include "lake/event_row.h"

namespace eventlake::lake {
namespace {

using Json = nlohmann::ordered_json;

Result<ColumnType> TypeOf(const std::string& name, const Json& property) {
  if (!property.is_object() || !property.contains("type")) {
    return Err(InvalidArgument("schema property " + name + ": a \"type\" is required"));
  }
  std::string type;
  const Json& t = property["type"];
  if (t.is_string()) {
    type = t.get<std::string>();
  } else if (t.is_array()) {
    for (const Json& each : t) {
      if (each.is_string() && each != "null") {
        if (!type.empty()) {
          return Err(InvalidArgument("schema property " + name +
                                     ": one type besides \"null\", please"));
        }
        type = each.get<std::string>();
      }
    }
  }
  if (type == "string") {
    return property.value("format", "") == "date-time" ? ColumnType::kTimestamp
                                                       : ColumnType::kString;
  }
  if (type == "integer") return ColumnType::kLong;
  if (type == "number") return ColumnType::kDouble;
  if (type == "boolean") return ColumnType::kBoolean;
  if (type == "object" || type == "array") return ColumnType::kString;
  return Err(InvalidArgument("schema property " + name + ": unsupported type " + t.dump()));
}

}  // namespace

Result<DeclaredSchema> ParseDeclaredSchema(std::string_view json_schema) {
  const Json doc = Json::parse(json_schema, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return Err(InvalidArgument("the table schema is not a JSON object"));
  if (doc.contains("type") && doc["type"] != "object") {
    return Err(InvalidArgument("the table schema must describe an object (\"type\": \"object\")"));
  }
  if (!doc.contains("properties") || !doc["properties"].is_object()) {
    return Err(InvalidArgument("the table schema needs \"properties\""));
  }
  DeclaredSchema out;
  out.closed = doc.contains("additionalProperties") && doc["additionalProperties"] == false;
  std::set<std::string> keys;
  for (const auto& [name, property] : doc["properties"].items()) {
    EL_ASSIGN_OR_RETURN(ColumnType type, TypeOf(name, property));
    Column column{DataColumnName(name), type};
    if (!keys.insert(ColumnKey(column.name)).second) {
      return Err(InvalidArgument("schema properties map to the column " + column.name + " twice"));
    }
    out.columns.push_back(std::move(column));
  }
  return out;
}

}  // namespace eventlake::lake
