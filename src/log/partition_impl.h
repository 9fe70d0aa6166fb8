// The inside of a Partition, shared by partition.cpp (appends and the writer
// thread), partition_recovery.cpp (open) and partition_read.cpp (reads and
// retention). Not part of the log's interface.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "log/completion_queue.h"
#include "log/partition.h"
#include "log/segment.h"

namespace eventlake::log {

class Partition::Impl {
 public:
  Impl(std::string dir, const StreamOptions& options, PartitionContext context);
  ~Impl();

  // partition_recovery.cpp
  Status Recover();

  // partition.cpp
  void StartWriter();
  void Append(std::span<const CloudEvent* const> events, PartitionAppendDone done);
  Status Tick();
  Status Health() const;

  // partition_read.cpp
  Result<std::vector<LogRecord>> Read(uint64_t from, const ReadLimits& limits) const;
  Result<uint64_t> OffsetForTime(TimestampMicros time) const;
  bool WaitForOffset(uint64_t offset, std::chrono::milliseconds timeout) const;
  PartitionStats Stats() const;
  uint64_t StartOffset() const;
  uint64_t EndOffset() const;
  uint64_t SizeBytes() const;
  Result<uint64_t> DeleteFrontSegments(TimestampMicros cutoff, size_t max_segments);
  std::optional<TimestampMicros> OldestSealedSegmentTime() const;

  const PartitionContext& context() const { return context_; }

 private:
  struct PendingAppend {
    PartitionAppendDone done;
    uint64_t first_offset;
  };
  struct Metrics {
    Counter* records_appended;
    Counter* bytes_appended;
    Counter* fsyncs;
    Histogram* fsync_seconds;
    Counter* write_errors;
    Counter* rejected_appends;
    Counter* quarantined_segments;
    Counter* truncated_bytes;
    Counter* segments_rolled;
    Counter* missing_offsets;
  };

  // Writer thread (partition.cpp).
  void WriterLoop();
  Status WriteBatch(const std::string& frames, bool roll_requested);
  Status Roll(uint64_t new_base);
  Status Sync(Segment& segment);
  // Writes zeros after the records of the active segment, whose last write
  // was `write_bytes` long (see partition.cpp); best effort.
  void ZeroFillAhead(Segment& segment, uint64_t write_bytes);
  // Cuts the zero-filled space off the active segment: its file ends at its
  // last record again.
  Status CutZeroFill(Segment& segment);
  void Fail(const Status& status, std::vector<PendingAppend>* to_fail);
  bool SegmentTooOld(const Segment& segment) const;

  // Recovery (partition_recovery.cpp).
  Result<std::shared_ptr<Segment>> OpenSealedSegment(uint64_t base);
  Result<std::shared_ptr<Segment>> RecoverActiveSegment(uint64_t base);
  Result<std::shared_ptr<Segment>> CreateSegment(uint64_t base);
  Status Quarantine(uint64_t base, const Status& why);
  // False when the tail is all zeros: nothing to keep.
  Result<bool> SaveTail(const Segment& segment, uint64_t from, uint64_t size);
  void ReportGaps(const std::vector<std::shared_ptr<Segment>>& segments);

  // Adds index entries for the frames in `frames`, which start at file
  // position `position` of `segment`, and updates its offsets and times.
  void IndexFrames(Segment& segment, std::string_view frames, uint64_t position) const;

  const std::string dir_;
  const StreamOptions options_;
  const PartitionContext context_;
  Clock* const clock_;
  std::unique_ptr<MetricsRegistry> own_metrics_;  // when the context has none
  Metrics metrics_{};

  // What readers see. segments_.back() is the active segment.
  mutable std::shared_mutex state_mu_;
  mutable std::condition_variable_any durable_cv_;
  std::vector<std::shared_ptr<Segment>> segments_;
  uint64_t durable_end_ = 0;
  uint64_t size_bytes_ = 0;

  // What appenders share with the writer thread.
  mutable std::mutex append_mu_;
  std::condition_variable writer_cv_;
  std::string pending_;
  std::vector<PendingAppend> pending_appends_;
  uint64_t next_offset_ = 0;
  int64_t last_time_ = 0;
  Status health_;
  bool stopping_ = false;
  bool roll_requested_ = false;

  // The writer thread and what it owns. ~Impl joins the writer in its body, so
  // the last batch's acknowledgements are posted before completions_ drains.
  CompletionQueue completions_;
  std::thread writer_;
  std::shared_ptr<Segment> active_;  // == segments_.back(), without taking state_mu_
  uint64_t written_size_ = 0;  // bytes written to the active segment
  uint64_t file_size_ = 0;     // of the active segment: written_size_ and the zeros ahead
  bool dirty_ = false;         // written but not yet fdatasync'ed
  int64_t last_sync_nanos_ = 0;
};

}  // namespace eventlake::log
