// The option table of a stream (the entries of `streams:` in eventlake.yaml,
// documented in docs/configuration.md), and stream.json, the copy of a
// stream's options kept beside its partitions. One config table serves both,
// so a key means the same thing in either place; the limits below are the
// ones ValidateStreamOptions enforces.
//
// Keys: name, partitions, durability, fsync_interval, segment_max_bytes,
// segment_max_age, retention (StreamOptions::retention_age), retention_bytes,
// quota_bytes, index_interval_bytes, max_pending_bytes. Durations are written
// as "7d", sizes as "64MiB" (see core/config_table.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/config_table.h"
#include "core/status.h"
#include "log/segment.h"
#include "log/stream_options.h"

namespace eventlake::log {

// Limits of StreamOptions, inclusive (and kMaxSegmentBytes, from segment.h).
inline constexpr size_t kMaxStreamNameLength = 128;
inline constexpr uint32_t kMaxPartitions = 1024;
inline constexpr uint64_t kMinSegmentBytes = 4ull << 10;
inline constexpr uint32_t kMinIndexIntervalBytes = 64;
inline constexpr uint64_t kMinPendingBytes = 64ull << 10;
inline constexpr std::chrono::milliseconds kMinFsyncInterval{1};
inline constexpr std::chrono::milliseconds kMinSegmentAge{1000};

// The table for one `streams:` entry. Parse() also runs ValidateStreamOptions.
// Lives forever; thread-safe.
const config::Table<StreamOptions>& StreamOptionsTable();

// stream.json: a JSON object with the YAML keys; durations and sizes are
// written as text ("7d", "64MiB"), the partition count as a number.
// Deterministic (sorted keys), so equal options give equal text.
std::string StreamOptionsToJson(const StreamOptions& options);
// Parses and validates stream.json with the same table; unknown keys and bad
// values are InvalidArgument; absent keys take the defaults.
Result<StreamOptions> StreamOptionsFromJson(std::string_view json);

}  // namespace eventlake::log
