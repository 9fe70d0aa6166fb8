// The pending rows of a table (lake/pending_rows.h) as a temporary table on
// a query's connection, so that its view shows what is acknowledged but not
// committed yet. Its columns are the table's, grown as the writer will grow
// them for these rows (new members become columns, numbers widen); a row
// the table will refuse (a string in a numeric column, say) is left out, as
// the loader dead-letters it.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "engine/database.h"
#include "lake/lake.h"

namespace eventlake::query {

struct PendingTable {
  std::string select;  // reads the table with the view's column types; "" when no row is pending
  std::string columns;  // its columns, quoted, in the order the writer will commit them
  uint64_t rows = 0;
  bool truncated = false;  // more were pending than max_rows
};

// Creates the temporary table `name` on `connection` and fills it; when no
// row is pending, creates nothing (the snapshot's files are all there is).
Result<PendingTable> LoadPendingTable(engine::Connection& connection, const lake::Lake& lake,
                                      const std::string& table,
                                      const lake::TableSnapshot& snapshot, const std::string& name,
                                      uint64_t max_rows);

}  // namespace eventlake::query
