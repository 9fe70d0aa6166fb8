// GuardParseTree: a walk over DuckDB's serialized parse tree that refuses
// what user SQL may not reach and points lake tables at their views.
#include "query/sql_guard.h"

#include "core/ascii_case.h"
#include "query/catalog_views.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

namespace eventlake::query {
namespace {

using Json = nlohmann::json;

constexpr std::array<std::string_view, 3> kTableFunctions = {"range", "generate_series", "unnest"};
// Scalar functions that tell about the process rather than the data, or
// read DuckDB's own catalog (the engine's views, their SQL and the
// restrictions in it: pg_get_viewdef, current_query).
constexpr std::array<std::string_view, 7> kDeniedFunctions = {
    "current_setting", "getenv", "current_database", "current_query", "pg_get_viewdef",
    "pg_get_constraintdef", "current_query_id"};
// What Postgres clients call and get a constant for: version() is parsed by
// drivers and BI tools, pg_get_userbyid(owner) by psql's \dt.
constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kConstantFunctions = {{
    {"version", "PostgreSQL 16.0 (eventlake)"},
    {"pg_get_userbyid", "eventlake"},
}};
// Table references that reach past the guard's rewrite.
constexpr std::array<std::string_view, 5> kDeniedReferences = {"SHOW_REF", "COLUMN_DATA",
                                                              "DELIM_GET", "BOUND_TABLE_REF",
                                                              "INVALID"};

template <size_t N>
bool OneOf(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}


bool ValidTableName(std::string_view name) {
  if (name.empty() || name.size() > 63 || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string StringMember(const Json& node, const char* key) {
  auto it = node.find(key);
  return it != node.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// As in Postgres, pg_catalog's functions are on every search path: a call
// qualified with it is DuckDB's own (builtins are not in DuckDB's
// pg_catalog schema, so `pg_catalog.array_to_string` would not bind).
void DropPgCatalogSchema(Json& function) {
  if (StringMember(function, "catalog").empty() && AsciiLower(StringMember(function, "schema")) == kPgCatalog) {
    function["schema"] = "";
  }
}

Json Constant(const Json& node, const char* type, Json value) {
  std::string alias = StringMember(node, "alias");
  Json constant_value = {{"type", {{"id", type}, {"type_info", nullptr}}}, {"is_null", value.is_null()}};
  if (!value.is_null()) constant_value["value"] = std::move(value);
  return {{"class", "CONSTANT"},
          {"type", "VALUE_CONSTANT"},
          {"alias", alias},
          {"query_location", node.value("query_location", Json(0))},
          {"value", std::move(constant_value)}};
}

Json Call(const char* name, Json children) {
  return {{"class", "FUNCTION"},
          {"type", "FUNCTION"},
          {"alias", ""},
          {"query_location", 0},
          {"function_name", name},
          {"schema", ""},
          {"children", std::move(children)},
          {"filter", nullptr},
          {"order_bys", {{"type", "ORDER_MODIFIER"}, {"orders", Json::array()}}},
          {"distinct", false},
          {"is_operator", false},
          {"export_state", false},
          {"catalog", ""}};
}

// format_type(type_oid, typmod) as Postgres names the types pg_type lists:
// [names][list_position([oids], type_oid)], NULL for another OID. DuckDB's
// own reads its catalog and knows its OIDs, not these. The argument is
// kept once: nested calls must not multiply the tree.
Json FormatType(const Json& node) {
  Json names = Json::array();
  Json oids = Json::array();
  for (const auto& [oid, name] : PgTypeNames()) {
    names.push_back(Constant(Json::object(), "VARCHAR", name));
    oids.push_back(Constant(Json::object(), "INTEGER", oid));
  }
  Json position = Call("list_position", Json::array({Call("list_value", std::move(oids)), node["children"][0]}));
  return {{"class", "OPERATOR"},
          {"type", "ARRAY_EXTRACT"},
          {"alias", StringMember(node, "alias")},
          {"query_location", node.value("query_location", Json(0))},
          {"children", Json::array({Call("list_value", std::move(names)), std::move(position)})}};
}

// The Postgres catalog functions psql's \d calls, answered for the lake:
// no expressions (defaults, policies, partition bounds) exist but as the
// catalogs' text, no comments, no publications. True when `node` was one.
bool PgCatalogFunction(Json& node, std::string_view name) {
  const size_t arguments = node.contains("children") && node["children"].is_array() ? node["children"].size() : 0;
  if (name == "format_type" && arguments == 2) {
    node = FormatType(node);
  } else if (name == "pg_get_expr" && arguments >= 2) {
    std::string alias = StringMember(node, "alias");
    Json expression = node["children"][0];
    if (!alias.empty()) expression["alias"] = alias;
    node = std::move(expression);
  } else if (name == "col_description" || name == "obj_description" || name == "pg_get_statisticsobjdef_columns") {
    node = Constant(node, "VARCHAR", nullptr);
  } else if (name == "pg_table_size" || name == "pg_total_relation_size" || name == "pg_relation_size" ||
             name == "pg_indexes_size") {
    node = Constant(node, "BIGINT", nullptr);  // \dt+'s Size: not a Postgres relation's to tell
  } else if (name == "pg_relation_is_publishable") {
    node = Constant(node, "BOOLEAN", false);
  } else if (name == "array_upper" && arguments == 2) {
    node["function_name"] = "array_length";  // lists start at 1
    return false;
  } else {
    return false;
  }
  return true;
}

class Walker {
 public:
  explicit Walker(SqlDialect dialect) : dialect_(dialect) {}

  Status CollectCtes(const Json& node, size_t depth) {
    if (depth > kMaxTreeDepth) return InvalidArgument("the query is nested too deeply");
    if (node.is_object()) {
      if (auto it = node.find("cte_map"); it != node.end() && it->is_object()) {
        if (auto map = it->find("map"); map != it->end() && map->is_array()) {
          for (const Json& entry : *map) {
            if (entry.is_object() && entry.contains("key") && entry["key"].is_string()) {
              ctes_.insert(AsciiLower(entry["key"].get<std::string>()));
            }
          }
        }
      }
    }
    if (node.is_structured()) {
      for (const Json& child : node) EL_RETURN_IF_ERROR(CollectCtes(child, depth + 1));
    }
    return Status::Ok();
  }

  Status Walk(Json& node, size_t depth) {
    if (depth > kMaxTreeDepth) return InvalidArgument("the query is nested too deeply");
    if (node.is_object()) {
      const std::string type = StringMember(node, "type");
      const bool expression = node.contains("class");
      if (!expression && OneOf(kDeniedReferences, type)) {
        return PermissionDenied("queries may not use a " + type + " reference");
      }
      if (!expression && type == "BASE_TABLE") return Table(node);
      if (!expression && type == "TABLE_FUNCTION") EL_RETURN_IF_ERROR(TableFunction(node));
      if (expression && StringMember(node, "class") == "FUNCTION") {
        bool replaced = false;
        EL_RETURN_IF_ERROR(Function(node, replaced));
        // What replaced a call (pg_get_expr's argument) is walked as itself.
        if (replaced) return Walk(node, depth + 1);
      }
    }
    if (node.is_structured()) {
      for (Json& child : node) EL_RETURN_IF_ERROR(Walk(child, depth + 1));
    }
    return Status::Ok();
  }

  std::vector<TableReference> tables;

 private:
  Status Table(Json& node) {
    const std::string catalog = StringMember(node, "catalog_name");
    const std::string schema = StringMember(node, "schema_name");
    const std::string name = StringMember(node, "table_name");
    if (!catalog.empty()) return PermissionDenied("queries read lake tables only, not " + catalog + "." + schema + "." + name);
    const Json* at = node.contains("at_clause") && node["at_clause"].is_object() ? &node["at_clause"] : nullptr;
    if (schema.empty()) {
      // The engine's own views and tables are named "<zone>.<table>...":
      // a name with a dot is never the caller's (a CTE of that name could
      // otherwise reach them from outside its scope).
      if (ctes_.contains(AsciiLower(name)) && at == nullptr && name.find('.') == std::string::npos) {
        return Status::Ok();
      }
      // As in Postgres, pg_catalog is on every search path.
      if (IsCatalogView(kPgCatalog, AsciiLower(name))) {
        node["schema_name"] = std::string(kPgCatalog);
        return Table(node);
      }
      return PermissionDenied("queries read lake tables only (<zone>.<table>), not " + name);
    }
    const std::string zone = AsciiLower(schema);
    const std::string table = AsciiLower(name);
    const bool catalog_view = IsCatalogView(zone, table);
    if (catalog_view && at != nullptr) return PermissionDenied("the catalog has no versions");
    if (!catalog_view && (!OneOf(kQueryableZones, zone) || !ValidTableName(table))) {
      return PermissionDenied("queries read lake tables only (zones curated, analytics and archive), not " +
                              schema + "." + name);
    }
    TableReference ref{.table = zone + "." + table};
    if (at != nullptr) EL_RETURN_IF_ERROR(AtClause(*at, ref));
    ref.view = ViewNameFor(ref.table, ref.version, ref.timestamp);
    if (std::find(tables.begin(), tables.end(), ref) == tables.end()) {
      if (tables.size() >= kMaxTableReferences) return InvalidArgument("the query names too many tables");
      tables.push_back(ref);
    }
    if (StringMember(node, "alias").empty()) node["alias"] = table;
    node["schema_name"] = "";
    node["table_name"] = ref.view;
    node["at_clause"] = nullptr;
    return Status::Ok();
  }

  static Status AtClause(const Json& at, TableReference& ref) {
    const std::string unit = AsciiLower(StringMember(at, "unit"));
    const Json* expr = at.contains("expr") ? &at["expr"] : nullptr;
    const bool constant = expr != nullptr && expr->is_object() && StringMember(*expr, "class") == "CONSTANT" &&
                          (*expr).contains("value") && (*expr)["value"].is_object();
    if (!constant) {
      return InvalidArgument("AT (" + unit + " => ...) takes a literal for " + ref.table);
    }
    const Json& value = (*expr)["value"];
    if (value.value("is_null", false) || !value.contains("value")) {
      return InvalidArgument("AT (" + unit + " => NULL) for " + ref.table);
    }
    const Json& v = value["value"];
    if (unit == "version") {
      if (!v.is_number_integer() || v.get<int64_t>() < 0) {
        return InvalidArgument("AT (VERSION => n) takes a non-negative integer for " + ref.table);
      }
      ref.version = v.get<int64_t>();
      return Status::Ok();
    }
    if (unit == "timestamp") {
      if (!v.is_string()) {
        return InvalidArgument("AT (TIMESTAMP => '...') takes a string literal for " + ref.table);
      }
      ref.timestamp = v.get<std::string>();
      return Status::Ok();
    }
    return InvalidArgument("AT takes VERSION or TIMESTAMP, not " + unit);
  }

  Status TableFunction(Json& node) const {
    Json* function = node.contains("function") ? &node["function"] : nullptr;
    if (function != nullptr && function->is_object()) DropPgCatalogSchema(*function);
    const std::string name = function != nullptr && function->is_object()
                                 ? AsciiLower(StringMember(*function, "function_name"))
                                 : std::string();
    const bool qualified = function != nullptr && function->is_object() &&
                           (!StringMember(*function, "schema").empty() ||
                            !StringMember(*function, "catalog").empty());
    if (qualified || !OneOf(kTableFunctions, name)) {
      return PermissionDenied("queries may not call the table function " + (name.empty() ? "?" : name) +
                              " (allowed: range, generate_series, unnest)");
    }
    // In Postgres, `FROM generate_series(0, 3) s` names the one column s
    // too (psql's \d writes `prattrs[s]`); in DuckDB s would be the row.
    const std::string alias = StringMember(node, "alias");
    if (dialect_ == SqlDialect::kPostgres && !alias.empty() &&
        node.value("column_name_alias", Json::array()).empty()) {
      node["column_name_alias"] = Json::array({alias});
    }
    return Status::Ok();
  }

  Status Function(Json& node, bool& replaced) const {
    const std::string name = AsciiLower(StringMember(node, "function_name"));
    DropPgCatalogSchema(node);
    if (StringMember(node, "schema").empty() && StringMember(node, "catalog").empty() &&
        PgCatalogFunction(node, name)) {
      replaced = true;
      return Status::Ok();
    }
    if (dialect_ == SqlDialect::kPostgres && name == "regexp_full_match") {
      node["function_name"] = "regexp_matches";  // ~ and !~ as Postgres means them
    }
    if (OneOf(kDeniedFunctions, name)) return PermissionDenied("queries may not call " + name);
    for (const auto& [function, value] : kConstantFunctions) {
      if (name != function) continue;
      std::string alias = StringMember(node, "alias");
      node = {{"class", "CONSTANT"},
              {"type", "VALUE_CONSTANT"},
              {"alias", alias.empty() ? name : alias},
              {"query_location", node.value("query_location", Json(0))},
              {"value", {{"type", {{"id", "VARCHAR"}, {"type_info", nullptr}}}, {"is_null", false}, {"value", value}}}};
      return Status::Ok();
    }
    if (!StringMember(node, "catalog").empty()) {
      return PermissionDenied("queries may not call functions of catalog " + StringMember(node, "catalog"));
    }
    return Status::Ok();
  }

  std::set<std::string> ctes_;
  SqlDialect dialect_;
};

}  // namespace

namespace {

void Expand(Json& node, const std::map<std::string, Json>& views, size_t depth) {
  if (depth > kMaxTreeDepth) return;
  if (node.is_object() && !node.contains("class") && StringMember(node, "type") == "BASE_TABLE" &&
      StringMember(node, "schema_name").empty()) {
    auto it = views.find(StringMember(node, "table_name"));
    if (it != views.end()) {
      Json ref = {{"type", "SUBQUERY"},
                  {"alias", node.value("alias", Json(""))},
                  {"sample", node.value("sample", Json(nullptr))},
                  {"query_location", node.value("query_location", Json(0))},
                  {"subquery", {{"node", it->second}, {"named_param_map", Json::array()}}},
                  {"column_name_alias", node.value("column_name_alias", Json::array())}};
      node = std::move(ref);
      return;
    }
  }
  if (node.is_structured()) {
    for (Json& child : node) Expand(child, views, depth + 1);
  }
}

}  // namespace

Result<std::string> ExpandViews(std::string_view tree,
                                const std::vector<std::pair<std::string, std::string>>& views) {
  Json root = Json::parse(tree, nullptr, false);
  if (!root.is_object()) return Err(Internal("the guarded tree is not JSON"));
  std::map<std::string, Json> nodes;
  for (const auto& [name, serialized] : views) {
    Json view = Json::parse(serialized, nullptr, false);
    if (!view.is_object() || view.value("error", true) || !view.contains("statements") ||
        view["statements"].size() != 1) {
      return Err(Internal("the parse tree of view " + name + " is not one statement"));
    }
    nodes[name] = std::move(view["statements"][0]["node"]);
  }
  Expand(root, nodes, 0);
  return root.dump();
}

std::string ViewNameFor(std::string_view table, std::optional<int64_t> version,
                        const std::optional<std::string>& timestamp) {
  std::string view(table);
  if (version.has_value()) return view + "@" + std::to_string(*version);
  if (timestamp.has_value()) return view + "@" + *timestamp;
  return view;
}

Result<GuardedTree> GuardParseTree(std::string_view serialized, SyntaxError* syntax, SqlDialect dialect) {
  if (serialized.size() > kMaxTreeBytes) return Err(InvalidArgument("the query is too large"));
  Json root = Json::parse(serialized, nullptr, /*allow_exceptions=*/false);
  if (!root.is_object()) return Err(Internal("the parse tree is not JSON"));
  if (root.value("error", false)) {
    const std::string type = StringMember(root, "error_type");
    const std::string message = StringMember(root, "error_message");
    if (type == "parser") {
      if (syntax != nullptr) {
        const std::string position = StringMember(root, "position");
        if (!position.empty() && std::all_of(position.begin(), position.end(), ::isdigit) &&
            position.size() < 12) {
          syntax->position = std::stoull(position);
        }
      }
      return Err(InvalidArgument(message.starts_with("syntax error") ? message
                                                                     : "syntax error: " + message));
    }
    // json_serialize_sql serializes SELECT statements only.
    return Err(PermissionDenied("only SELECT statements are allowed (" + message + ")"));
  }
  if (!root.contains("statements") || !root["statements"].is_array()) {
    return Err(Internal("the parse tree has no statements"));
  }
  if (root["statements"].size() != 1) {
    return Err(InvalidArgument("a query is one SELECT statement; this has " +
                               std::to_string(root["statements"].size())));
  }
  Walker walker(dialect);
  EL_RETURN_IF_ERROR(walker.CollectCtes(root, 0));
  EL_RETURN_IF_ERROR(walker.Walk(root, 0));
  return GuardedTree{.tree = root.dump(), .tables = std::move(walker.tables)};
}

}  // namespace eventlake::query
