// information_schema.tables and information_schema.columns as the caller
// may see them: the lake's tables it has tables:Select on, so that clients
// (psql, JDBC, BI tools) can list tables and columns with the SQL they
// already use. Built per query from the lake's catalog; DuckDB's own
// catalog views are not reachable (sql_guard.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace eventlake::query {

inline constexpr std::string_view kCatalogSchema = "information_schema";

struct CatalogColumn {
  std::string name;
  std::string type;  // DuckDB's ("BIGINT", "VARCHAR", ...)
};

struct CatalogTable {
  std::string zone;   // "curated"
  std::string table;  // "events"
  std::vector<CatalogColumn> columns;
};

// True for the catalog views there are: "tables", "columns".
bool IsCatalogView(std::string_view name);

// The SELECT of information_schema.<view> over `tables`.
std::string CatalogViewSelect(std::string_view view, const std::vector<CatalogTable>& tables);

}  // namespace eventlake::query
