// The catalog views, as VALUES lists.
#include "query/catalog_views.h"

#include <algorithm>
#include <utility>

#include "engine/database.h"
#include "query/pgwire_types.h"

namespace eventlake::query {
namespace {

using engine::SqlString;

using Row = std::vector<std::string>;

// A view's columns: name and DuckDB type, for the typed empty row.
struct ViewShape {
  std::vector<std::pair<const char*, const char*>> columns;
};

std::string Values(const std::vector<Row>& rows, const ViewShape& shape) {
  std::string names;
  for (const auto& [name, type] : shape.columns) names += (names.empty() ? "" : ", ") + std::string(name);
  std::string values;
  if (rows.empty()) {
    std::string nulls;
    for (const auto& [name, type] : shape.columns) nulls += (nulls.empty() ? "NULL::" : ", NULL::") + std::string(type);
    return "SELECT * FROM (VALUES (" + nulls + ")) AS t(" + names + ") WHERE false";
  }
  for (const Row& row : rows) {
    std::string cells;
    size_t i = 0;
    for (const auto& [name, type] : shape.columns) {
      // Typed in every row: a column of NULLs would otherwise be INTEGER.
      cells += (cells.empty() ? "" : ", ") + row[i++] + "::" + type;
    }
    values += (values.empty() ? "(" : ", (") + cells + ")";
  }
  return "SELECT * FROM (VALUES " + values + ") AS t(" + names + ")";
}

std::string Int(int64_t v) { return std::to_string(v); }
std::string Bool(bool v) { return v ? "true" : "false"; }
const std::string kNull = "NULL";

constexpr int32_t kPgCatalogOid = 11;
constexpr int32_t kInformationSchemaOid = 13'000;
constexpr int32_t kOwnerOid = 10;
constexpr int32_t kHeapAmOid = 2;
constexpr int32_t kDatabaseOid = 1;
const std::string kOwner = SqlString("eventlake");
const std::string kDatabase = SqlString("eventlake");

// The types result columns have (pgwire_types.h), for pg_type.
// `formatted` is the name format_type() gives it (psql's \d shows it).
struct PgTypeRow {
  int32_t oid;
  const char* name;
  int16_t length;
  int32_t element;  // arrays: the element's OID
  const char* formatted;
};
constexpr PgTypeRow kPgTypes[] = {
    {kPgBool, "bool", 1, 0, "boolean"},
    {kPgBytea, "bytea", -1, 0, "bytea"},
    {kPgInt8, "int8", 8, 0, "bigint"},
    {kPgInt2, "int2", 2, 0, "smallint"},
    {kPgInt4, "int4", 4, 0, "integer"},
    {kPgText, "text", -1, 0, "text"},
    {kPgJson, "json", -1, 0, "json"},
    {kPgFloat4, "float4", 4, 0, "real"},
    {kPgFloat8, "float8", 8, 0, "double precision"},
    {kPgVarchar, "varchar", -1, 0, "character varying"},
    {kPgDate, "date", 4, 0, "date"},
    {kPgTime, "time", 8, 0, "time without time zone"},
    {kPgTimestamp, "timestamp", 8, 0, "timestamp without time zone"},
    {kPgTimestamptz, "timestamptz", 8, 0, "timestamp with time zone"},
    {kPgInterval, "interval", 16, 0, "interval"},
    {kPgNumeric, "numeric", -1, 0, "numeric"},
    {kPgUuid, "uuid", 16, 0, "uuid"},
    {1000, "_bool", -1, kPgBool, "boolean[]"},
    {1005, "_int2", -1, kPgInt2, "smallint[]"},
    {1007, "_int4", -1, kPgInt4, "integer[]"},
    {1016, "_int8", -1, kPgInt8, "bigint[]"},
    {1009, "_text", -1, kPgText, "text[]"},
    {1021, "_float4", -1, kPgFloat4, "real[]"},
    {1022, "_float8", -1, kPgFloat8, "double precision[]"},
    {1231, "_numeric", -1, kPgNumeric, "numeric[]"},
};
// Postgres's "default" collation, which text types have.
constexpr int32_t kDefaultCollationOid = 100;

int32_t CollationOf(int32_t type_oid) {
  return type_oid == kPgText || type_oid == kPgVarchar || type_oid == 1009 ? kDefaultCollationOid : 0;
}

std::vector<Row> Namespaces() {
  std::vector<Row> rows = {{Int(kPgCatalogOid), SqlString(kPgCatalog), Int(kOwnerOid), kNull},
                           {Int(kInformationSchemaOid), SqlString(kInformationSchema), Int(kOwnerOid), kNull}};
  for (std::string_view zone : kQueryableZones) {
    rows.push_back({Int(CatalogOid(zone)), SqlString(zone), Int(kOwnerOid), kNull});
  }
  return rows;
}

std::string InformationSchemaView(std::string_view view, const std::vector<CatalogTable>& tables) {
  std::vector<Row> rows;
  if (view == "tables") {
    for (const CatalogTable& t : tables) {
      rows.push_back({kDatabase, SqlString(t.zone), SqlString(t.table), SqlString("BASE TABLE")});
    }
    return Values(rows, {{{"table_catalog", "VARCHAR"},
                          {"table_schema", "VARCHAR"},
                          {"table_name", "VARCHAR"},
                          {"table_type", "VARCHAR"}}});
  }
  if (view == "schemata") {
    for (std::string_view zone : kQueryableZones) rows.push_back({kDatabase, SqlString(zone), kOwner});
    return Values(rows, {{{"catalog_name", "VARCHAR"}, {"schema_name", "VARCHAR"}, {"schema_owner", "VARCHAR"}}});
  }
  for (const CatalogTable& t : tables) {
    for (size_t i = 0; i < t.columns.size(); ++i) {
      rows.push_back({kDatabase, SqlString(t.zone), SqlString(t.table), SqlString(t.columns[i].name),
                      Int(static_cast<int64_t>(i + 1)), SqlString(t.columns[i].type), SqlString("YES")});
    }
  }
  return Values(rows, {{{"table_catalog", "VARCHAR"},
                        {"table_schema", "VARCHAR"},
                        {"table_name", "VARCHAR"},
                        {"column_name", "VARCHAR"},
                        {"ordinal_position", "INTEGER"},
                        {"data_type", "VARCHAR"},
                        {"is_nullable", "VARCHAR"}}});
}

ViewShape EmptyViewShape(std::string_view view);
std::string ConstantView(std::string_view view);

std::string PgCatalogView(std::string_view view, const std::vector<CatalogTable>& tables) {
  std::vector<Row> rows;
  auto table_oid = [](const CatalogTable& t) { return Int(CatalogOid(t.zone + "." + t.table)); };
  if (view == "pg_namespace") {
    return Values(Namespaces(),
                  {{{"oid", "INTEGER"}, {"nspname", "VARCHAR"}, {"nspowner", "INTEGER"}, {"nspacl", "VARCHAR[]"}}});
  }
  if (view == "pg_class") {
    for (const CatalogTable& t : tables) {
      rows.push_back({table_oid(t), SqlString(t.table), Int(CatalogOid(t.zone)), Int(kOwnerOid), Int(kHeapAmOid),
                      SqlString("r"), SqlString("p"), Int(static_cast<int64_t>(t.columns.size())), "-1",
                      Bool(false), Bool(false), Bool(false), Bool(false), Bool(false), Bool(false), "0", "0", "0",
                      "0", SqlString("d"), kNull, kNull, "0", kNull});
    }
    return Values(rows, {{{"oid", "INTEGER"},
                          {"relname", "VARCHAR"},
                          {"relnamespace", "INTEGER"},
                          {"relowner", "INTEGER"},
                          {"relam", "INTEGER"},
                          {"relkind", "VARCHAR"},
                          {"relpersistence", "VARCHAR"},
                          {"relnatts", "INTEGER"},
                          {"reltuples", "REAL"},
                          {"relhasindex", "BOOLEAN"},
                          {"relhasrules", "BOOLEAN"},
                          {"relhastriggers", "BOOLEAN"},
                          {"relrowsecurity", "BOOLEAN"},
                          {"relforcerowsecurity", "BOOLEAN"},
                          {"relispartition", "BOOLEAN"},
                          {"reltype", "INTEGER"},
                          {"reloftype", "INTEGER"},
                          {"reltablespace", "INTEGER"},
                          {"reltoastrelid", "INTEGER"},
                          {"relreplident", "VARCHAR"},
                          {"reloptions", "VARCHAR[]"},
                          {"relacl", "VARCHAR[]"},
                          {"relchecks", "SMALLINT"},
                          {"relpartbound", "VARCHAR"}}});
  }
  if (view == "pg_attribute") {
    for (const CatalogTable& t : tables) {
      for (size_t i = 0; i < t.columns.size(); ++i) {
        const PgType type = PgTypeOf(t.columns[i].type);
        // Lake columns are all nullable and have no defaults.
        rows.push_back({table_oid(t), SqlString(t.columns[i].name), Int(type.oid), Int(type.length),
                        Int(static_cast<int64_t>(i + 1)), "-1", Bool(false), Bool(false), Bool(false),
                        SqlString(""), SqlString(""), Bool(true), Int(CollationOf(type.oid)),
                        SqlString(type.length == -1 ? "x" : "p"), "-1", SqlString("")});
      }
    }
    return Values(rows, {{{"attrelid", "INTEGER"},
                          {"attname", "VARCHAR"},
                          {"atttypid", "INTEGER"},
                          {"attlen", "SMALLINT"},
                          {"attnum", "SMALLINT"},
                          {"atttypmod", "INTEGER"},
                          {"attnotnull", "BOOLEAN"},
                          {"atthasdef", "BOOLEAN"},
                          {"attisdropped", "BOOLEAN"},
                          {"attidentity", "VARCHAR"},
                          {"attgenerated", "VARCHAR"},
                          {"attislocal", "BOOLEAN"},
                          {"attcollation", "INTEGER"},
                          {"attstorage", "VARCHAR"},
                          {"attstattarget", "SMALLINT"},
                          {"attcompression", "VARCHAR"}}});
  }
  if (view == "pg_type") {
    auto array_of = [](int32_t element) {
      for (const PgTypeRow& t : kPgTypes) {
        if (t.element == element) return t.oid;
      }
      return 0;
    };
    for (const PgTypeRow& t : kPgTypes) {
      rows.push_back({Int(t.oid), SqlString(t.name), Int(kPgCatalogOid), Int(kOwnerOid), Int(t.length),
                      SqlString("b"), SqlString(t.element != 0 ? "A" : "U"), Int(t.element),
                      Int(t.element != 0 ? 0 : array_of(t.oid)), "0", "-1", "0", Bool(false),
                      Int(CollationOf(t.oid))});
    }
    return Values(rows, {{{"oid", "INTEGER"},
                          {"typname", "VARCHAR"},
                          {"typnamespace", "INTEGER"},
                          {"typowner", "INTEGER"},
                          {"typlen", "SMALLINT"},
                          {"typtype", "VARCHAR"},
                          {"typcategory", "VARCHAR"},
                          {"typelem", "INTEGER"},
                          {"typarray", "INTEGER"},
                          {"typrelid", "INTEGER"},
                          {"typtypmod", "INTEGER"},
                          {"typbasetype", "INTEGER"},
                          {"typnotnull", "BOOLEAN"},
                          {"typcollation", "INTEGER"}}});
  }
  if (view == "pg_tables") {
    for (const CatalogTable& t : tables) {
      rows.push_back({SqlString(t.zone), SqlString(t.table), kOwner, kNull, Bool(false), Bool(false), Bool(false),
                      Bool(false)});
    }
    return Values(rows, {{{"schemaname", "VARCHAR"},
                          {"tablename", "VARCHAR"},
                          {"tableowner", "VARCHAR"},
                          {"tablespace", "VARCHAR"},
                          {"hasindexes", "BOOLEAN"},
                          {"hasrules", "BOOLEAN"},
                          {"hastriggers", "BOOLEAN"},
                          {"rowsecurity", "BOOLEAN"}}});
  }
  return ConstantView(view);
}

// The views that list the same rows whoever asks.
std::string ConstantView(std::string_view view) {
  std::vector<Row> rows;
  if (view == "pg_am") {
    rows.push_back({Int(kHeapAmOid), SqlString("heap"), SqlString("t")});
    return Values(rows, {{{"oid", "INTEGER"}, {"amname", "VARCHAR"}, {"amtype", "VARCHAR"}}});
  }
  if (view == "pg_database") {
    rows.push_back({Int(kDatabaseOid), kDatabase, Int(kOwnerOid), "6", SqlString("C"), SqlString("C"),
                    Bool(false), Bool(true), "-1", kNull});
    return Values(rows, {{{"oid", "INTEGER"},
                          {"datname", "VARCHAR"},
                          {"datdba", "INTEGER"},
                          {"encoding", "INTEGER"},
                          {"datcollate", "VARCHAR"},
                          {"datctype", "VARCHAR"},
                          {"datistemplate", "BOOLEAN"},
                          {"datallowconn", "BOOLEAN"},
                          {"datconnlimit", "INTEGER"},
                          {"datacl", "VARCHAR[]"}}});
  }
  if (view == "pg_collation") {
    rows.push_back({Int(kDefaultCollationOid), SqlString("default"), Int(kPgCatalogOid), Int(kOwnerOid),
                    SqlString("d"), Bool(true), "-1", kNull, kNull});
    return Values(rows, {{{"oid", "INTEGER"},
                          {"collname", "VARCHAR"},
                          {"collnamespace", "INTEGER"},
                          {"collowner", "INTEGER"},
                          {"collprovider", "VARCHAR"},
                          {"collisdeterministic", "BOOLEAN"},
                          {"collencoding", "INTEGER"},
                          {"collcollate", "VARCHAR"},
                          {"collctype", "VARCHAR"}}});
  }
  if (view == "pg_roles") {
    rows.push_back({Int(kOwnerOid), kOwner, Bool(false), Bool(true), Bool(false), Bool(false), Bool(true),
                    Bool(false), "-1", Bool(false)});
    return Values(rows, {{{"oid", "INTEGER"},
                          {"rolname", "VARCHAR"},
                          {"rolsuper", "BOOLEAN"},
                          {"rolinherit", "BOOLEAN"},
                          {"rolcreaterole", "BOOLEAN"},
                          {"rolcreatedb", "BOOLEAN"},
                          {"rolcanlogin", "BOOLEAN"},
                          {"rolreplication", "BOOLEAN"},
                          {"rolconnlimit", "INTEGER"},
                          {"rolbypassrls", "BOOLEAN"}}});
  }
  return Values(rows, EmptyViewShape(view));
}

// What the lake has none of: comments, defaults, policies in the Postgres
// sense, extended statistics, publications, inheritance.
ViewShape EmptyViewShape(std::string_view view) {
  if (view == "pg_attrdef") return {{{"oid", "INTEGER"}, {"adrelid", "INTEGER"}, {"adnum", "SMALLINT"}, {"adbin", "VARCHAR"}}};
  if (view == "pg_policy") {
    return {{{"oid", "INTEGER"}, {"polname", "VARCHAR"}, {"polrelid", "INTEGER"}, {"polcmd", "VARCHAR"},
             {"polpermissive", "BOOLEAN"}, {"polroles", "INTEGER[]"}, {"polqual", "VARCHAR"},
             {"polwithcheck", "VARCHAR"}}};
  }
  if (view == "pg_statistic_ext") {
    return {{{"oid", "INTEGER"}, {"stxrelid", "INTEGER"}, {"stxname", "VARCHAR"}, {"stxnamespace", "INTEGER"},
             {"stxowner", "INTEGER"}, {"stxstattarget", "INTEGER"}, {"stxkeys", "SMALLINT[]"},
             {"stxkind", "VARCHAR[]"}}};
  }
  if (view == "pg_publication") {
    return {{{"oid", "INTEGER"}, {"pubname", "VARCHAR"}, {"pubowner", "INTEGER"}, {"puballtables", "BOOLEAN"},
             {"pubinsert", "BOOLEAN"}, {"pubupdate", "BOOLEAN"}, {"pubdelete", "BOOLEAN"},
             {"pubtruncate", "BOOLEAN"}, {"pubviaroot", "BOOLEAN"}}};
  }
  if (view == "pg_publication_rel") {
    return {{{"oid", "INTEGER"}, {"prpubid", "INTEGER"}, {"prrelid", "INTEGER"}, {"prqual", "VARCHAR"},
             {"prattrs", "SMALLINT[]"}}};
  }
  if (view == "pg_publication_namespace") return {{{"oid", "INTEGER"}, {"pnpubid", "INTEGER"}, {"pnnspid", "INTEGER"}}};
  if (view == "pg_inherits") {
    return {{{"inhrelid", "INTEGER"}, {"inhparent", "INTEGER"}, {"inhseqno", "INTEGER"},
             {"inhdetachpending", "BOOLEAN"}}};
  }
  // pg_description
  return {{{"objoid", "INTEGER"}, {"classoid", "INTEGER"}, {"objsubid", "INTEGER"}, {"description", "VARCHAR"}}};
}

constexpr std::string_view kInformationSchemaViews[] = {"tables", "columns", "schemata"};
constexpr std::string_view kPgCatalogViews[] = {
    "pg_namespace", "pg_class",      "pg_attribute",     "pg_type",        "pg_am",
    "pg_database",  "pg_tables",     "pg_description",   "pg_collation",   "pg_roles",
    "pg_attrdef",   "pg_policy",     "pg_statistic_ext", "pg_publication", "pg_publication_rel",
    "pg_publication_namespace",      "pg_inherits"};

}  // namespace

bool IsCatalogView(std::string_view schema, std::string_view view) {
  if (schema == kInformationSchema) {
    return std::find(std::begin(kInformationSchemaViews), std::end(kInformationSchemaViews), view) !=
           std::end(kInformationSchemaViews);
  }
  if (schema == kPgCatalog) {
    return std::find(std::begin(kPgCatalogViews), std::end(kPgCatalogViews), view) != std::end(kPgCatalogViews);
  }
  return false;
}

bool IsCatalogTable(std::string_view qualified_name) {
  const size_t dot = qualified_name.find('.');
  return dot != std::string_view::npos &&
         IsCatalogView(qualified_name.substr(0, dot), qualified_name.substr(dot + 1));
}

std::string CatalogViewSelect(std::string_view schema, std::string_view view,
                              const std::vector<CatalogTable>& tables) {
  return schema == kPgCatalog ? PgCatalogView(view, tables) : InformationSchemaView(view, tables);
}

std::vector<std::pair<int32_t, std::string>> PgTypeNames() {
  std::vector<std::pair<int32_t, std::string>> names;
  for (const PgTypeRow& t : kPgTypes) names.emplace_back(t.oid, t.formatted);
  return names;
}

int32_t CatalogOid(std::string_view name) {
  // FNV-1a, above the OIDs Postgres reserves for its own objects (< 16384).
  uint32_t hash = 2'166'136'261u;
  for (char c : name) hash = (hash ^ static_cast<uint8_t>(c)) * 16'777'619u;
  return static_cast<int32_t>(16'384 + hash % 2'000'000'000u);
}

}  // namespace eventlake::query
