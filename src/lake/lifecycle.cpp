// ExpireTable: remove actions for the files entirely older than the cutoff.
#include "lake/lifecycle.h"

#include <nlohmann/json.hpp>

#include "core/cloud_event.h"
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

}  // namespace

Result<ExpireResult> ExpireTable(ObjectStore* store, engine::Database* db, std::string_view table,
                                 std::chrono::milliseconds expire_after, Clock* clock) {
  EL_ASSIGN_OR_RETURN(std::string prefix, TablePrefix(table));
  DeltaLog log(store, prefix, db);
  EL_ASSIGN_OR_RETURN(auto snapshot, log.Load());
  if (!snapshot->exists()) return Err(NotFound("no table named " + std::string(table)));
  const int64_t now = clock->NowMicros();
  const int64_t cutoff = now - std::chrono::duration_cast<std::chrono::microseconds>(expire_after).count();
  ExpireResult result;
  DeltaCommit commit;
  commit.info = CommitInfoAction{.timestamp = now / 1000,
                                 .operation = "DELETE",
                                 .parameters = {{"predicate", "time < '" + FormatRfc3339(cutoff) + "'"}}};
  for (const auto& [path, add] : snapshot->files) {
    const std::optional<int64_t> newest = NewestRowMicros(add);
    if (!newest.has_value() || *newest >= cutoff) continue;
    commit.removes.push_back({.path = path,
                              .deletion_timestamp = now / 1000,
                              .data_change = true,
                              .partition_values = add.partition_values,
                              .size = add.size});
    result.rows += RowsOf(add);
  }
  result.files = commit.removes.size();
  if (commit.removes.empty()) return result;
  EL_ASSIGN_OR_RETURN(auto committed, log.Commit(snapshot, std::move(commit)));
  result.version = committed->version;
  return result;
}

}  // namespace eventlake::lake
