// The SELECT behind a table's temporary view: the files of one Delta
// snapshot read by DuckDB's read_parquet, typed as the table's schema says.
//
//   - Columns come in the table's order with its types (CAST), so files
//     written before the schema evolved read as the table reads now;
//     columns that no file holds yet read as NULL.
//   - Partition columns come from the Hive directories (the files do not
//     hold them), typed, with __HIVE_DEFAULT_PARTITION__ as NULL; DuckDB
//     prunes files by filters on them ("File Filters" in EXPLAIN).
//   - Parquet statistics (row-group min/max) are DuckDB's to use.
//   - When every file has the same columns (asked once, when the view is
//     built), DuckDB reads them without union_by_name, which would read
//     each file's schema at every bind.
//
// A snapshot without files gives an empty relation of the same columns.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "engine/database.h"
#include "lake/delta_log.h"

namespace eventlake::query {

struct TableViewSource {
  std::string select;              // SELECT ... FROM read_parquet([...]) ...
  std::vector<std::string> files;  // the local paths it reads
  uint64_t bytes = 0;              // their size
};

// `table_dir` is the local directory of the table (`<lake>/curated/events`).
// `connection` is used to learn which columns the files hold.
Result<TableViewSource> TableViewSelect(engine::Connection& connection,
                                        const lake::TableSnapshot& snapshot,
                                        const std::string& table_dir);

// A partition column as the view selects it from its text (the Hive
// directory's value, or Delta's partitionValues): typed as the schema says,
// a value that does not cast NULL; `hive_nulls`: Hive's
// __HIVE_DEFAULT_PARTITION__ read as NULL too.
std::string PartitionColumnSelect(const lake::Column& column, bool hive_nulls);

// The pending rows' temporary table (pending_table.h) for `schema`: its
// CREATE statement (data columns typed, partition columns as text) and the
// SELECT that reads it with the same columns and types as TableViewSelect.
std::string PendingTableDdl(const lake::TableSchema& schema, const std::string& name);
std::string PendingSelect(const lake::TableSchema& schema, const std::string& name);

}  // namespace eventlake::query
