// The columns of a lake table, their types in Delta, Parquet and DuckDB
// terms (docs/formats/table.md, "Schema"), and the rules of schema
// evolution: new nullable columns and integer -> long -> double widening.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace eventlake::lake {

enum class ColumnType { kString, kLong, kDouble, kBoolean, kTimestamp, kDate, kInteger };

struct Column {
  std::string name;
  ColumnType type = ColumnType::kString;
  friend bool operator==(const Column&, const Column&) = default;
};

// Every column of a table, partition columns included (Delta lists them all).
struct TableSchema {
  std::vector<Column> columns;
  std::vector<std::string> partition_columns;  // in partition order

  // The column named `name` (ASCII case-insensitive), or nullptr.
  const Column* Find(std::string_view name) const;
  Column* Find(std::string_view name);
  bool IsPartitionColumn(std::string_view name) const;
  // The columns stored in data files: all but the partition columns, in order.
  std::vector<Column> DataColumns() const;

  friend bool operator==(const TableSchema&, const TableSchema&) = default;
};

std::string_view DeltaTypeName(ColumnType type);   // "string", "long", ...
std::string_view DuckDbTypeName(ColumnType type);  // "VARCHAR", "BIGINT", ...
std::string_view ColumnTypeName(ColumnType type);  // eventlake's: "string", "long", ...
Result<ColumnType> ParseDeltaType(std::string_view name);

// The type a column of type `have` must become to also hold a value of type
// `incoming`: `have` itself when it already can, the wider numeric type
// (integer -> long -> double), or nullopt when no evolution allows it.
std::optional<ColumnType> WidenFor(ColumnType have, ColumnType incoming);

// Column names compare without regard to ASCII case.
bool ColumnNamesEqual(std::string_view a, std::string_view b);
// `name` with ASCII letters lower-cased: the key of a column name.
std::string ColumnKey(std::string_view name);

// Column names: [A-Za-z_][A-Za-z0-9_]*, at most 128 bytes.
Status ValidateColumnName(std::string_view name);
// `name` made valid: other bytes become '_', a leading digit gets a '_'
// before it, the empty name is "_", cut to 128 bytes.
std::string SanitizeColumnName(std::string_view name);

// Delta's schemaString: {"type":"struct","fields":[...]}.
std::string ToDeltaSchemaString(const TableSchema& schema);
// The columns of a schemaString (partition columns come from metaData).
Result<std::vector<Column>> ParseDeltaSchemaString(std::string_view text);

}  // namespace eventlake::lake
