// Hive-style partition directories and the URI encoding of Delta paths
// (docs/formats/table.md, "Partitioning" and "add").
//
//   EscapePartitionValue("a/b")            -> "a%2Fb"
//   PartitionDirectory({{"dt","2026-12-02"},{"country",std::nullopt}})
//                                          -> "dt=2026-12-02/country=__HIVE_DEFAULT_PARTITION__"
//   EncodeDeltaPath("dt=a%2Fb/p.parquet")  -> "dt=a%252Fb/p.parquet"
//
// Unescape/decode accept exactly what escape/encode produce and any other
// well-formed %XX; a '%' not followed by two hex digits is InvalidArgument.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace eventlake::lake {

inline constexpr std::string_view kHiveNullPartition = "__HIVE_DEFAULT_PARTITION__";

// A partition column's name and its value (nullopt: null).
using PartitionValue = std::pair<std::string, std::optional<std::string>>;

std::string EscapePartitionValue(std::string_view value);
Result<std::string> UnescapePartitionValue(std::string_view escaped);

// "<col>=<escaped value>/..." without a trailing '/'; "" for no columns.
std::string PartitionDirectory(const std::vector<PartitionValue>& values);
// The inverse of PartitionDirectory for a file's directory part.
Result<std::vector<PartitionValue>> ParsePartitionDirectory(std::string_view dir);

// RFC 3986 percent-encoding of every byte outside A-Z a-z 0-9 - . _ ~ / =
// (= is a legal path character, and every Delta writer leaves it as it is).
std::string EncodeDeltaPath(std::string_view path);
Result<std::string> DecodeDeltaPath(std::string_view encoded);

}  // namespace eventlake::lake
