// Consumer group offsets files (docs/formats/log.md, "Consumer group
// offsets"). The text is meant for operators to read, but it is parsed
// strictly: exactly the bytes Encode writes (plus or minus the final newline)
// are accepted, so a damaged file is reported as corruption, never
// misread.
#include "log/offset_store.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "core/file.h"
#include "log/crc32c.h"
#include "log/stream_options.h"

namespace eventlake::log {
namespace {

constexpr std::string_view kHeaderLine = "eventlake-offsets 1";
constexpr std::string_view kPartitionsPrefix = "partitions ";
constexpr std::string_view kCrcPrefix = "crc32c ";
constexpr std::string_view kFileSuffix = ".offsets";
constexpr size_t kMaxPartitions = 65536;
// 65536 lines of "<5 digits> <20 digits>\n" fit in 2 MiB, so whatever Save accepts decodes.
constexpr size_t kMaxTextBytes = 2 << 20;

std::string CrcLine(std::string_view covered) {
  char hex[9];
  std::snprintf(hex, sizeof(hex), "%08x", crc32c::Value(covered));
  return std::string(kCrcPrefix) + hex;
}

Status LineError(size_t line_number, std::string_view what) {
  return Corruption("offsets file line " + std::to_string(line_number) + ": " + std::string(what));
}

// Decimal digits only: no sign, no leading zero (except "0" itself), no overflow.
std::optional<uint64_t> ParseDecimal(std::string_view text) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Splits off the next '\n'-terminated line; nullopt when no newline is left.
std::optional<std::string_view> NextLine(std::string_view& rest) {
  size_t newline = rest.find('\n');
  if (newline == std::string_view::npos) return std::nullopt;
  std::string_view line = rest.substr(0, newline);
  rest.remove_prefix(newline + 1);
  return line;
}

Result<size_t> ParsePartitionCount(std::string_view line) {
  if (!line.starts_with(kPartitionsPrefix)) return Err(LineError(2, "expected 'partitions <n>'"));
  std::optional<uint64_t> count = ParseDecimal(line.substr(kPartitionsPrefix.size()));
  if (!count) return Err(LineError(2, "partition count is not a decimal number"));
  if (*count > kMaxPartitions) {
    return Err(LineError(2, "partition count " + std::to_string(*count) + " exceeds the limit of " +
                                std::to_string(kMaxPartitions)));
  }
  return static_cast<size_t>(*count);
}

Result<uint64_t> ParsePartitionLine(std::string_view line, size_t partition) {
  size_t line_number = partition + 3;
  std::string expected_prefix = std::to_string(partition) + " ";
  if (!line.starts_with(expected_prefix)) {
    return Err(LineError(line_number, "expected '" + expected_prefix + "<offset>'"));
  }
  std::optional<uint64_t> offset = ParseDecimal(line.substr(expected_prefix.size()));
  if (!offset) return Err(LineError(line_number, "offset is not a decimal u64"));
  return *offset;
}

// The last line: the checksum of everything before it, then at most a newline.
Status CheckCrcLine(std::string_view text, std::string_view rest, size_t line_number) {
  std::string_view covered = text.substr(0, text.size() - rest.size());
  size_t newline = rest.find('\n');
  std::string_view line = rest.substr(0, newline);
  bool trailing_bytes = newline != std::string_view::npos && newline + 1 != rest.size();
  std::string_view stored = line.substr(std::min(line.size(), kCrcPrefix.size()));
  bool well_formed = line.starts_with(kCrcPrefix) && stored.size() == 8 &&
                     std::all_of(stored.begin(), stored.end(), [](char c) {
                       return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                     });
  if (!well_formed) return LineError(line_number, "expected 'crc32c <8 lower-case hex digits>'");
  std::string computed = CrcLine(covered);
  if (line != computed) {
    return LineError(line_number, "checksum mismatch: stored " + std::string(stored) +
                                      ", computed " + computed.substr(kCrcPrefix.size()));
  }
  if (trailing_bytes) return LineError(line_number + 1, "unexpected bytes after the checksum line");
  return Status::Ok();
}

std::string GroupPath(const std::string& dir, const std::string& group) {
  return dir + "/" + group + std::string(kFileSuffix);
}

}  // namespace

std::string OffsetStore::Encode(const std::vector<uint64_t>& offsets) {
  std::string text(kHeaderLine);
  text += "\n";
  text += kPartitionsPrefix;
  text += std::to_string(offsets.size()) + "\n";
  for (size_t i = 0; i < offsets.size(); ++i) {
    text += std::to_string(i) + " " + std::to_string(offsets[i]) + "\n";
  }
  text += CrcLine(text) + "\n";
  return text;
}

Result<std::vector<uint64_t>> OffsetStore::Decode(std::string_view text) {
  if (text.size() > kMaxTextBytes) {
    return Err(Corruption("offsets file of " + std::to_string(text.size()) +
                          " bytes exceeds the limit of " + std::to_string(kMaxTextBytes)));
  }
  std::string_view rest = text;
  std::optional<std::string_view> header = NextLine(rest);
  if (!header || *header != kHeaderLine) {
    bool other_version = header && header->starts_with("eventlake-offsets ");
    return Err(LineError(
        1, other_version ? "unsupported offsets file version" : "expected 'eventlake-offsets 1'"));
  }
  std::optional<std::string_view> count_line = NextLine(rest);
  if (!count_line) return Err(LineError(2, "truncated"));
  EL_ASSIGN_OR_RETURN(size_t count, ParsePartitionCount(*count_line));
  std::vector<uint64_t> offsets;
  offsets.reserve(std::min(count, rest.size() / 4));  // a line takes at least 4 bytes
  for (size_t partition = 0; partition < count; ++partition) {
    std::optional<std::string_view> line = NextLine(rest);
    if (!line) return Err(LineError(partition + 3, "truncated"));
    EL_ASSIGN_OR_RETURN(uint64_t offset, ParsePartitionLine(*line, partition));
    offsets.push_back(offset);
  }
  EL_RETURN_IF_ERROR(CheckCrcLine(text, rest, count + 3));
  return offsets;
}

OffsetStore::OffsetStore(std::string dir) : dir_(std::move(dir)) {}

Result<std::optional<std::vector<uint64_t>>> OffsetStore::Load(const std::string& group) const {
  EL_RETURN_IF_ERROR(ValidateGroupName(group));
  std::string path = GroupPath(dir_, group);
  Result<std::string> text = ReadFile(path);
  if (!text) {
    // A missing file means the group never committed; anything else is reported.
    if (!PathExists(path)) return std::nullopt;
    return Err(text.error());
  }
  Result<std::vector<uint64_t>> offsets = Decode(*text);
  if (!offsets) return Err(offsets.error().WithContext(path));
  return std::move(*offsets);
}

Status OffsetStore::Save(const std::string& group, const std::vector<uint64_t>& offsets) {
  EL_RETURN_IF_ERROR(ValidateGroupName(group));
  if (offsets.size() > kMaxPartitions) {
    return InvalidArgument("cannot save offsets of " + std::to_string(offsets.size()) +
                           " partitions (limit " + std::to_string(kMaxPartitions) + ")");
  }
  std::string text = Encode(offsets);
  std::lock_guard lock(mu_);
  EL_RETURN_IF_ERROR(CreateDirectories(dir_));
  return WriteFileAtomically(GroupPath(dir_, group), text);
}

Result<std::vector<std::string>> OffsetStore::List() const {
  Result<std::vector<std::string>> entries = ListDirectory(dir_);
  if (!entries) {
    if (entries.error().code() == StatusCode::kNotFound) return std::vector<std::string>();
    return Err(entries.error());
  }
  std::vector<std::string> groups;
  for (std::string_view entry : *entries) {
    if (!entry.ends_with(kFileSuffix)) continue;
    entry.remove_suffix(kFileSuffix.size());
    if (ValidateGroupName(entry).ok()) groups.emplace_back(entry);
  }
  std::sort(groups.begin(), groups.end());
  return groups;
}

Status OffsetStore::Remove(const std::string& group) {
  EL_RETURN_IF_ERROR(ValidateGroupName(group));
  std::string path = GroupPath(dir_, group);
  std::lock_guard lock(mu_);
  if (!PathExists(path)) return NotFound("consumer group '" + group + "' has no committed offsets");
  EL_RETURN_IF_ERROR(RemoveFile(path));
  return SyncDirectory(dir_);
}

Status ValidateGroupName(std::string_view group) { return ValidateName("group", group); }

}  // namespace eventlake::log
