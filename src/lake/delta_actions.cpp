// Delta actions to and from JSON lines (nlohmann: commits are small and off
// the per-row path).
#include "lake/delta_actions.h"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace eventlake::lake {
namespace {

using Json = nlohmann::ordered_json;

Json PartitionValuesJson(const std::vector<PartitionValue>& values) {
  Json out = Json::object();
  for (const auto& [name, value] : values) {
    out[name] = value.has_value() ? Json(*value) : Json(nullptr);
  }
  return out;
}

Result<std::vector<PartitionValue>> ParsePartitionValues(const Json& json) {
  std::vector<PartitionValue> out;
  if (json.is_null()) return out;
  if (!json.is_object()) return Err(Corruption("partitionValues is not an object"));
  for (auto it = json.begin(); it != json.end(); ++it) {
    if (it.value().is_null()) {
      out.emplace_back(it.key(), std::nullopt);
    } else if (it.value().is_string()) {
      out.emplace_back(it.key(), it.value().get<std::string>());
    } else {
      return Err(Corruption("partition value of " + it.key() + " is not a string"));
    }
  }
  return out;
}

// The member `name` of `object` as T, or Corruption naming the action.
template <typename T>
Result<T> Member(const Json& object, const char* name, std::string_view action) {
  auto it = object.find(name);
  if (it == object.end()) {
    return Err(Corruption(std::string(action) + " action without " + name));
  }
  try {
    return it->template get<T>();
  } catch (const Json::exception&) {
    return Err(Corruption(std::string(action) + "." + name + " has the wrong type"));
  }
}

template <typename T>
T MemberOr(const Json& object, const char* name, T fallback) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return fallback;
  try {
    return it->template get<T>();
  } catch (const Json::exception&) {
    return fallback;
  }
}

Result<AddAction> ParseAdd(const Json& a) {
  AddAction add;
  EL_ASSIGN_OR_RETURN(std::string path, Member<std::string>(a, "path", "add"));
  EL_ASSIGN_OR_RETURN(add.path, DecodeDeltaPath(path));
  EL_ASSIGN_OR_RETURN(add.size, Member<int64_t>(a, "size", "add"));
  add.modification_time = MemberOr<int64_t>(a, "modificationTime", 0);
  add.data_change = MemberOr<bool>(a, "dataChange", true);
  add.stats = MemberOr<std::string>(a, "stats", "");
  auto values = a.find("partitionValues");
  if (values != a.end()) {
    EL_ASSIGN_OR_RETURN(add.partition_values, ParsePartitionValues(*values));
  }
  return add;
}

Result<RemoveAction> ParseRemove(const Json& r) {
  RemoveAction remove;
  EL_ASSIGN_OR_RETURN(std::string path, Member<std::string>(r, "path", "remove"));
  EL_ASSIGN_OR_RETURN(remove.path, DecodeDeltaPath(path));
  remove.deletion_timestamp = MemberOr<int64_t>(r, "deletionTimestamp", 0);
  remove.data_change = MemberOr<bool>(r, "dataChange", true);
  remove.size = MemberOr<int64_t>(r, "size", 0);
  auto values = r.find("partitionValues");
  if (values != r.end()) {
    EL_ASSIGN_OR_RETURN(remove.partition_values, ParsePartitionValues(*values));
  }
  return remove;
}

Result<MetadataAction> ParseMetadata(const Json& m) {
  MetadataAction metadata;
  EL_ASSIGN_OR_RETURN(metadata.id, Member<std::string>(m, "id", "metaData"));
  EL_ASSIGN_OR_RETURN(metadata.schema_string, Member<std::string>(m, "schemaString", "metaData"));
  metadata.name = MemberOr<std::string>(m, "name", "");
  metadata.created_time = MemberOr<int64_t>(m, "createdTime", 0);
  metadata.partition_columns =
      MemberOr<std::vector<std::string>>(m, "partitionColumns", std::vector<std::string>{});
  return metadata;
}

Result<CommitInfoAction> ParseCommitInfo(const Json& c) {
  CommitInfoAction info;
  info.timestamp = MemberOr<int64_t>(c, "timestamp", 0);
  info.operation = MemberOr<std::string>(c, "operation", "");
  info.read_version = MemberOr<int64_t>(c, "readVersion", -1);
  info.blind_append = MemberOr<bool>(c, "isBlindAppend", false);
  auto params = c.find("operationParameters");
  if (params != c.end() && params->is_object()) {
    for (auto it = params->begin(); it != params->end(); ++it) {
      info.parameters.emplace_back(it.key(),
                                   it.value().is_string() ? it.value().get<std::string>()
                                                          : it.value().dump());
    }
  }
  return info;
}

Status ParseLine(const Json& line, DeltaCommit* commit) {
  if (!line.is_object() || line.size() != 1) {
    return Corruption("a commit line must be an object with one action");
  }
  const std::string& kind = line.begin().key();
  const Json& body = line.begin().value();
  if (!body.is_object()) return Corruption(kind + " action is not an object");
  if (kind == "add") {
    EL_ASSIGN_OR_RETURN(AddAction add, ParseAdd(body));
    commit->adds.push_back(std::move(add));
  } else if (kind == "remove") {
    EL_ASSIGN_OR_RETURN(RemoveAction remove, ParseRemove(body));
    commit->removes.push_back(std::move(remove));
  } else if (kind == "txn") {
    TxnAction txn;
    EL_ASSIGN_OR_RETURN(txn.app_id, Member<std::string>(body, "appId", "txn"));
    EL_ASSIGN_OR_RETURN(txn.version, Member<int64_t>(body, "version", "txn"));
    txn.last_updated = MemberOr<int64_t>(body, "lastUpdated", 0);
    commit->txns.push_back(std::move(txn));
  } else if (kind == "metaData") {
    EL_ASSIGN_OR_RETURN(commit->metadata, ParseMetadata(body));
  } else if (kind == "protocol") {
    ProtocolAction protocol;
    EL_ASSIGN_OR_RETURN(protocol.min_reader_version,
                        Member<int>(body, "minReaderVersion", "protocol"));
    EL_ASSIGN_OR_RETURN(protocol.min_writer_version,
                        Member<int>(body, "minWriterVersion", "protocol"));
    commit->protocol = protocol;
  } else if (kind == "commitInfo") {
    EL_ASSIGN_OR_RETURN(commit->info, ParseCommitInfo(body));
  }
  // Any other action (cdc, domainMetadata, checkpointMetadata...) is not ours to use.
  return Status::Ok();
}

}  // namespace

std::string SerializeCommit(const DeltaCommit& commit) {
  std::string out;
  // Values are valid UTF-8 (they come from JSON and CloudEvents); should one
  // not be, it is replaced rather than thrown about.
  auto line = [&out](const Json& action) {
    out += action.dump(-1, ' ', false, Json::error_handler_t::replace);
    out += '\n';
  };
  if (commit.info.has_value()) {
    const CommitInfoAction& c = *commit.info;
    Json params = Json::object();
    for (const auto& [k, v] : c.parameters) params[k] = v;
    Json info = {{"timestamp", c.timestamp},
                 {"operation", c.operation},
                 {"operationParameters", params},
                 {"engineInfo", "eventlake"},
                 {"isBlindAppend", c.blind_append}};
    if (c.read_version >= 0) info["readVersion"] = c.read_version;
    line({{"commitInfo", info}});
  }
  if (commit.protocol.has_value()) {
    line({{"protocol",
           {{"minReaderVersion", commit.protocol->min_reader_version},
            {"minWriterVersion", commit.protocol->min_writer_version}}}});
  }
  if (commit.metadata.has_value()) {
    const MetadataAction& m = *commit.metadata;
    line({{"metaData",
           {{"id", m.id},
            {"name", m.name},
            {"format", {{"provider", "parquet"}, {"options", Json::object()}}},
            {"schemaString", m.schema_string},
            {"partitionColumns", m.partition_columns},
            {"configuration", Json::object()},
            {"createdTime", m.created_time}}}});
  }
  for (const TxnAction& t : commit.txns) {
    line({{"txn", {{"appId", t.app_id}, {"version", t.version}, {"lastUpdated", t.last_updated}}}});
  }
  for (const AddAction& a : commit.adds) {
    Json add = {{"path", EncodeDeltaPath(a.path)},
                {"partitionValues", PartitionValuesJson(a.partition_values)},
                {"size", a.size},
                {"modificationTime", a.modification_time},
                {"dataChange", a.data_change}};
    if (!a.stats.empty()) add["stats"] = a.stats;
    line({{"add", add}});
  }
  for (const RemoveAction& r : commit.removes) {
    line({{"remove",
           {{"path", EncodeDeltaPath(r.path)},
            {"deletionTimestamp", r.deletion_timestamp},
            {"dataChange", r.data_change},
            {"extendedFileMetadata", true},
            {"partitionValues", PartitionValuesJson(r.partition_values)},
            {"size", r.size}}}});
  }
  return out;
}

Result<DeltaCommit> ParseCommit(std::string_view text) {
  DeltaCommit commit;
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const Json json = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) {
      return Err(Corruption("commit line " + std::to_string(line_number) + " is not JSON"));
    }
    Status s = ParseLine(json, &commit);
    if (!s.ok()) return Err(s.WithContext("commit line " + std::to_string(line_number)));
  }
  return commit;
}

std::string CommitKey(std::string_view table_prefix, int64_t version) {
  char digits[32];
  std::snprintf(digits, sizeof digits, "%020lld", static_cast<long long>(version));
  return std::string(table_prefix) + "/_delta_log/" + digits + ".json";
}

std::optional<int64_t> CommitVersionOfKey(std::string_view key) {
  constexpr std::string_view kLog = "_delta_log/";
  const size_t at = key.rfind(kLog);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view name = key.substr(at + kLog.size());
  if (name.size() != 25 || !name.ends_with(".json")) return std::nullopt;
  int64_t version = 0;
  for (char c : name.substr(0, 20)) {
    if (c < '0' || c > '9') return std::nullopt;
    version = version * 10 + (c - '0');
  }
  return version;
}

}  // namespace eventlake::lake
