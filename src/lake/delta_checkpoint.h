// Delta classic checkpoints (docs/formats/table.md, "Checkpoints"): the
// state of a table at version N as one Parquet file,
// _delta_log/<N>.checkpoint.parquet, one row per action (protocol,
// metaData, txn, add) with one struct column per action type, and
// _delta_log/_last_checkpoint = {"version":N,"size":<rows>}. Readers (ours,
// delta-rs, Spark) start from the newest checkpoint instead of replaying
// every commit.
//
// Both directions go through DuckDB: the snapshot's actions are written as
// JSON lines (SerializeCommit) and converted by read_json with the
// checkpoint's column types; reading turns each row back into a JSON action.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/status.h"
#include "engine/database.h"
#include "lake/delta_actions.h"
#include "lake/delta_log.h"
#include "lake/object_store.h"

namespace eventlake::lake {

std::string CheckpointKey(std::string_view table_prefix, int64_t version);
std::string LastCheckpointKey(std::string_view table_prefix);

// Writes the checkpoint of `snapshot` and points _last_checkpoint at it
// (unless it points at a newer one already).
Status WriteCheckpoint(ObjectStore* store, engine::Connection* connection,
                       std::string_view table_prefix, const TableSnapshot& snapshot);

// The version _last_checkpoint names, or nullopt when there is none (or it
// is unreadable: readers then replay the commits).
std::optional<int64_t> LastCheckpointVersion(const ObjectStore& store,
                                             std::string_view table_prefix);

// The actions of checkpoint `version`, as one commit to apply to an empty
// snapshot.
Result<DeltaCommit> ReadCheckpoint(const ObjectStore& store, engine::Connection* connection,
                                   std::string_view table_prefix, int64_t version);

}  // namespace eventlake::lake
