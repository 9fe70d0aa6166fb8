// The options of one stream: partitions, durability, segment rolling,
// retention and quota. Parsed from the `streams:` list of eventlake.yaml by the
// table in stream_options_table.h; also persisted with the stream.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace eventlake::log {

// When an append is acknowledged.
enum class Durability {
  kFsync,     // after fdatasync of the segment: survives power loss (the default)
  kInterval,  // after write(); the segment is fdatasync'ed every fsync_interval
  kNone,      // after write(); the OS decides when data reaches the disk
};

std::string_view DurabilityName(Durability d);
Result<Durability> ParseDurability(std::string_view text);

struct StreamOptions {
  std::string name;
  uint32_t partitions = 1;
  Durability durability = Durability::kFsync;
  std::chrono::milliseconds fsync_interval{1000};
  uint64_t segment_max_bytes = 64ull << 20;
  std::chrono::milliseconds segment_max_age = std::chrono::hours(1);
  // Whole segments whose newest record is older than this are deleted; 0 keeps all.
  std::chrono::milliseconds retention_age = std::chrono::hours(24 * 7);
  // The oldest segments are deleted while the stream is larger; 0: no limit.
  uint64_t retention_bytes = 0;
  // Appends fail with kResourceExhausted while the stream is this large; 0: no quota.
  uint64_t quota_bytes = 0;
  // One sparse index entry per this many bytes of segment.
  uint32_t index_interval_bytes = 4096;
  // Bytes accepted but not yet written per partition before appends are refused
  // with kResourceExhausted (backpressure).
  uint64_t max_pending_bytes = 64ull << 20;
};

// The naming rule of streams and consumer groups (they become directory and
// file names): 1 to 128 lower-case ASCII letters, digits, '_', '-' or '.',
// not "." or "..". `kind` names the thing in the message ("stream", "group").
Status ValidateName(std::string_view kind, std::string_view name);

// Checks names (lower-case letters, digits, '_', '-', '.', 1..128 chars, not
// "." or "..") and bounds.
Status ValidateStreamOptions(const StreamOptions& options);

}  // namespace eventlake::log
