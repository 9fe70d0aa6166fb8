// Compaction: small files of a partition merged into files near the target
// size, committed as remove + add (dataChange false) in one OPTIMIZE commit,
// so a reader sees the old files or the new ones, never both and never a
// gap. Rewritten files are read with the current schema (missing columns
// null, narrower numbers widened); concatenated ones keep the schema they
// were written with, as the files they replace had it.
//
// A file is small when it is under half of target_file_bytes. A partition is
// compacted when it has at least min_files small files; its small files are
// packed, oldest first, into groups of at most target_file_bytes, and each
// group of two or more files becomes one file: the files' row groups
// concatenated as they are when their Parquet schemas agree (no row is
// decoded: parquet_concat.h), their rows rewritten through DuckDB when they
// do not (a schema change came between them). A concurrent loader's
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
  // A group is rewritten rather than concatenated when one of its files
  // has row groups of fewer rows than this on average (ConcatenateOptions).
  // A GROUP BY over a concatenated file of 10,000-row groups took 1.22
  // times as long as over 122,880-row groups, 1.13 times with 20,000 to
  // 40,000 (bench_lake_write, docs/benchmarks.md). Tables busy enough for the
  // rewrite's ~1M rows/s per core to matter flush larger files than this.
  uint64_t concatenate_min_rows_per_row_group = 32768;
};

struct CompactionResult {
  int64_t version = -1;  // the OPTIMIZE commit; -1 when nothing needed compacting
  size_t partitions = 0;
  size_t files_removed = 0;
  size_t files_added = 0;
  uint64_t rows = 0;
  uint64_t bytes_removed = 0;
  uint64_t bytes_added = 0;
  size_t files_concatenated = 0;  // of files_added: written by concatenation
  size_t files_rewritten = 0;     // of files_added: written by a rewrite through DuckDB
};

// `db` runs the rewrite (on a connection of its own) and reads checkpoints.
Result<CompactionResult> CompactTable(ObjectStore* store, engine::Database* db,
                                      std::string_view table, const CompactionOptions& options,
                                      Clock* clock);

}  // namespace eventlake::lake
