// CompactTable: plan groups of small files per partition, concatenate or
// rewrite each group into one file, commit every group in one OPTIMIZE commit.
#include "lake/compaction.h"

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "lake/delta_log.h"
#include "lake/file_stats.h"
#include "lake/local_copy.h"
#include "lake/parquet_concat.h"
#include "lake/table_writer.h"

namespace eventlake::lake {
namespace {

// Groups of 2+ small files, per partition directory, packed up to the target.
std::vector<std::vector<const AddAction*>> Plan(const TableSnapshot& snapshot,
                                                const CompactionOptions& options) {
  std::map<std::string, std::vector<const AddAction*>> small_by_dir;
  for (const auto& [path, add] : snapshot.files) {
    if (static_cast<uint64_t>(add.size) >= options.target_file_bytes / 2) continue;
    const size_t slash = path.rfind('/');
    small_by_dir[slash == std::string::npos ? "" : path.substr(0, slash)].push_back(&add);
  }
  std::vector<std::vector<const AddAction*>> groups;
  for (auto& [dir, files] : small_by_dir) {
    if (files.size() < std::max<size_t>(options.min_files, 2)) continue;
    std::sort(files.begin(), files.end(), [](const AddAction* a, const AddAction* b) {
      return a->modification_time != b->modification_time
                 ? a->modification_time < b->modification_time
                 : a->path < b->path;
    });
    std::vector<const AddAction*> group;
    uint64_t bytes = 0;
    for (const AddAction* file : files) {
      if (!group.empty() && bytes + static_cast<uint64_t>(file->size) > options.target_file_bytes) {
        if (group.size() >= 2) groups.push_back(std::move(group));
        group.clear();
        bytes = 0;
      }
      group.push_back(file);
      bytes += static_cast<uint64_t>(file->size);
    }
    if (group.size() >= 2) groups.push_back(std::move(group));
  }
  return groups;
}

// The SELECT list that reads old files with the table's current columns.
Result<std::string> SelectList(engine::Connection& connection, const std::string& source,
                               const std::vector<Column>& columns) {
  EL_ASSIGN_OR_RETURN(engine::QueryResult described,
                      connection.Query("DESCRIBE SELECT * FROM " + source));
  std::set<std::string> present;
  for (size_t r = 0; r < described.rows(); ++r) {
    present.insert(ColumnKey(described.String(0, r).value_or("")));
  }
  std::string list;
  for (const Column& c : columns) {
    if (!list.empty()) list += ", ";
    const std::string type(DuckDbTypeName(c.type));
    const std::string name = engine::SqlIdentifier(c.name);
    list += present.contains(ColumnKey(c.name)) ? "CAST(" + name + " AS " + type + ") AS " + name
                                            : "NULL::" + type + " AS " + name;
  }
  return list;
}

// Writes `group`'s rows into the staged file `staged`: by concatenating
// the files' row groups when their Parquet schemas agree (`*concatenated`
// is then true), by rewriting the rows through DuckDB otherwise.
Status WriteCompacted(engine::Connection& connection, const std::vector<std::string>& files,
                      const std::vector<Column>& columns, const std::string& staged,
                      const CompactionOptions& options, bool* concatenated) {
  auto joined = ConcatenateParquetFiles(
      files, staged, {.min_rows_per_row_group = options.concatenate_min_rows_per_row_group});
  *concatenated = joined.has_value();
  if (joined || joined.error().code() != StatusCode::kFailedPrecondition) {
    return joined ? Status::Ok() : joined.error();
  }
  std::string list;
  for (const std::string& file : files) {
    list += (list.empty() ? "" : ", ") + engine::SqlString(file);
  }
  const std::string source = "read_parquet([" + list + "], union_by_name = true)";
  EL_ASSIGN_OR_RETURN(std::string select, SelectList(connection, source, columns));
  return connection.Execute("COPY (SELECT " + select + " FROM " + source + ") TO " +
                            engine::SqlString(staged) +
                            " (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)");
}

Result<AddAction> Compact(ObjectStore* store, engine::Connection& connection,
                          const std::string& prefix, const TableSnapshot& snapshot,
                          const std::vector<const AddAction*>& group, size_t number,
                          const CompactionOptions& options, bool* concatenated) {
  LocalCopies copies(store);  // downloads, on a store without local files
  std::vector<std::string> files;
  for (const AddAction* file : group) {
    EL_ASSIGN_OR_RETURN(std::string local, copies.PathOf(prefix + "/" + file->path));
    files.push_back(std::move(local));
  }
  const std::vector<Column> columns = snapshot.schema.DataColumns();
  const std::string name = NewDataFileName(number);
  const std::string staged = store->StagingDirectory() + "/" + name;
  EL_RETURN_IF_ERROR(WriteCompacted(connection, files, columns, staged, options, concatenated));
  // The inputs' stats merge into the output's without reading it again; only
  // inputs without stats (written by another engine) make it scan.
  std::vector<std::string> input_stats;
  for (const AddAction* file : group) input_stats.push_back(file->stats);
  std::string stats;
  if (auto merged = MergeFileStats(input_stats, columns)) {
    stats = std::move(*merged);
  } else {
    const std::string written = "read_parquet(" + engine::SqlString(staged) + ")";
    EL_ASSIGN_OR_RETURN(engine::QueryResult counted,
                        connection.Query("SELECT count(*) FROM " + written));
    const uint64_t rows = static_cast<uint64_t>(counted.Int64(0, 0).value_or(0));
    EL_ASSIGN_OR_RETURN(stats, ComputeFileStats(connection, written, columns, rows));
  }
  const std::string dir = group[0]->path.substr(0, group[0]->path.rfind('/') + 1);
  const std::string path = dir + name;
  EL_RETURN_IF_ERROR(store->PutFile(prefix + "/" + path, staged));
  EL_ASSIGN_OR_RETURN(ObjectInfo info, store->Head(prefix + "/" + path));
  return AddAction{.path = path,
                   .partition_values = group[0]->partition_values,
                   .size = static_cast<int64_t>(info.size),
                   .modification_time = info.modified_millis,
                   .data_change = false,
                   .stats = std::move(stats)};
}

}  // namespace

Result<CompactionResult> CompactTable(ObjectStore* store, engine::Database* db,
                                      std::string_view table, const CompactionOptions& options,
                                      Clock* clock) {
  EL_ASSIGN_OR_RETURN(std::string prefix, TablePrefix(table));
  EL_ASSIGN_OR_RETURN(std::unique_ptr<engine::Connection> connection, db->Connect());
  DeltaLog log(store, prefix, db);
  EL_ASSIGN_OR_RETURN(auto snapshot, log.Load());
  if (!snapshot->exists()) return Err(NotFound("no table named " + std::string(table)));
  CompactionResult result;
  const auto groups = Plan(*snapshot, options);
  if (groups.empty()) return result;
  const int64_t now_ms = clock->NowMicros() / 1000;
  DeltaCommit commit;
  commit.info = CommitInfoAction{
      .timestamp = now_ms,
      .operation = "OPTIMIZE",
      .parameters = {{"targetSize", std::to_string(options.target_file_bytes)}}};
  std::set<std::string> dirs;
  for (size_t g = 0; g < groups.size(); ++g) {
    bool concatenated = false;
    EL_ASSIGN_OR_RETURN(AddAction add, Compact(store, *connection, prefix, *snapshot, groups[g], g,
                                               options, &concatenated));
    ++(concatenated ? result.files_concatenated : result.files_rewritten);
    for (const AddAction* old : groups[g]) {
      commit.removes.push_back({.path = old->path,
                                .deletion_timestamp = now_ms,
                                .data_change = false,
                                .partition_values = old->partition_values,
                                .size = old->size});
      result.bytes_removed += static_cast<uint64_t>(old->size);
    }
    dirs.insert(add.path.substr(0, add.path.rfind('/') + 1));
    result.bytes_added += static_cast<uint64_t>(add.size);
    const nlohmann::json stats = nlohmann::json::parse(add.stats, nullptr, false);
    if (stats.is_object() && stats.contains("numRecords")) {
      result.rows += stats["numRecords"].get<uint64_t>();
    }
    commit.adds.push_back(std::move(add));
  }
  result.files_removed = commit.removes.size();
  result.files_added = commit.adds.size();
  result.partitions = dirs.size();
  EL_ASSIGN_OR_RETURN(auto committed, log.Commit(snapshot, std::move(commit)));
  result.version = committed->version;
  return result;
}

}  // namespace eventlake::lake
