// How a table is partitioned: the `partition_by` expressions of its config
// (docs/formats/table.md, "Partitioning") and the partition values of a row.
//
//   day(<timestamp column>)   -> column dt   (date,    "2026-12-02")
//   hour(<timestamp column>)  -> column hour (integer, "0".."23")
//   <column>                  -> that column, as a string partition column
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "lake/partition_path.h"
#include "lake/table_row.h"
#include "lake/table_schema.h"

namespace eventlake::lake {

struct PartitionField {
  enum class Kind { kDay, kHour, kColumn };
  Kind kind = Kind::kColumn;
  std::string source;  // the row's column read: the timestamp column, or the column itself
  std::string column;  // the partition column
  ColumnType type = ColumnType::kString;
};

// Parses expressions such as {"day(time)", "hour(time)", "country"}.
// InvalidArgument for an unknown function, a bad column name, or a
// partition column given twice.
Result<std::vector<PartitionField>> ParsePartitionBy(const std::vector<std::string>& expressions);

// The partition values of a row, in field order. A day/hour field whose
// source is NULL or not a timestamp gives null; a column field gives the
// value as text (integers in decimal, booleans true/false, doubles as
// DuckDB prints them) or null.
std::vector<PartitionValue> PartitionValuesOf(std::span<const PartitionField> fields,
                                              std::span<const Cell> cells);
// The same into `out`, reusing its strings' memory (per row, in the writer).
void PartitionValuesInto(std::span<const PartitionField> fields, std::span<const Cell> cells,
                         std::vector<PartitionValue>* out);

// "YYYY-MM-DD" of the UTC day `micros` falls in.
std::string DateOfMicros(int64_t micros);
// Days since 1970-01-01 of a "YYYY-MM-DD"; nullopt when malformed.
std::optional<int32_t> DaysOfDate(std::string_view date);

}  // namespace eventlake::lake
