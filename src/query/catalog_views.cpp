// The information_schema views, as VALUES lists.
#include "query/catalog_views.h"

#include "engine/database.h"

namespace eventlake::query {
namespace {

using engine::SqlString;

std::string Values(const std::vector<std::vector<std::string>>& rows, const std::string& empty_row,
                   const std::string& names) {
  if (rows.empty()) return "SELECT * FROM (VALUES (" + empty_row + ")) AS t(" + names + ") WHERE false";
  std::string values;
  for (const auto& row : rows) {
    std::string cells;
    for (const std::string& cell : row) cells += (cells.empty() ? "" : ", ") + cell;
    values += (values.empty() ? "(" : ", (") + cells + ")";
  }
  return "SELECT * FROM (VALUES " + values + ") AS t(" + names + ")";
}

}  // namespace

bool IsCatalogView(std::string_view name) { return name == "tables" || name == "columns"; }

std::string CatalogViewSelect(std::string_view view, const std::vector<CatalogTable>& tables) {
  const std::string catalog = SqlString("eventlake");
  std::vector<std::vector<std::string>> rows;
  if (view == "tables") {
    for (const CatalogTable& t : tables) {
      rows.push_back({catalog, SqlString(t.zone), SqlString(t.table), SqlString("BASE TABLE")});
    }
    return Values(rows, "NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR",
                  "table_catalog, table_schema, table_name, table_type");
  }
  for (const CatalogTable& t : tables) {
    for (size_t i = 0; i < t.columns.size(); ++i) {
      rows.push_back({catalog, SqlString(t.zone), SqlString(t.table), SqlString(t.columns[i].name),
                      std::to_string(i + 1) + "::INTEGER", SqlString(t.columns[i].type), SqlString("YES")});
    }
  }
  return Values(rows,
                "NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::INTEGER, "
                "NULL::VARCHAR, NULL::VARCHAR",
                "table_catalog, table_schema, table_name, column_name, ordinal_position, data_type, "
                "is_nullable");
}

}  // namespace eventlake::query
