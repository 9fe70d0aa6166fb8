// DeltaLog: a table's transaction log in an ObjectStore — snapshots by
// replaying commits, and optimistic commits by put-if-absent
// (docs/formats/table.md, "Commits" and "Reading a version").
//
// Committing: Commit(base, c) writes version base.version + 1. When another
// writer created that version first, its commit is read and checked against
// c; if they do not conflict, c is retried as the next version, and so on.
// They conflict when the other commit
//   - changes the protocol, or the metadata while c changes it too;
//   - carries a txn with an appId that c carries (another process is loading
//     the same log partitions: committing would duplicate rows);
//   - removes a file that c removes (a compaction raced another).
// A conflict is returned as kConflict and nothing is written; the caller
// reloads and redoes its work (or gives it up). Versions stay contiguous and
// no commit is ever overwritten.
//
// Snapshots are immutable and shared (shared_ptr<const>): a reader keeps
// one while commits land. Threads: DeltaLog is thread-safe (it holds no
// mutable state); the store must outlive it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "engine/database.h"
#include "lake/delta_actions.h"
#include "lake/object_store.h"
#include "lake/table_schema.h"

namespace eventlake::lake {

struct TableSnapshot {
  int64_t version = -1;  // -1: the table does not exist yet
  ProtocolAction protocol;
  MetadataAction metadata;
  TableSchema schema;
  std::map<std::string, AddAction> files;  // live files by (decoded) path
  std::map<std::string, int64_t> txns;     // appId -> latest txn version
  int64_t timestamp = 0;                   // ms, of the newest commit

  bool exists() const { return version >= 0; }
  // The sum of numRecords over the live files (files without stats count 0).
  uint64_t RowCount() const;
  uint64_t SizeBytes() const;
};

// A file's numRecords from its stats (0 without them).
uint64_t NumRecords(const AddAction& add);

struct CommitSummary {
  int64_t version = 0;
  CommitInfoAction info;
  size_t adds = 0;
  size_t removes = 0;
};

class DeltaLog {
 public:
  // `table_prefix` is the table's key prefix in `store`, e.g. "curated/events".
  // With `checkpoints` (a DuckDB to read them with), Load starts from the
  // newest checkpoint when it can (delta_checkpoint.h); without, it replays
  // every commit.
  DeltaLog(ObjectStore* store, std::string table_prefix, engine::Database* checkpoints = nullptr);

  const std::string& table_prefix() const { return prefix_; }

  // The versions present, ascending (empty when the table does not exist).
  Result<std::vector<int64_t>> Versions() const;
  // The snapshot at `version` (latest when nullopt); NotFound for a version
  // that is not there. A table that does not exist gives version -1.
  Result<std::shared_ptr<const TableSnapshot>> Load(
      std::optional<int64_t> version = std::nullopt) const;
  // The latest version whose commit timestamp is <= `millis`; NotFound when
  // the table is younger.
  Result<std::shared_ptr<const TableSnapshot>> LoadAsOf(int64_t millis) const;
  // `base` with every newer commit applied.
  Result<std::shared_ptr<const TableSnapshot>> Refresh(
      std::shared_ptr<const TableSnapshot> base) const;

  // Commits `commit` on top of `base` (see the top of this file) and
  // returns the snapshot it produced. commitInfo.readVersion is filled in.
  Result<std::shared_ptr<const TableSnapshot>> Commit(std::shared_ptr<const TableSnapshot> base,
                                                      DeltaCommit commit) const;

  Result<std::vector<CommitSummary>> History() const;

 private:
  Result<DeltaCommit> ReadCommit(int64_t version) const;
  // The commit that won `version` over ours, waiting a little for it to
  // become readable.
  Result<DeltaCommit> ReadWinner(int64_t version) const;
  // The snapshot of the newest checkpoint at or before `version` (any when
  // nullopt), or nullptr when there is none to use.
  std::shared_ptr<TableSnapshot> FromCheckpoint(std::optional<int64_t> version) const;
  static Status Apply(TableSnapshot& snapshot, const DeltaCommit& commit, int64_t version);
  static Status CheckConflict(const DeltaCommit& ours, const DeltaCommit& winner,
                              int64_t winner_version);

  ObjectStore* store_;
  std::string prefix_;
  engine::Database* checkpoints_;
};

}  // namespace eventlake::lake
