// The Delta Lake actions eventlake writes and reads (docs/formats/table.md,
// "Commits"), and one commit file as a whole: serialised as one JSON action
// per line, parsed back. Parsing is strict about what it uses (a malformed
// action is Corruption) and ignores action types it does not use (cdc,
// domainMetadata...), as Delta readers must.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "lake/partition_path.h"

namespace eventlake::lake {

struct ProtocolAction {
  int min_reader_version = 1;
  int min_writer_version = 2;
};

struct MetadataAction {
  std::string id;  // UUID, fixed for the life of the table
  std::string name;
  std::string schema_string;
  std::vector<std::string> partition_columns;
  int64_t created_time = 0;  // ms
};

struct AddAction {
  std::string path;  // relative to the table, decoded (not URI-encoded)
  std::vector<PartitionValue> partition_values;
  int64_t size = 0;
  int64_t modification_time = 0;  // ms
  bool data_change = true;
  std::string stats;  // JSON text, "" = none
};

struct RemoveAction {
  std::string path;  // decoded
  int64_t deletion_timestamp = 0;  // ms
  bool data_change = true;
  std::vector<PartitionValue> partition_values;
  int64_t size = 0;
};

struct TxnAction {
  std::string app_id;
  int64_t version = 0;
  int64_t last_updated = 0;  // ms
};

struct CommitInfoAction {
  int64_t timestamp = 0;  // ms
  std::string operation;  // "WRITE", "OPTIMIZE", ...
  std::vector<std::pair<std::string, std::string>> parameters;  // operationParameters
  int64_t read_version = -1;  // -1: none (commit 0)
  bool blind_append = false;
};

// One commit: the actions of one _delta_log/<version>.json.
struct DeltaCommit {
  std::optional<CommitInfoAction> info;
  std::optional<ProtocolAction> protocol;
  std::optional<MetadataAction> metadata;
  std::vector<TxnAction> txns;
  std::vector<AddAction> adds;
  std::vector<RemoveAction> removes;
};

// commitInfo, protocol, metaData, txn, add, remove; each line ends in '\n'.
std::string SerializeCommit(const DeltaCommit& commit);
Result<DeltaCommit> ParseCommit(std::string_view text);

// The object key of commit `version` under `table_prefix` ("curated/events").
std::string CommitKey(std::string_view table_prefix, int64_t version);
// The version of a key of the form <prefix>/_delta_log/<20 digits>.json, or nullopt.
std::optional<int64_t> CommitVersionOfKey(std::string_view key);

}  // namespace eventlake::lake
