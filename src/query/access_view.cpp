// Row filters checked on DuckDB's parse tree; the restricting SELECT.
#include "query/access_view.h"

#include <nlohmann/json.hpp>

#include "lake/table_schema.h"
#include "query/parse_tree.h"
#include "query/sql_guard.h"

namespace eventlake::query {
namespace {

using engine::SqlIdentifier;

const security::ColumnMask* MaskOf(const security::Statement& statement, std::string_view column) {
  for (const security::ColumnMask& m : statement.masks) {
    if (lake::ColumnNamesEqual(m.column, column)) return &m;
  }
  return nullptr;
}

bool Listed(const security::Statement& statement, std::string_view column) {
  if (statement.columns.empty()) return true;
  for (const std::string& c : statement.columns) {
    if (lake::ColumnNamesEqual(c, column)) return true;
  }
  return false;
}

// True when `node` holds anything but expressions: a subquery or a table.
bool HasRelation(const nlohmann::json& node) {
  if (node.is_object()) {
    const std::string cls = node.value("class", "");
    const std::string type = node.contains("type") && node["type"].is_string() ? node["type"].get<std::string>() : "";
    if (cls == "SUBQUERY" || (cls.empty() && (type == "BASE_TABLE" || type == "TABLE_FUNCTION" ||
                                              type == "SUBQUERY" || type == "JOIN"))) {
      return true;
    }
  }
  if (node.is_structured()) {
    for (const auto& child : node) {
      if (HasRelation(child)) return true;
    }
  }
  return false;
}

}  // namespace

Status CheckRowFilter(engine::Connection& connection, std::string_view filter) {
  const std::string sql = "SELECT (" + std::string(filter) + ")";
  EL_ASSIGN_OR_RETURN(const std::string serialized, SerializeSql(connection, sql));
  // The guard's rules first (one SELECT, no denied function)...
  EL_ASSIGN_OR_RETURN(GuardedTree guarded, GuardParseTree(serialized));
  // ...then: one expression, nothing else.
  const nlohmann::json tree = nlohmann::json::parse(guarded.tree, nullptr, false);
  const nlohmann::json& node = tree["statements"][0]["node"];
  const bool plain = node.value("type", "") == "SELECT_NODE" && node["select_list"].size() == 1 &&
                     node["from_table"].value("type", "") == "EMPTY" && node["where_clause"].is_null() &&
                     node["modifiers"].empty() && node["group_expressions"].empty() &&
                     node["having"].is_null() && node["cte_map"]["map"].empty();
  if (!plain || !guarded.tables.empty() || HasRelation(node["select_list"])) {
    return InvalidArgument("a row filter is one boolean expression over the table's columns, "
                           "without subqueries or tables");
  }
  return Status::Ok();
}

std::vector<ViewColumn> ShownColumns(const std::vector<ViewColumn>& columns,
                                     const security::Statement& statement) {
  std::vector<ViewColumn> shown;
  for (const ViewColumn& c : columns) {
    if (!Listed(statement, c.name)) continue;
    const security::ColumnMask* mask = MaskOf(statement, c.name);
    shown.push_back({c.name, mask == nullptr || mask->mask == security::MaskKind::kNull ? c.type : "VARCHAR"});
  }
  return shown;
}

std::string RestrictedSelect(const std::string& base, const std::vector<ViewColumn>& columns,
                             const security::Statement& statement, std::vector<ViewColumn>* shown) {
  std::string list;
  for (const ViewColumn& c : columns) {
    if (!Listed(statement, c.name)) continue;
    const std::string name = SqlIdentifier(c.name);
    std::string expr = name;
    if (const security::ColumnMask* mask = MaskOf(statement, c.name)) {
      switch (mask->mask) {
        case security::MaskKind::kHash: expr = "sha256(CAST(" + name + " AS VARCHAR))"; break;
        case security::MaskKind::kRedact:
          expr = "CASE WHEN " + name + " IS NULL THEN NULL ELSE 'REDACTED' END";
          break;
        case security::MaskKind::kNull: expr = "NULL::" + c.type; break;
      }
    }
    list += (list.empty() ? "" : ", ") + expr + " AS " + name;
  }
  if (shown != nullptr) *shown = ShownColumns(columns, statement);
  if (list.empty()) list = "NULL AS \"no_column_allowed\"";
  std::string select = "SELECT " + list + " FROM (" + base + ") AS \"restricted\"";
  if (statement.RestrictsRows()) select += " WHERE (" + statement.row_filter + ") IS TRUE";
  return select;
}

}  // namespace eventlake::query
