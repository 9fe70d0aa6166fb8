// The stream options table and stream.json.
//
// stream.json is read by converting the JSON document into a YAML node and
// running the same table as eventlake.yaml: one set of keys, syntax, bounds
// and error messages for both files. nlohmann::json stays inside this file.
#include "log/stream_options_table.h"

#include <nlohmann/json.hpp>

namespace eventlake::log {
namespace {

using config::FormatByteSize;
using config::FormatDuration;

constexpr size_t kMaxJsonBytes = 64 << 10;  // stream.json is a few hundred bytes

// The JSON value as the YAML node a YAML file would have produced.
YAML::Node ToYaml(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      YAML::Node map(YAML::NodeType::Map);
      for (const auto& [key, value] : j.items()) map[key] = ToYaml(value);
      return map;
    }
    case nlohmann::json::value_t::array: {
      YAML::Node list(YAML::NodeType::Sequence);
      for (const auto& value : j) list.push_back(ToYaml(value));
      return list;
    }
    case nlohmann::json::value_t::string:
      return YAML::Node(j.get<std::string>());
    case nlohmann::json::value_t::null:
      return YAML::Node();
    default:
      return YAML::Node(j.dump());  // numbers and booleans, as written
  }
}

}  // namespace

const config::Table<StreamOptions>& StreamOptionsTable() {
  using O = StreamOptions;
  static const auto& table =
      (new config::Table<O>("streams[]", "A named stream of the event log, split into partitions."))
          ->Field("name", &O::name,
                  "Stream name: 1 to 128 lower-case letters, digits, `_`, `-` or `.`.",
                  {.required = true})
          .Field("partitions", &O::partitions,
                 "Number of partitions. Can grow on restart, never shrink.",
                 {.min = 1, .max = kMaxPartitions})
          .Enum("durability", &O::durability,
                "When an append is acknowledged: `fsync` after fdatasync (survives power loss), "
                "`interval` after write() with an fdatasync every `fsync_interval`, `none` after "
                "write().",
                {{"fsync", Durability::kFsync},
                 {"interval", Durability::kInterval},
                 {"none", Durability::kNone}})
          .Field("fsync_interval", &O::fsync_interval, "How often `interval` durability syncs.",
                 {.min = double(kMinFsyncInterval.count())})
          .Field("segment_max_bytes", &O::segment_max_bytes,
                 "A segment is rolled before it would grow past this size.",
                 {.min = kMinSegmentBytes, .max = kMaxSegmentBytes, .bytes = true})
          .Field("segment_max_age", &O::segment_max_age,
                 "A segment is rolled once its first record is this old.",
                 {.min = double(kMinSegmentAge.count())})
          .Field("retention", &O::retention_age,
                 "Whole segments whose newest record is older than this are deleted; `0` keeps "
                 "everything.")
          .Field("retention_bytes", &O::retention_bytes,
                 "The oldest segments are deleted while the stream is larger; `0`: no limit.",
                 {.bytes = true})
          .Field("quota_bytes", &O::quota_bytes,
                 "Appends are refused (HTTP 429, retryable) while the stream is this large; `0`: "
                 "no quota.",
                 {.bytes = true})
          .Field("index_interval_bytes", &O::index_interval_bytes,
                 "One sparse index entry per this many bytes of segment.",
                 {.min = kMinIndexIntervalBytes, .bytes = true})
          .Field("max_pending_bytes", &O::max_pending_bytes,
                 "Bytes per partition accepted but not yet written before appends are refused "
                 "(HTTP 429): the backpressure bound.",
                 {.min = kMinPendingBytes, .bytes = true})
          .Check(&ValidateStreamOptions);
  return table;
}

std::string StreamOptionsToJson(const StreamOptions& o) {
  nlohmann::json j = {
      {"name", o.name},
      {"partitions", o.partitions},
      {"durability", std::string(DurabilityName(o.durability))},
      {"fsync_interval", FormatDuration(o.fsync_interval)},
      {"segment_max_bytes", FormatByteSize(o.segment_max_bytes)},
      {"segment_max_age", FormatDuration(o.segment_max_age)},
      {"retention", FormatDuration(o.retention_age)},
      {"retention_bytes", FormatByteSize(o.retention_bytes)},
      {"quota_bytes", FormatByteSize(o.quota_bytes)},
      {"index_interval_bytes", FormatByteSize(o.index_interval_bytes)},
      {"max_pending_bytes", FormatByteSize(o.max_pending_bytes)},
  };
  return j.dump(2) + "\n";
}

Result<StreamOptions> StreamOptionsFromJson(std::string_view json) {
  if (json.size() > kMaxJsonBytes) {
    return Err(InvalidArgument("stream options: larger than " + FormatByteSize(kMaxJsonBytes)));
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    return Err(InvalidArgument(std::string("stream options: ") + e.what()));
  }
  StreamOptions options;
  EL_RETURN_IF_ERROR(StreamOptionsTable().Parse(ToYaml(j), "", &options));
  return options;
}

}  // namespace eventlake::log
