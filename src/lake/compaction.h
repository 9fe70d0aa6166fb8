// Compaction: small files of a partition merged into files near the target
// size, committed as remove + add (dataChange false) in one OPTIMIZE commit,
// so a reader sees the old files or the new ones, never both and never a
// gap. Files written before a schema change are read with the current
// schema (missing columns null, narrower numbers widened).
//
// A file is small when it is under half of target_file_bytes. A partition is
// compacted when it has at least min_files small files; its small files are
// packed, oldest first, into groups of at most target_file_bytes, and each
// group of two or more files becomes one file. A concurrent loader's
// appends do not conflict with it; another compaction of the same files
// does (kConflict: nothing is committed, and the new files are orphans for
// vacuum).
//
// DuckDB reads the files where they are on a local store; other stores'
// files are downloaded into the staging directory first.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "engine/database.h"
#include "lake/object_store.h"

namespace eventlake::lake {

struct CompactionOptions {
  uint64_t target_file_bytes = 128ull << 20;
  size_t min_files = 10;
};

struct CompactionResult {
  int64_t version = -1;  // the OPTIMIZE commit; -1 when nothing needed compacting
  size_t partitions = 0;
  size_t files_removed = 0;
  size_t files_added = 0;
  uint64_t rows = 0;
  uint64_t bytes_removed = 0;
  uint64_t bytes_added = 0;
};

// `db` runs the rewrite (on a connection of its own) and reads checkpoints.
Result<CompactionResult> CompactTable(ObjectStore* store, engine::Database* db,
                                      std::string_view table, const CompactionOptions& options,
                                      Clock* clock);

}  // namespace eventlake::lake
