// One partition of a stream: an append-only sequence of segments with group
// commit, reads by offset and time, recovery on open, and retention.
//
// Threads: Append, Read and the queries are safe from any thread. Each
// partition owns one writer thread that takes everything appended since its
// last turn, writes it with one write(2), makes it durable with one
// fdatasync (per the stream's durability) and then runs the appenders'
// callbacks. Readers see only records that are durable (the high watermark),
// so a consumer never reads a record that a crash could take back.
//
// Failure: when a write or an fdatasync fails, the partition stops accepting
// appends for good (until the process restarts and recovery runs) and every
// pending and later append fails with the reason; a failed fsync is never
// retried, because the kernel may have dropped the dirty pages it could not
// write (see "fsyncgate").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/cloud_event.h"
#include "core/metrics.h"
#include "core/status.h"
#include "log/log_record.h"
#include "log/stream_options.h"

namespace eventlake::log {

struct PartitionStats {
  uint64_t start_offset = 0;  // oldest retained offset
  uint64_t end_offset = 0;    // one past the newest durable offset
  uint64_t size_bytes = 0;    // of all segment files
  uint32_t segments = 0;
  TimestampMicros oldest_append_time = 0;  // 0 when empty
  TimestampMicros newest_append_time = 0;
  Status health;  // OK, or why appends are refused
};

// What a partition needs from its surroundings. The pointers must outlive it.
struct PartitionContext {
  std::string stream;
  uint32_t id = 0;
  Clock* clock = &SystemClock();
  MetricsRegistry* metrics = nullptr;  // optional
  // Fault injection for tests: called before every fdatasync of a segment; a
  // non-OK answer is treated exactly like a failed fdatasync.
  std::function<Status(const std::string& path)> before_sync;
};

// Runs once per Append call: with the offset of the first record once all of
// them are durable, or with the reason none of them was stored. It runs on the
// writer thread (or on the caller's thread when the append is refused at
// once) and must not block.
using PartitionAppendDone = std::function<void(Result<uint64_t> first_offset)>;

class Partition {
 public:
  // Opens (creating if needed) the partition in `dir`, running recovery.
  static Result<std::unique_ptr<Partition>> Open(std::string dir, const StreamOptions& options,
                                                 PartitionContext context);
  // Finishes pending appends, syncs, and stops the writer thread.
  ~Partition();
  Partition(const Partition&) = delete;
  Partition& operator=(const Partition&) = delete;

  // Appends `events` as consecutive records (all or none). Refused at once
  // with kResourceExhausted when more than max_pending_bytes wait to be
  // written, kFailedPrecondition after a write failure, kInvalidArgument for
  // an event larger than the record limit.
  void Append(std::span<const CloudEvent> events, PartitionAppendDone done);
  // The same for events that are not contiguous (a stream's share of a batch).
  void Append(std::span<const CloudEvent* const> events, PartitionAppendDone done);
  // Append that blocks until `done` would run. For tools and tests.
  Result<uint64_t> AppendAndWait(std::span<const CloudEvent> events);

  // Durable records from `from` on, within `limits`. A `from` below the start
  // offset (deleted by retention) reads from the start; at or past the end
  // it returns no records.
  Result<std::vector<LogRecord>> Read(uint64_t from, const ReadLimits& limits) const;
  // The first offset whose append time is >= `time`, or EndOffset() if none.
  Result<uint64_t> OffsetForTime(TimestampMicros time) const;
  // Waits until a record at or past `offset` is durable; false on timeout.
  bool WaitForOffset(uint64_t offset, std::chrono::milliseconds timeout) const;

  uint64_t StartOffset() const;
  uint64_t EndOffset() const;
  uint64_t SizeBytes() const;
  PartitionStats Stats() const;
  uint32_t id() const;

  // Retention: deletes sealed segments whose newest record is older than
  // `cutoff`. Returns the bytes freed.
  Result<uint64_t> DeleteSegmentsOlderThan(TimestampMicros cutoff);
  // Deletes the oldest sealed segment, if there is one. Returns the bytes freed.
  Result<uint64_t> DeleteOldestSegment();
  // Append time of the newest record in the oldest sealed segment; nullopt when
  // there is no sealed segment (retention by size picks the stream's oldest).
  std::optional<TimestampMicros> OldestSealedSegmentTime() const;
  // Maintenance: rolls the active segment when it is older than
  // segment_max_age, and syncs under `interval` durability when due.
  Status Tick();

 private:
  class Impl;
  explicit Partition(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace eventlake::log
