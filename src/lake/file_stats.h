// The `stats` of a Delta add action (docs/formats/table.md, "add"):
// numRecords, and per column minValues, maxValues and nullCount, computed by
// one DuckDB query over the rows that go into the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engine/database.h"
#include "lake/table_schema.h"

namespace eventlake::lake {

// `relation` is what follows FROM: a table name or a parenthesised query
// whose columns include `columns`. Returns the stats JSON text.
Result<std::string> ComputeFileStats(engine::Connection& connection, std::string_view relation,
                                     const std::vector<Column>& columns, uint64_t rows);

// The stats of a file that holds exactly the rows of files with `inputs`
// stats (compaction), merged without reading a row: counts add up, minima
// and maxima combine, a column a file lacked counts its rows as nulls.
// nullopt when an input has no usable stats (the caller then computes them).
std::optional<std::string> MergeFileStats(const std::vector<std::string>& inputs,
                                          const std::vector<Column>& columns);

}  // namespace eventlake::lake
