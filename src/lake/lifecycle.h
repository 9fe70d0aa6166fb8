// Lifecycle: archiving and expiry of old data (docs/lake.md, "Lifecycle").
//
// Expiry: a table's files whose every row is older than expire_after are
// taken out of the table in one commit (operation DELETE): queries and
// readers no longer see them, time travel to older versions still does until
// vacuum deletes the files after the retention.
//
// Archiving: files whose every row is older than archive_after move to an
// archive table (archive.<table>, its own Delta table under archive/, so any
// Delta reader still reads them): copied there, added there in one commit
// (idempotent by path: a rerun after a crash adds nothing twice), then
// removed here in one commit (operation ARCHIVE). Between the two commits
// the rows are in both tables; if the removal loses a race (a compaction
// removed one of the files first), the archive's adds are removed again.
//
// A file's age: the end of its `dt` partition's day when the table is
// partitioned by day(time), else the maximum of its `time` column from its
// stats; a file with neither never expires.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "engine/database.h"
#include "lake/object_store.h"

namespace eventlake::lake {

struct ExpireResult {
  int64_t version = -1;  // the DELETE commit; -1 when nothing expired
  size_t files = 0;
  uint64_t rows = 0;
};

struct ArchiveResult {
  int64_t version = -1;          // the ARCHIVE commit here; -1 when nothing moved
  int64_t archive_version = -1;  // the archive table's commit holding the files
  size_t files = 0;
  uint64_t rows = 0;
  uint64_t bytes = 0;
};

// The archive table of `table` when `archive_to` is empty: archive.<name
// without its zone>.
std::string DefaultArchiveTable(std::string_view table);

Result<ArchiveResult> ArchiveTable(ObjectStore* store, engine::Database* db, std::string_view table,
                                   std::string_view archive_table,
                                   std::chrono::milliseconds archive_after, Clock* clock);

Result<ExpireResult> ExpireTable(ObjectStore* store, engine::Database* db, std::string_view table,
                                 std::chrono::milliseconds expire_after, Clock* clock);

}  // namespace eventlake::lake
