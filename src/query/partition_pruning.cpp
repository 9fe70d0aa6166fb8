// PartitionFilters (a walk of DuckDB's serialized parse tree) and
// FilesPassing (DuckDB evaluating the filter over partition values).
#include "query/partition_pruning.h"

#include <set>

#include <nlohmann/json.hpp>

#include "core/ascii_case.h"
#include "query/parse_tree.h"
#include "query/table_view.h"

namespace eventlake::query {
namespace {

using Json = nlohmann::json;

// Expressions whose value depends on nothing but their inputs and on no
// query around them; a conjunct holding anything else (a SUBQUERY, a
// PARAMETER, a WINDOW, ...) is not evaluated.
const std::set<std::string, std::less<>> kEvaluableClasses = {
    "BETWEEN", "CASE", "CAST", "COLLATE", "COLUMN_REF", "COMPARISON", "CONJUNCTION", "CONSTANT", "FUNCTION",
    "OPERATOR"};
const std::set<std::string, std::less<>> kVolatileFunctions = {
    "random", "uuid", "gen_random_uuid", "uuidv4", "uuidv7", "setseed", "nextval", "currval"};

std::string Member(const Json& node, const char* key) {
  auto it = node.find(key);
  return it != node.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A table the FROM clause of one SELECT reads.
struct Source {
  std::string alias;  // lower case
  std::string view;   // "" for anything but a lake table's view
  bool inner = true;  // reached through inner joins only
};

// The reference's filter: the AND of its conjuncts, or none.
struct Reference {
  std::string view;
  std::vector<Json> conjuncts;
};

class FilterFinder {
 public:
  explicit FilterFinder(const PartitionColumnsByView& partition_columns) : columns_(partition_columns) {}

  Status Walk(const Json& node) {
    if (node.is_array()) {
      for (const Json& child : node) EL_RETURN_IF_ERROR(Walk(child));
      return Status::Ok();
    }
    if (!node.is_object()) return Status::Ok();
    if (!node.contains("class")) {
      const std::string type = Member(node, "type");
      if (type == "BASE_TABLE" && columns_.contains(Member(node, "table_name"))) {
        ++occurrences_[Member(node, "table_name")];
      }
      if (type == "SELECT_NODE") Select(node);
    }
    for (const auto& [key, child] : node.items()) EL_RETURN_IF_ERROR(Walk(child));
    return Status::Ok();
  }

  std::map<std::string, std::string> Filters() const {
    std::map<std::string, std::vector<const Reference*>> by_view;
    for (const Reference& r : references_) by_view[r.view].push_back(&r);
    std::map<std::string, std::string> filters;
    for (const auto& [view, refs] : by_view) {
      auto seen = occurrences_.find(view);
      if (seen == occurrences_.end() || seen->second != refs.size()) continue;  // one reads everything
      Json any = Json::array();
      bool everything = false;
      for (const Reference* r : refs) {
        if (r->conjuncts.empty()) everything = true;
        else any.push_back(Junction("CONJUNCTION_AND", r->conjuncts));
      }
      if (!everything) filters[view] = Junction("CONJUNCTION_OR", any).dump();
    }
    return filters;
  }

 private:
  static Json Junction(const char* type, const std::vector<Json>& children) {
    if (children.size() == 1) return children.front();
    return Json{{"class", "CONJUNCTION"}, {"type", type}, {"alias", ""}, {"query_location", 0},
                {"children", children}};
  }

  static void Sources(const Json& table, bool inner, std::vector<Source>& sources,
                      std::vector<const Json*>& conditions) {
    if (!table.is_object()) return;
    const std::string type = Member(table, "type");
    if (type == "JOIN") {
      const bool this_inner = Member(table, "join_type") == "INNER" &&
                              (Member(table, "ref_type") == "REGULAR" || Member(table, "ref_type") == "CROSS");
      const bool under = inner && this_inner;
      if (table.contains("left")) Sources(table["left"], under, sources, conditions);
      if (table.contains("right")) Sources(table["right"], under, sources, conditions);
      if (under && table.contains("condition") && table["condition"].is_object()) {
        conditions.push_back(&table["condition"]);
      }
      return;
    }
    Source s{.alias = AsciiLower(Member(table, "alias")), .inner = inner};
    if (type == "BASE_TABLE") {
      s.view = Member(table, "table_name");
      if (s.alias.empty()) s.alias = AsciiLower(s.view);
    }
    sources.push_back(std::move(s));
  }

  static void Conjuncts(const Json& expression, std::vector<const Json*>& out) {
    if (Member(expression, "class") == "CONJUNCTION" && Member(expression, "type") == "CONJUNCTION_AND" &&
        expression.contains("children")) {
      for (const Json& child : expression["children"]) Conjuncts(child, out);
      return;
    }
    out.push_back(&expression);
  }

  // The one source all of `expression`'s columns belong to (all of them
  // partition columns of its table), with its columns unqualified in
  // `rewritten`; -1 when there is none.
  int OwnerOf(const Json& expression, const std::vector<Source>& sources, Json& rewritten) const {
    int owner = -2;  // -2: no column yet
    bool fails = false;
    rewritten = expression;
    Resolve(rewritten, sources, owner, fails);
    return fails || owner < 0 ? -1 : owner;
  }

  void Resolve(Json& node, const std::vector<Source>& sources, int& owner, bool& fails) const {
    if (fails) return;
    if (node.is_array()) {
      for (Json& child : node) Resolve(child, sources, owner, fails);
      return;
    }
    if (!node.is_object()) return;
    if (node.contains("class")) {
      const std::string cls = Member(node, "class");
      if (!kEvaluableClasses.contains(cls)) {
        fails = true;
        return;
      }
      if (cls == "FUNCTION" && kVolatileFunctions.contains(AsciiLower(Member(node, "function_name")))) {
        fails = true;
        return;
      }
      if (cls == "COLUMN_REF") {
        const int source = Column(node, sources);
        if (source < 0 || (owner >= 0 && owner != source)) {
          fails = true;
          return;
        }
        owner = source;
        return;
      }
    }
    for (auto& [key, child] : node.items()) {
      if (key != "value") Resolve(child, sources, owner, fails);
    }
  }

  // The source a column reference names, when it is a partition column of
  // a lake table's view there; its name left unqualified.
  int Column(Json& ref, const std::vector<Source>& sources) const {
    if (!ref.contains("column_names") || !ref["column_names"].is_array()) return -1;
    Json& names = ref["column_names"];
    if (names.empty() || names.size() > 2 || !names.back().is_string()) return -1;
    int source = -1;
    if (names.size() == 2) {
      if (!names[0].is_string()) return -1;
      const std::string alias = AsciiLower(names[0].get<std::string>());
      for (size_t i = 0; i < sources.size(); ++i) {
        if (sources[i].alias == alias) {
          if (source >= 0) return -1;  // ambiguous: DuckDB refuses the query
          source = static_cast<int>(i);
        }
      }
    } else if (sources.size() == 1) {
      source = 0;
    }
    if (source < 0 || sources[source].view.empty()) return -1;
    const std::string column = AsciiLower(names.back().get<std::string>());
    bool partition = false;
    for (const std::string& c : columns_.at(sources[source].view)) partition = partition || AsciiLower(c) == column;
    if (!partition) return -1;
    names = Json::array({names.back()});
    return source;
  }

  void Select(const Json& node) {
    if (!node.contains("from_table")) return;
    std::vector<Source> sources;
    std::vector<const Json*> conditions;
    Sources(node["from_table"], true, sources, conditions);
    std::vector<const Json*> conjuncts;
    if (node.contains("where_clause") && node["where_clause"].is_object()) Conjuncts(node["where_clause"], conjuncts);
    for (const Json* condition : conditions) Conjuncts(*condition, conjuncts);
    std::vector<Reference> found(sources.size());
    for (const Json* conjunct : conjuncts) {
      Json rewritten;
      const int owner = OwnerOf(*conjunct, sources, rewritten);
      if (owner >= 0 && sources[owner].inner) found[owner].conjuncts.push_back(std::move(rewritten));
    }
    for (size_t i = 0; i < sources.size(); ++i) {
      if (sources[i].view.empty() || !columns_.contains(sources[i].view)) continue;
      found[i].view = sources[i].view;
      references_.push_back(std::move(found[i]));
    }
  }

  const PartitionColumnsByView& columns_;
  std::map<std::string, size_t> occurrences_;  // BASE_TABLE nodes per view
  std::vector<Reference> references_;          // the ones in a FROM clause
};

}  // namespace

Result<std::map<std::string, std::string>> PartitionFilters(std::string_view tree,
                                                            const PartitionColumnsByView& partition_columns) {
  const Json parsed = Json::parse(tree, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return Err(InvalidArgument("a parse tree that is not JSON"));
  FilterFinder finder(partition_columns);
  EL_RETURN_IF_ERROR(finder.Walk(parsed));
  return finder.Filters();
}

Result<std::vector<std::string>> FilesPassing(engine::Connection& connection, const lake::TableSnapshot& snapshot,
                                              const std::string& filter) {
  const lake::TableSchema& schema = snapshot.schema;
  // One row per distinct partition tuple, typed as the view types it.
  std::map<std::vector<std::optional<std::string>>, std::vector<std::string>> groups;
  for (const auto& [path, add] : snapshot.files) {
    std::vector<std::optional<std::string>> tuple;
    for (const std::string& column : schema.partition_columns) {
      std::optional<std::string> value;
      for (const lake::PartitionValue& v : add.partition_values) {
        if (v.first == column) value = v.second;
      }
      tuple.push_back(std::move(value));
    }
    groups[std::move(tuple)].push_back(path);
  }
  if (groups.empty()) return std::vector<std::string>{};
  std::string rows;
  size_t index = 0;
  for (const auto& [tuple, paths] : groups) {
    rows += (rows.empty() ? "(" : ", (") + std::to_string(index++);
    for (const auto& value : tuple) {
      rows += ", " + (value.has_value() ? engine::SqlString(*value) : std::string("NULL")) + "::VARCHAR";
    }
    rows += ")";
  }
  std::string names = "\"__group\"";
  std::string typed = "\"__group\"";
  for (const std::string& column : schema.partition_columns) {
    names += ", " + engine::SqlIdentifier(column);
    const lake::Column* c = schema.Find(column);
    typed += ", " + (c != nullptr ? PartitionColumnSelect(*c, /*hive_nulls=*/false)
                                  : engine::SqlIdentifier(column));
  }
  EL_ASSIGN_OR_RETURN(std::string serialized,
                      SerializeSql(connection, "SELECT \"__group\" FROM (SELECT " + typed + " FROM (VALUES " +
                                                   rows + ") AS \"__values\"(" + names +
                                                   ")) AS \"__partitions\" WHERE true"));
  Json tree = Json::parse(serialized, nullptr, false);
  Json where = Json::parse(filter, nullptr, false);
  if (tree.is_discarded() || where.is_discarded() || !tree.contains("statements") ||
      tree["statements"].empty()) {
    return Err(Internal("the partition filter's statement did not parse"));
  }
  tree["statements"][0]["node"]["where_clause"] = std::move(where);
  EL_ASSIGN_OR_RETURN(std::string sql, RenderSql(connection, tree.dump()));
  EL_ASSIGN_OR_RETURN(engine::QueryResult passing, connection.Query(sql));
  std::vector<const std::vector<std::string>*> by_index;
  for (const auto& [tuple, paths] : groups) by_index.push_back(&paths);
  std::vector<std::string> files;
  for (size_t r = 0; r < passing.rows(); ++r) {
    const int64_t group = passing.Int64(0, r).value_or(-1);
    if (group < 0 || static_cast<size_t>(group) >= by_index.size()) continue;
    files.insert(files.end(), by_index[group]->begin(), by_index[group]->end());
  }
  return files;
}

}  // namespace eventlake::query
