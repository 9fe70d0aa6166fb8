// TableViewSelect: the typed read_parquet over a snapshot's files.
#include "query/table_view.h"

#include <set>

#include "lake/partition_path.h"
#include "lake/table_schema.h"

namespace eventlake::query {
using engine::SqlIdentifier;
using engine::SqlString;

std::string PartitionColumnSelect(const lake::Column& column, bool hive_nulls) {
  const std::string name = SqlIdentifier(column.name);
  const std::string raw = hive_nulls ? "NULLIF(" + name + ", " + SqlString(lake::kHiveNullPartition) + ")" : name;
  if (column.type == lake::ColumnType::kString) return raw + " AS " + name;
  return "TRY_CAST(" + raw + " AS " + std::string(lake::DuckDbTypeName(column.type)) + ") AS " + name;
}

Result<TableViewSource> TableViewSelect(engine::Connection& connection,
                                        const lake::TableSnapshot& snapshot,
                                        const std::string& table_dir) {
  const lake::TableSchema& schema = snapshot.schema;
  TableViewSource source;
  std::string list;
  for (const auto& [path, add] : snapshot.files) {
    source.files.push_back(table_dir + "/" + path);
    source.bytes += static_cast<uint64_t>(add.size);
    list += (list.empty() ? "" : ", ") + SqlString(source.files.back());
  }
  if (source.files.empty()) {
    std::string select;
    for (const lake::Column& c : schema.columns) {
      select += (select.empty() ? "" : ", ") + std::string("NULL::") +
                std::string(lake::DuckDbTypeName(c.type)) + " AS " + SqlIdentifier(c.name);
    }
    source.select = "SELECT " + select + " WHERE false";
    return source;
  }
  std::string hive_types;
  for (const std::string& p : schema.partition_columns) {
    hive_types += (hive_types.empty() ? "" : ", ") + SqlString(p) + ": VARCHAR";
  }
  // Files written before a schema change lack its new columns: then
  // DuckDB must read every file's schema at each bind (union_by_name). When
  // all have the same columns, which this asks once per version (the view
  // is cached), it need not.
  EL_ASSIGN_OR_RETURN(engine::QueryResult shapes,
                      connection.Query("SELECT count(DISTINCT shape) FROM (SELECT file_name, "
                                       "string_agg(name || ':' || coalesce(type, ''), ',' ORDER BY name) AS shape "
                                       "FROM parquet_schema([" + list + "]) GROUP BY file_name)"));
  const bool one_shape = shapes.Int64(0, 0).value_or(0) == 1;
  const std::string from =
      "read_parquet([" + list + "], union_by_name = " + (one_shape ? "false" : "true") +
      (hive_types.empty() ? std::string(", hive_partitioning = false")
                          : ", hive_partitioning = true, hive_types_autocast = false, hive_types = {" +
                                hive_types + "}") +
      ")";
  EL_ASSIGN_OR_RETURN(engine::QueryResult described, connection.Query("DESCRIBE SELECT * FROM " + from));
  std::set<std::string> present;
  for (size_t r = 0; r < described.rows(); ++r) {
    present.insert(lake::ColumnKey(described.String(0, r).value_or("")));
  }
  std::string select;
  for (const lake::Column& c : schema.columns) {
    if (!select.empty()) select += ", ";
    const std::string name = SqlIdentifier(c.name);
    const std::string type(lake::DuckDbTypeName(c.type));
    if (schema.IsPartitionColumn(c.name)) {
      select += PartitionColumnSelect(c, /*hive_nulls=*/true);
    } else if (present.contains(lake::ColumnKey(c.name))) {
      select += "CAST(" + name + " AS " + type + ") AS " + name;
    } else {
      select += "NULL::" + type + " AS " + name;
    }
  }
  source.select = "SELECT " + select + " FROM " + from;
  return source;
}

std::string PendingTableDdl(const lake::TableSchema& schema, const std::string& name) {
  std::string columns;
  for (const lake::Column& c : schema.columns) {
    columns += (columns.empty() ? "" : ", ") + SqlIdentifier(c.name) + " " +
               (schema.IsPartitionColumn(c.name) ? std::string("VARCHAR")
                                                 : std::string(lake::DuckDbTypeName(c.type)));
  }
  return "CREATE TEMP TABLE " + SqlIdentifier(name) + " (" + columns + ")";
}

std::string PendingSelect(const lake::TableSchema& schema, const std::string& name) {
  std::string select;
  for (const lake::Column& c : schema.columns) {
    if (!select.empty()) select += ", ";
    select += schema.IsPartitionColumn(c.name) ? PartitionColumnSelect(c, /*hive_nulls=*/true) : SqlIdentifier(c.name);
  }
  return "SELECT " + select + " FROM " + SqlIdentifier(name);
}

}  // namespace eventlake::query
