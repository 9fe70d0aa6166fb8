// Partition pruning, as the accounting sees it: which data files of each
// table a query can read after its filters on partition columns.
//
//   1. PartitionFilters reads the guarded parse tree: for each reference to
//      a lake table's view, the conjuncts of the WHERE clause (and of inner
//      joins' ON conditions) of the SELECT whose FROM holds it that use
//      only that table's partition columns (`dt >= '2026-12-01'`,
//      `kind IN ('a', 'b')`, `hour BETWEEN 3 AND 5`, `kind IS NULL`). A
//      table named several times reads the union of what each reference
//      needs; a reference without such a conjunct (or under an outer join,
//      or behind parameters, subqueries or random()) needs every file.
//   2. FilesPassing has DuckDB evaluate that filter over the partition
//      values of the snapshot's files, typed as the table's view types them.
//
// DuckDB prunes files by the same conjuncts (its "File Filters"), so the
// files left are the ones it reads at most: the "scanned" figures of a
// query's stats. Row groups its Parquet statistics skip inside those files
// are not subtracted, and where DuckDB prunes more than this (a filter it
// pushes down through a CTE, say) the figures are an upper bound. The
// result only accounts; it never decides what a query reads.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engine/database.h"
#include "lake/delta_log.h"

namespace eventlake::query {

// View name -> that table's partition columns.
using PartitionColumnsByView = std::map<std::string, std::vector<std::string>>;

// For each view of `partition_columns` that the tree reads and whose every
// reference has a filter: that filter, a serialized DuckDB expression
// (json_serialize_sql's form) over the partition columns, unqualified.
// Views every file of which may be read are absent. Pure.
Result<std::map<std::string, std::string>> PartitionFilters(std::string_view tree,
                                                            const PartitionColumnsByView& partition_columns);

// The files of `snapshot` (their paths) whose partition values pass
// `filter` (from PartitionFilters). A filter DuckDB cannot evaluate fails.
Result<std::vector<std::string>> FilesPassing(engine::Connection& connection, const lake::TableSnapshot& snapshot,
                                              const std::string& filter);

}  // namespace eventlake::query
