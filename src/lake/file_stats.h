// The `stats` of a Delta add action (docs/formats/table.md, "add"):
// numRecords, and per column minValues, maxValues and nullCount, computed by
// one DuckDB query over the rows that go into the file.
#pragma once

#include <cstdint>
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

}  // namespace eventlake::lake
