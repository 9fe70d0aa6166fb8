// Durability names and the rules a stream's options must satisfy. The bounds
// are the constants in stream_options_table.h, shared with the config table so
// that a YAML file, stream.json and the HTTP API are held to the same limits.
#include "log/stream_options.h"

#include <string>

#include "core/config_table.h"
#include "log/stream_options_table.h"

namespace eventlake::log {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

Status CheckName(const std::string& name) {
  return ValidateName("stream", name).WithContext("name");
}

template <typename T>
Status CheckRange(std::string_view key, T value, T lo, T hi, std::string (*format)(T)) {
  if (value >= lo && value <= hi) return Status::Ok();
  return InvalidArgument(std::string(key) + ": must be between " + format(lo) + " and " +
                         format(hi) + ", got " + format(value));
}

std::string Bytes(uint64_t v) { return config::FormatByteSize(v); }
std::string Count(uint64_t v) { return std::to_string(v); }
std::string Duration(std::chrono::milliseconds d) { return config::FormatDuration(d); }

}  // namespace

Status ValidateName(std::string_view kind, std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxStreamNameLength && name != "." && name != "..";
  for (char c : name) ok = ok && IsNameChar(c);
  if (ok) return Status::Ok();
  std::string shown(name.size() > 64 ? name.substr(0, 64) : name);
  if (name.size() > 64) shown += "...";
  return InvalidArgument("'" + shown + "' is not a valid " + std::string(kind) +
                         " name (1 to 128 lower-case letters, digits, '_', '-' or '.', not '.' "
                         "or '..')");
}

std::string_view DurabilityName(Durability d) {
  switch (d) {
    case Durability::kFsync:
      return "fsync";
    case Durability::kInterval:
      return "interval";
    case Durability::kNone:
      return "none";
  }
  return "unknown";
}

Result<Durability> ParseDurability(std::string_view text) {
  for (Durability d : {Durability::kFsync, Durability::kInterval, Durability::kNone}) {
    if (text == DurabilityName(d)) return d;
  }
  return Err(InvalidArgument("durability: must be one of fsync, interval, none, got '" +
                             std::string(text.substr(0, 64)) + "'"));
}

Status ValidateStreamOptions(const StreamOptions& o) {
  using std::chrono::milliseconds;
  constexpr milliseconds kForever = milliseconds::max();
  EL_RETURN_IF_ERROR(CheckName(o.name));
  EL_RETURN_IF_ERROR(CheckRange<uint64_t>("partitions", o.partitions, 1, kMaxPartitions, &Count));
  if (o.durability != Durability::kFsync && o.durability != Durability::kInterval &&
      o.durability != Durability::kNone) {
    return InvalidArgument("durability: unknown value");
  }
  EL_RETURN_IF_ERROR(
      CheckRange("fsync_interval", o.fsync_interval, kMinFsyncInterval, kForever, &Duration));
  EL_RETURN_IF_ERROR(CheckRange<uint64_t>("segment_max_bytes", o.segment_max_bytes,
                                          kMinSegmentBytes, kMaxSegmentBytes, &Bytes));
  EL_RETURN_IF_ERROR(
      CheckRange("segment_max_age", o.segment_max_age, kMinSegmentAge, kForever, &Duration));
  EL_RETURN_IF_ERROR(
      CheckRange("retention", o.retention_age, milliseconds(0), kForever, &Duration));
  EL_RETURN_IF_ERROR(CheckRange<uint64_t>("index_interval_bytes", o.index_interval_bytes,
                                          kMinIndexIntervalBytes, UINT32_MAX, &Bytes));
  EL_RETURN_IF_ERROR(CheckRange<uint64_t>("max_pending_bytes", o.max_pending_bytes,
                                          kMinPendingBytes, UINT64_MAX, &Bytes));
  return Status::Ok();
}

}  // namespace eventlake::log
