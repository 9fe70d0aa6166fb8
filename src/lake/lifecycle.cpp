// ExpireTable and ArchiveTable: the files entirely older than a cutoff leave
// the table (expired), or move to its archive table (archived).
#include "lake/lifecycle.h"

#include <nlohmann/json.hpp>

#include "core/cloud_event.h"
#include "core/id.h"
#include "lake/delta_checkpoint.h"
#include "lake/delta_log.h"
#include "lake/partition_spec.h"
#include "lake/table_writer.h"

namespace eventlake::lake {
namespace {

constexpr int64_t kDayMicros = 86'400'000'000;

// When the newest row of `add` happened, or nullopt when unknown.
std::optional<int64_t> NewestRowMicros(const AddAction& add) {
  for (const auto& [column, value] : add.partition_values) {
    if (column == "dt" && value.has_value()) {
      if (auto days = DaysOfDate(*value)) return (static_cast<int64_t>(*days) + 1) * kDayMicros - 1;
    }
  }
  const nlohmann::json stats = nlohmann::json::parse(add.stats, nullptr, false);
  if (stats.is_object() && stats.contains("maxValues") && stats["maxValues"].is_object() &&
      stats["maxValues"].contains("time") && stats["maxValues"]["time"].is_string()) {
    if (auto t = ParseRfc3339(stats["maxValues"]["time"].get<std::string>())) return *t;
  }
  return std::nullopt;
}

uint64_t RowsOf(const AddAction& add) {
  const nlohmann::json stats = nlohmann::json::parse(add.stats, nullptr, false);
  return stats.is_object() && stats.contains("numRecords") && stats["numRecords"].is_number()
             ? stats["numRecords"].get<uint64_t>()
             : 0;
}

int64_t CutoffMicros(Clock* clock, std::chrono::milliseconds age) {
  return clock->NowMicros() - std::chrono::duration_cast<std::chrono::microseconds>(age).count();
}

// The live files of `snapshot` whose every row is older than `cutoff`.
std::vector<const AddAction*> FilesOlderThan(const TableSnapshot& snapshot, int64_t cutoff) {
  std::vector<const AddAction*> old;
  for (const auto& [path, add] : snapshot.files) {
    const std::optional<int64_t> newest = NewestRowMicros(add);
    if (newest.has_value() && *newest < cutoff) old.push_back(&add);
  }
  return old;
}

RemoveAction RemovalOf(const AddAction& add, int64_t now_ms) {
  return {.path = add.path,
          .deletion_timestamp = now_ms,
          .data_change = true,
          .partition_values = add.partition_values,
          .size = add.size};
}

// Adds `files` to the archive table (created like `source` when it does not
// exist, its schema kept equal to the source's newest) and returns the
// version that holds them all.
Result<int64_t> AddToArchive(ObjectStore* store, engine::Database* db, const DeltaLog& archive,
                             std::string_view archive_table, const TableSnapshot& source,
                             const std::vector<const AddAction*>& files, int64_t now_ms) {
  EL_ASSIGN_OR_RETURN(auto snapshot, archive.Load());
  if (snapshot->exists() &&
      snapshot->metadata.partition_columns != source.metadata.partition_columns) {
    return Err(FailedPrecondition("archive table " + std::string(archive_table) +
                                  " is partitioned differently from its source table"));
  }
  DeltaCommit commit;
  commit.info = CommitInfoAction{.timestamp = now_ms, .operation = "WRITE",
                                 .parameters = {{"mode", "Append"}}};
  if (!snapshot->exists()) {
    commit.protocol = ProtocolAction{};
    commit.metadata = MetadataAction{.id = NewEventId(),
                                     .name = std::string(archive_table),
                                     .schema_string = source.metadata.schema_string,
                                     .partition_columns = source.metadata.partition_columns,
                                     .created_time = now_ms};
  } else if (snapshot->metadata.schema_string != source.metadata.schema_string) {
    // The source only ever widens its schema (table_schema.h), so its newest
    // schema reads every file the archive holds.
    MetadataAction metadata = snapshot->metadata;
    metadata.schema_string = source.metadata.schema_string;
    commit.metadata = std::move(metadata);
  }
  for (const AddAction* add : files) {
    if (snapshot->files.contains(add->path)) continue;  // a rerun after a crash
    AddAction copy = *add;
    copy.modification_time = now_ms;
    commit.adds.push_back(std::move(copy));
  }
  if (commit.adds.empty() && !commit.metadata.has_value()) return snapshot->version;
  EL_ASSIGN_OR_RETURN(auto committed, archive.Commit(snapshot, std::move(commit)));
  constexpr int64_t kCheckpointInterval = 10;
  if (committed->version > 0 && committed->version % kCheckpointInterval == 0) {
    auto connection = db->Connect();
    if (connection.has_value()) {
      // Best effort: readers replay the commits without it.
      (void)WriteCheckpoint(store, connection->get(), archive.table_prefix(), *committed);
    }
  }
  return committed->version;
}

}  // namespace

std::string DefaultArchiveTable(std::string_view table) {
  const size_t dot = table.find('.');
  return "archive." + std::string(dot == std::string_view::npos ? table : table.substr(dot + 1));
}

Result<ArchiveResult> ArchiveTable(ObjectStore* store, engine::Database* db, std::string_view table,
                                   std::string_view archive_table,
                                   std::chrono::milliseconds archive_after, Clock* clock) {
  EL_ASSIGN_OR_RETURN(std::string prefix, TablePrefix(table));
  EL_ASSIGN_OR_RETURN(std::string archive_prefix, TablePrefix(archive_table));
  if (prefix == archive_prefix) {
    return Err(InvalidArgument("table " + std::string(table) + " cannot archive into itself"));
  }
  DeltaLog log(store, prefix, db);
  EL_ASSIGN_OR_RETURN(auto snapshot, log.Load());
  if (!snapshot->exists()) return Err(NotFound("no table named " + std::string(table)));
  const int64_t now_ms = clock->NowMicros() / 1000;
  const std::vector<const AddAction*> old = FilesOlderThan(*snapshot, CutoffMicros(clock, archive_after));
  ArchiveResult result;
  if (old.empty()) return result;

  // 1. Copy: the archive's files are whole before any commit names them.
  for (const AddAction* add : old) {
    EL_RETURN_IF_ERROR(store->Copy(prefix + "/" + add->path, archive_prefix + "/" + add->path));
  }
  // 2. Add them there.
  DeltaLog archive(store, archive_prefix, db);
  EL_ASSIGN_OR_RETURN(result.archive_version,
                      AddToArchive(store, db, archive, archive_table, *snapshot, old, now_ms));
  // 3. Remove them here.
  DeltaCommit commit;
  commit.info = CommitInfoAction{
      .timestamp = now_ms,
      .operation = "ARCHIVE",
      .parameters = {{"archivedTo", std::string(archive_table)},
                     {"predicate",
                      "time < '" + FormatRfc3339(CutoffMicros(clock, archive_after)) + "'"}}};
  for (const AddAction* add : old) {
    commit.removes.push_back(RemovalOf(*add, now_ms));
    result.rows += RowsOf(*add);
    result.bytes += static_cast<uint64_t>(add->size);
  }
  result.files = old.size();
  auto committed = log.Commit(snapshot, std::move(commit));
  if (!committed.has_value()) {
    if (committed.error().code() == StatusCode::kConflict) {
      // Some file left this table meanwhile (a racing compaction): take the
      // copies out of the archive again so no row is in both for good.
      EL_ASSIGN_OR_RETURN(auto archived, archive.Load());
      DeltaCommit undo;
      undo.info = CommitInfoAction{.timestamp = now_ms, .operation = "DELETE",
                                   .parameters = {{"reason", "archiving lost a race"}}};
      for (const AddAction* add : old) {
        auto it = archived->files.find(add->path);
        if (it != archived->files.end()) undo.removes.push_back(RemovalOf(it->second, now_ms));
      }
      if (!undo.removes.empty()) {
        EL_RETURN_IF_ERROR(archive.Commit(archived, std::move(undo)));
      }
    }
    return Err(committed.error().WithContext("archiving " + std::string(table)));
  }
  result.version = (*committed)->version;
  return result;
}

Result<ExpireResult> ExpireTable(ObjectStore* store, engine::Database* db, std::string_view table,
                                 std::chrono::milliseconds expire_after, Clock* clock) {
  EL_ASSIGN_OR_RETURN(std::string prefix, TablePrefix(table));
  DeltaLog log(store, prefix, db);
  EL_ASSIGN_OR_RETURN(auto snapshot, log.Load());
  if (!snapshot->exists()) return Err(NotFound("no table named " + std::string(table)));
  const int64_t now_ms = clock->NowMicros() / 1000;
  const int64_t cutoff = CutoffMicros(clock, expire_after);
  ExpireResult result;
  DeltaCommit commit;
  commit.info = CommitInfoAction{.timestamp = now_ms,
                                 .operation = "DELETE",
                                 .parameters = {{"predicate", "time < '" + FormatRfc3339(cutoff) + "'"}}};
  for (const AddAction* add : FilesOlderThan(*snapshot, cutoff)) {
    commit.removes.push_back(RemovalOf(*add, now_ms));
    result.rows += RowsOf(*add);
  }
  result.files = commit.removes.size();
  if (commit.removes.empty()) return result;
  EL_ASSIGN_OR_RETURN(auto committed, log.Commit(snapshot, std::move(commit)));
  result.version = committed->version;
  return result;
}

}  // namespace eventlake::lake
