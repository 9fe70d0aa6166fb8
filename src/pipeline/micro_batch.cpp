// NextBatch: reads of a partition until a batch limit.
#include "pipeline/micro_batch.h"

#include <algorithm>

namespace eventlake::pipeline {

uint64_t RecordBytes(const CloudEvent& e) {
  return e.data.size() + e.id.size() + e.source.size() + e.type.size() + (e.subject ? e.subject->size() : 0);
}

Result<MicroBatch> NextBatch(const log::Partition& partition, uint64_t from, const BatchLimits& limits,
                             std::chrono::milliseconds idle, Clock* clock) {
  MicroBatch batch{.first_offset = std::max(from, partition.StartOffset())};
  batch.next_offset = batch.first_offset;
  if (!partition.WaitForOffset(batch.next_offset, idle)) return batch;
  const int64_t deadline = clock->MonotonicNanos() +
                           std::chrono::duration_cast<std::chrono::nanoseconds>(limits.max_wait).count();
  uint64_t bytes = 0;
  while (true) {
    const uint32_t room = limits.max_records - static_cast<uint32_t>(batch.records.size());
    EL_ASSIGN_OR_RETURN(std::vector<log::LogRecord> read,
                        partition.Read(batch.next_offset, {.max_records = room,
                                                           .max_bytes = std::max<uint64_t>(limits.max_bytes - bytes, 1)}));
    if (read.empty()) return batch;  // deleted by retention meanwhile: the next call starts past it
    for (log::LogRecord& r : read) {
      const uint64_t size = RecordBytes(r.event);
      if (!batch.records.empty() && bytes + size > limits.max_bytes) return batch;  // the next batch's
      if (batch.records.empty()) batch.first_offset = r.offset;
      bytes += size;
      batch.next_offset = r.offset + 1;
      batch.records.push_back({std::move(r.event), r.append_time, r.offset});
      if (batch.records.size() >= limits.max_records || bytes >= limits.max_bytes) return batch;
    }
    if (batch.next_offset < partition.EndOffset()) continue;  // more is there already: no wait
    const int64_t left = deadline - clock->MonotonicNanos();
    if (left <= 0) return batch;
    if (!partition.WaitForOffset(batch.next_offset,
                                 std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(left)) +
                                     std::chrono::milliseconds(1))) {
      return batch;
    }
  }
}

}  // namespace eventlake::pipeline
