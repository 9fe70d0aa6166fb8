// The stream trigger's micro-batches (issue 6): the next batch of one
// partition of a stream, cut at `max_records`, at `max_bytes` of events
// (their data and attributes), or at `max_wait` after its first record,
// whichever comes first, as Lambda's event source mappings batch (batch
// size, payload size, batching window).
//
// One batch in flight per partition keeps the partition's order: the
// caller asks for the next batch from the offset after the last one it has
// handled.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "log/partition.h"
#include "pipeline/batch_runner.h"

namespace eventlake::pipeline {

struct BatchLimits {
  uint32_t max_records = 1000;
  uint64_t max_bytes = 4ull << 20;
  std::chrono::milliseconds max_wait{1000};
};

struct MicroBatch {
  std::vector<BatchRecord> records;
  uint64_t first_offset = 0;
  uint64_t next_offset = 0;  // after the last record (== first_offset when empty)
};

// The size a record counts for against max_bytes.
uint64_t RecordBytes(const CloudEvent& event);

// Waits up to `idle` for a first record at or after `from`, then fills the
// batch until a limit is reached. An empty batch when nothing arrived
// within `idle`. A record larger than max_bytes is a batch of its own.
Result<MicroBatch> NextBatch(const log::Partition& partition, uint64_t from, const BatchLimits& limits,
                             std::chrono::milliseconds idle, Clock* clock = &SystemClock());

}  // namespace eventlake::pipeline
