// The catalog as the caller may see it: the lake's tables it has
// tables:Select on, as information_schema views (tables, columns, schemata)
// and the small part of pg_catalog that Postgres clients read to list
// tables (psql's \dt and \dn, JDBC's and BI tools' metadata queries):
// pg_namespace, pg_class, pg_attribute, pg_type, pg_am, pg_database,
// pg_tables, pg_roles, pg_collation, and what psql's \d reads and the lake
// has none of, empty: pg_description, pg_attrdef, pg_policy,
// pg_statistic_ext, pg_publication, pg_publication_rel,
// pg_publication_namespace, pg_inherits. Built per query from the lake's
// catalog; DuckDB's own catalog views are not reachable (sql_guard.h).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eventlake::query {

inline constexpr std::string_view kInformationSchema = "information_schema";
inline constexpr std::string_view kPgCatalog = "pg_catalog";
// The zones whose tables queries read (the raw zone is the log's).
inline constexpr std::array<std::string_view, 3> kQueryableZones = {"curated", "analytics", "archive"};

struct CatalogColumn {
  std::string name;
  std::string type;  // DuckDB's ("BIGINT", "VARCHAR", ...)
};

struct CatalogTable {
  std::string zone;   // "curated"
  std::string table;  // "events"
  std::vector<CatalogColumn> columns;
};

// True for the catalog views there are: information_schema.tables, ...,
// pg_catalog.pg_class, ... (`schema` and `view` in lower case).
bool IsCatalogView(std::string_view schema, std::string_view view);
// True for "information_schema.tables", "pg_catalog.pg_class", ...
bool IsCatalogTable(std::string_view qualified_name);

// The SELECT of `schema`.`view` over `tables`.
std::string CatalogViewSelect(std::string_view schema, std::string_view view,
                              const std::vector<CatalogTable>& tables);

// The types pg_type lists, by OID, with the names Postgres's format_type()
// gives them ("bigint", "timestamp with time zone", "text[]").
std::vector<std::pair<int32_t, std::string>> PgTypeNames();

// The OID a schema ("curated") or a table ("curated.events") has in
// pg_catalog: the same for the same name in every query.
int32_t CatalogOid(std::string_view name);

}  // namespace eventlake::query
