// Vacuum: deletes the data files of a table that no version within the
// retention period needs (docs/formats/table.md, "remove").
//
// A file is kept when the latest version references it, or when a commit
// removed it less than `retention` ago (time travel to those versions still
// works), or when it is younger than `retention` (a flush or compaction may
// be about to commit it). Everything else under the table's directory that
// ends in .parquet is deleted: files removed long ago, and orphans that a
// crash left between writing a file and committing it. The log itself is
// never touched. Unless nothing was deleted or `dry_run`, a commitInfo-only
// commit (operation VACUUM END) records what was deleted.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "engine/database.h"
#include "lake/object_store.h"

namespace eventlake::lake {

struct VacuumOptions {
  std::chrono::milliseconds retention = std::chrono::hours(24 * 7);
  bool dry_run = false;  // report what would be deleted, delete nothing
};

struct VacuumResult {
  std::vector<std::string> deleted;  // paths relative to the table
  uint64_t bytes = 0;
  int64_t version = -1;  // the VACUUM END commit, -1 when none
};

// `db` reads checkpoints (may be null: the commits are replayed).
Result<VacuumResult> VacuumTable(ObjectStore* store, engine::Database* db, std::string_view table,
                                 const VacuumOptions& options, Clock* clock);

}  // namespace eventlake::lake
