// What the log stores and returns: a CloudEvent with its place in a partition.
#pragma once

#include <cstdint>

#include "core/cloud_event.h"

namespace eventlake::log {

struct LogRecord {
  uint64_t offset = 0;
  TimestampMicros append_time = 0;  // when the log accepted it; non-decreasing per partition
  CloudEvent event;
};

// Where an appended event was stored.
struct RecordPosition {
  uint32_t partition = 0;
  uint64_t offset = 0;
  friend bool operator==(const RecordPosition&, const RecordPosition&) = default;
};

// Bounds of one read. A read returns at least one record when any is
// available, even if that record alone exceeds max_bytes.
struct ReadLimits {
  uint32_t max_records = 1000;
  uint64_t max_bytes = 4ull << 20;
};

}  // namespace eventlake::log
