// Checkpoints through DuckDB's JSON reader and Parquet writer.
#include "lake/delta_checkpoint.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "core/id.h"
#include "lake/local_copy.h"

namespace eventlake::lake {
namespace {

// The checkpoint schema of Delta (PROTOCOL.md, "Checkpoint Schema"), for
// the actions eventlake writes.
constexpr const char* kCheckpointColumns =
    "{'txn': 'STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)', "
    "'add': 'STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, "
    "modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags MAP(VARCHAR, VARCHAR))', "
    "'remove': 'STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, "
    "extendedFileMetadata BOOLEAN, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT)', "
    "'metaData': 'STRUCT(id VARCHAR, name VARCHAR, description VARCHAR, "
    "format STRUCT(provider VARCHAR, options MAP(VARCHAR, VARCHAR)), schemaString VARCHAR, "
    "partitionColumns VARCHAR[], configuration MAP(VARCHAR, VARCHAR), createdTime BIGINT)', "
    "'protocol': 'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER)'}";

// The snapshot as the actions of a commit that recreates it.
DeltaCommit AsCommit(const TableSnapshot& snapshot) {
  DeltaCommit c;
  c.protocol = snapshot.protocol;
  c.metadata = snapshot.metadata;
  for (const auto& [app, version] : snapshot.txns) {
    c.txns.push_back({.app_id = app, .version = version, .last_updated = snapshot.timestamp});
  }
  for (const auto& [path, add] : snapshot.files) c.adds.push_back(add);
  return c;
}

}  // namespace

std::string CheckpointKey(std::string_view table_prefix, int64_t version) {
  char digits[32];
  std::snprintf(digits, sizeof digits, "%020lld", static_cast<long long>(version));
  return std::string(table_prefix) + "/_delta_log/" + digits + ".checkpoint.parquet";
}

std::string LastCheckpointKey(std::string_view table_prefix) {
  return std::string(table_prefix) + "/_delta_log/_last_checkpoint";
}

std::optional<int64_t> LastCheckpointVersion(const ObjectStore& store,
                                             std::string_view table_prefix) {
  auto text = store.Get(LastCheckpointKey(table_prefix));
  if (!text.has_value()) return std::nullopt;
  const nlohmann::json doc = nlohmann::json::parse(*text, nullptr, false);
  if (!doc.is_object() || !doc.contains("version") || !doc["version"].is_number_integer()) {
    return std::nullopt;
  }
  return doc["version"].get<int64_t>();
}

Status WriteCheckpoint(ObjectStore* store, engine::Connection* connection,
                       std::string_view table_prefix, const TableSnapshot& snapshot) {
  if (!snapshot.exists()) return InvalidArgument("no checkpoint of a table that does not exist");
  const std::string base = store->StagingDirectory() + "/checkpoint-" + NewEventId();
  const std::string json_path = base + ".json";
  const std::string parquet_path = base + ".parquet";
  DeltaCommit commit = AsCommit(snapshot);
  {
    // Written as the local store writes any object; the staging file is ours.
    FILE* f = std::fopen(json_path.c_str(), "wb");
    if (f == nullptr) return IOError("cannot create " + json_path);
    const std::string text = SerializeCommit(commit);
    const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    if (std::fclose(f) != 0 || !ok) return IOError("cannot write " + json_path);
  }
  const size_t rows = 2 + commit.txns.size() + commit.adds.size();
  Status copied = connection->Execute(
      "COPY (SELECT txn, \"add\", \"remove\", metaData, protocol FROM read_json(" +
      engine::SqlString(json_path) + ", format = 'newline_delimited', columns = " +
      kCheckpointColumns + ")) TO " + engine::SqlString(parquet_path) +
      " (FORMAT parquet, COMPRESSION snappy)");
  std::remove(json_path.c_str());
  if (!copied.ok()) {
    std::remove(parquet_path.c_str());
    return copied.WithContext("writing the checkpoint of " + std::string(table_prefix));
  }
  EL_RETURN_IF_ERROR(store->PutFile(CheckpointKey(table_prefix, snapshot.version), parquet_path));
  const std::optional<int64_t> last = LastCheckpointVersion(*store, table_prefix);
  if (last.has_value() && *last >= snapshot.version) return Status::Ok();
  return store->Put(LastCheckpointKey(table_prefix),
                    nlohmann::json{{"version", snapshot.version}, {"size", rows}}.dump());
}

Result<DeltaCommit> ReadCheckpoint(const ObjectStore& store, engine::Connection* connection,
                                   std::string_view table_prefix, int64_t version) {
  LocalCopies copies(&store);
  EL_ASSIGN_OR_RETURN(std::string local, copies.PathOf(CheckpointKey(table_prefix, version)));
  // One JSON action per row, as in a commit file.
  EL_ASSIGN_OR_RETURN(
      engine::QueryResult rows,
      connection->Query("SELECT CASE WHEN \"add\" IS NOT NULL THEN json_object('add', \"add\") "
                        "WHEN txn IS NOT NULL THEN json_object('txn', txn) "
                        "WHEN metaData IS NOT NULL THEN json_object('metaData', metaData) "
                        "WHEN protocol IS NOT NULL THEN json_object('protocol', protocol) "
                        "END::VARCHAR FROM read_parquet(" +
                        engine::SqlString(local) + ") WHERE \"remove\" IS NULL"));
  std::string text;
  for (size_t r = 0; r < rows.rows(); ++r) {
    if (auto line = rows.String(0, r)) text += *line + "\n";
  }
  auto commit = ParseCommit(text);
  if (!commit.has_value()) {
    return Err(commit.error().WithContext("checkpoint " + std::to_string(version)));
  }
  return commit;
}

}  // namespace eventlake::lake
