// Percent-escaping for partition directories and Delta paths.
#include "lake/partition_path.h"

namespace eventlake::lake {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

bool NeedsPartitionEscape(unsigned char c) {
  if (c < 0x20 || c >= 0x7F) return true;  // control bytes, DEL, every non-ASCII byte
  switch (c) {
    case '"': case '#': case '%': case '\'': case '*': case '/': case ':': case '=':
    case '?': case '\\': case '{': case '[': case ']': case '^': case '|': case ' ':
      return true;
    default:
      return false;
  }
}

bool IsUnreservedPathByte(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~' || c == '/' || c == '=';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

template <typename NeedsEscape>
std::string PercentEncode(std::string_view text, NeedsEscape needs_escape) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (needs_escape(c)) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

Result<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    const bool complete = i + 2 < text.size();
    const int hi = complete ? HexValue(text[i + 1]) : -1;
    const int lo = complete ? HexValue(text[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return Err(InvalidArgument("bad percent-encoding at byte " + std::to_string(i) + " of " +
                                 std::string(text)));
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

}  // namespace

std::string EscapePartitionValue(std::string_view value) {
  return PercentEncode(value, NeedsPartitionEscape);
}

Result<std::string> UnescapePartitionValue(std::string_view escaped) {
  return PercentDecode(escaped);
}

std::string PartitionDirectory(const std::vector<PartitionValue>& values) {
  std::string out;
  for (const auto& [column, value] : values) {
    if (!out.empty()) out += '/';
    out += column;
    out += '=';
    out += value.has_value() ? EscapePartitionValue(*value) : std::string(kHiveNullPartition);
  }
  return out;
}

Result<std::vector<PartitionValue>> ParsePartitionDirectory(std::string_view dir) {
  std::vector<PartitionValue> out;
  while (!dir.empty()) {
    const size_t slash = dir.find('/');
    std::string_view segment = dir.substr(0, slash);
    dir = slash == std::string_view::npos ? std::string_view() : dir.substr(slash + 1);
    const size_t eq = segment.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Err(InvalidArgument("partition directory segment without name=value: " +
                                 std::string(segment)));
    }
    std::string_view raw = segment.substr(eq + 1);
    if (raw == kHiveNullPartition) {
      out.emplace_back(std::string(segment.substr(0, eq)), std::nullopt);
      continue;
    }
    EL_ASSIGN_OR_RETURN(std::string value, UnescapePartitionValue(raw));
    out.emplace_back(std::string(segment.substr(0, eq)), std::move(value));
  }
  return out;
}

std::string EncodeDeltaPath(std::string_view path) {
  return PercentEncode(path, [](unsigned char c) { return !IsUnreservedPathByte(c); });
}

Result<std::string> DecodeDeltaPath(std::string_view encoded) { return PercentDecode(encoded); }

}  // namespace eventlake::lake
