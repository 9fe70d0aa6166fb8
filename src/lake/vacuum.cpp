// VacuumTable: what the log still needs, against what the directory holds.
#include "lake/vacuum.h"

#include <map>
#include <set>

#include "lake/delta_log.h"
#include "lake/table_writer.h"

namespace eventlake::lake {

Result<VacuumResult> VacuumTable(ObjectStore* store, engine::Database* db, std::string_view table,
                                 const VacuumOptions& options, Clock* clock) {
  EL_ASSIGN_OR_RETURN(std::string prefix, TablePrefix(table));
  DeltaLog log(store, prefix, db);
  EL_ASSIGN_OR_RETURN(auto latest, log.Load());
  if (!latest->exists()) return Err(NotFound("no table named " + std::string(table)));
  const int64_t now_ms = clock->NowMicros() / 1000;
  const int64_t cutoff = now_ms - options.retention.count();

  // Needed: what the latest version references (from the snapshot, so that
  // commits older than a checkpoint are not required), and what any commit
  // still in the log removed after the cutoff.
  std::set<std::string> live;
  for (const auto& [path, add] : latest->files) live.insert(path);
  std::map<std::string, int64_t> removed_at;
  EL_ASSIGN_OR_RETURN(std::vector<int64_t> versions, log.Versions());
  for (int64_t v : versions) {
    EL_ASSIGN_OR_RETURN(std::string text, store->Get(CommitKey(prefix, v)));
    EL_ASSIGN_OR_RETURN(DeltaCommit commit, ParseCommit(text));
    for (const RemoveAction& r : commit.removes) {
      removed_at[r.path] = std::max(removed_at[r.path], r.deletion_timestamp);
    }
  }
  EL_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, store->List(prefix + "/"));
  VacuumResult result;
  for (const ObjectInfo& object : objects) {
    const std::string path = object.key.substr(prefix.size() + 1);
    if (path.starts_with("_delta_log/") || path.starts_with("_") || !path.ends_with(".parquet")) {
      continue;
    }
    if (live.contains(path)) continue;
    if (auto it = removed_at.find(path); it != removed_at.end() && it->second >= cutoff) continue;
    if (object.modified_millis >= cutoff) continue;  // maybe about to be committed
    if (!options.dry_run) EL_RETURN_IF_ERROR(store->Delete(object.key));
    result.deleted.push_back(path);
    result.bytes += object.size;
  }
  if (options.dry_run || result.deleted.empty()) return result;
  DeltaCommit record;
  record.info = CommitInfoAction{
      .timestamp = now_ms,
      .operation = "VACUUM END",
      .parameters = {{"status", "COMPLETED"},
                     {"numDeletedFiles", std::to_string(result.deleted.size())},
                     {"retentionMillis", std::to_string(options.retention.count())}}};
  EL_ASSIGN_OR_RETURN(auto now_latest, log.Refresh(latest));
  EL_ASSIGN_OR_RETURN(auto committed, log.Commit(now_latest, std::move(record)));
  result.version = committed->version;
  return result;
}

}  // namespace eventlake::lake
