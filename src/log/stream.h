// A named stream: N partitions, the choice of partition per event, the
// stream's quota and retention, and its consumer groups.
//
// An event goes to the partition chosen by the hash of its `partitionkey`
// extension (CloudEvents partitioning extension) when it has one, so that
// events with one key stay in order; keyless events of one append all go to
// one partition, the next append's to the next (sticky round-robin). Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "log/log_record.h"
#include "log/offset_store.h"
#include "log/partition.h"
#include "log/stream_options.h"

namespace eventlake::log {

struct StreamStats {
  std::string name;
  uint64_t size_bytes = 0;
  uint64_t records = 0;  // retained: sum of (end - start)
  std::vector<PartitionStats> partitions;
};

struct GroupStats {
  std::string group;
  std::vector<uint64_t> committed;  // per partition
  std::vector<uint64_t> lag;        // end offset - committed, per partition
};

// Runs once per Append with, for each event in order, where it was stored or
// why not. Runs on a partition writer thread or the caller's; must not block.
using StreamAppendDone = std::function<void(std::vector<Result<RecordPosition>> results)>;

class Stream {
 public:
  // Opens or creates the stream in `dir` (data/log/<name>), writing its
  // options to stream.json. `clock` and `metrics` (optional) must outlive it.
  static Result<std::unique_ptr<Stream>> Open(std::string dir, const StreamOptions& options,
                                              Clock* clock, MetricsRegistry* metrics);
  ~Stream();

  const std::string& name() const { return options_.name; }
  const StreamOptions& options() const { return options_; }
  uint32_t partition_count() const { return static_cast<uint32_t>(partitions_.size()); }
  Partition& partition(uint32_t i) { return *partitions_[i]; }
  const Partition& partition(uint32_t i) const { return *partitions_[i]; }

  // The partition an event goes to (without round-robin state for keyless
  // events, which get UINT32_MAX here).
  uint32_t PartitionForKey(std::string_view key) const;

  // Appends events; each partition's share is appended atomically. Refused
  // with kResourceExhausted (retryable) while the stream is over its quota.
  void Append(std::span<const CloudEvent> events, StreamAppendDone done);
  std::vector<Result<RecordPosition>> AppendAndWait(std::span<const CloudEvent> events);

  // Consumer groups. Offsets are "next offset to read" per partition; a group
  // that never committed starts at each partition's start offset.
  Result<std::vector<uint64_t>> GroupOffsets(const std::string& group) const;
  Status CommitGroup(const std::string& group, const std::vector<uint64_t>& offsets);
  // Rewinds (or forwards) every partition to `offset`, clamped to [start, end].
  Status SeekGroupToOffset(const std::string& group, uint64_t offset);
  // Moves every partition to its first record appended at or after `time`.
  Status SeekGroupToTime(const std::string& group, TimestampMicros time);
  Result<std::vector<GroupStats>> Groups() const;

  StreamStats Stats() const;
  uint64_t SizeBytes() const;

  // Retention by age and size, and per-partition ticks. Called by Log's
  // maintenance thread; safe to call from tests.
  Status Maintain();

 private:
  Stream(StreamOptions options, Clock* clock, MetricsRegistry* metrics, std::string dir);
  // Refreshes size, offset and lag gauges; runs when /metrics is scraped.
  void PublishGauges();
  Status SaveGroup(const std::string& group, const std::vector<uint64_t>& offsets);

  StreamOptions options_;
  Clock* clock_;
  MetricsRegistry* metrics_;
  std::string dir_;
  std::vector<std::unique_ptr<Partition>> partitions_;
  OffsetStore offsets_;
  std::atomic<uint64_t> round_robin_{0};
  Counter* quota_rejections_ = nullptr;
  Counter* retention_deleted_bytes_ = nullptr;
  uint64_t collect_hook_ = 0;
};

}  // namespace eventlake::log
