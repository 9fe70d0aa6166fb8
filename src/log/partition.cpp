// Appends and the writer thread: group commit, segment rolling, and the
// failure rule (a failed write or fsync stops the partition for good).
#include "log/partition.h"

#include <fcntl.h>

#include <algorithm>
#include <future>

#include "core/logging.h"
#include "log/crc32c.h"
#include "log/event_codec.h"
#include "log/partition_impl.h"
#include "log/record_format.h"

namespace eventlake::log {
namespace {

Counter* PartitionCounter(MetricsRegistry& registry, const PartitionContext& c,
                          std::string_view name, std::string_view help) {
  return &registry.GetCounter(name, help,
                              {{"stream", c.stream}, {"partition", std::to_string(c.id)}});
}

}  // namespace

Partition::Impl::Impl(std::string dir, const StreamOptions& options, PartitionContext context)
    : dir_(std::move(dir)), options_(options), context_(std::move(context)),
      clock_(context_.clock) {
  MetricsRegistry* registry = context_.metrics;
  if (registry == nullptr) {
    own_metrics_ = std::make_unique<MetricsRegistry>();
    registry = own_metrics_.get();
  }
  const PartitionContext& c = context_;
  metrics_.records_appended = PartitionCounter(*registry, c, "eventlake_log_records_appended_total",
                                               "Records appended and acknowledged.");
  metrics_.bytes_appended = PartitionCounter(*registry, c, "eventlake_log_bytes_appended_total",
                                             "Bytes of framed records appended.");
  metrics_.fsyncs = PartitionCounter(*registry, c, "eventlake_log_fsyncs_total",
                                     "fdatasync calls on segment files.");
  metrics_.write_errors = PartitionCounter(*registry, c, "eventlake_log_write_errors_total",
                                           "Failed writes or syncs; each stops the partition.");
  metrics_.rejected_appends = PartitionCounter(*registry, c, "eventlake_log_rejected_appends_total",
                                               "Appends refused (backpressure, failure, size).");
  metrics_.quarantined_segments =
      PartitionCounter(*registry, c, "eventlake_log_quarantined_segments_total",
                       "Segments moved to quarantine/ by recovery.");
  metrics_.truncated_bytes = PartitionCounter(*registry, c, "eventlake_log_truncated_bytes_total",
                                              "Bytes of torn tails cut by recovery.");
  metrics_.missing_offsets = PartitionCounter(
      *registry, c, "eventlake_log_missing_offsets_total",
      "Offsets found missing between segments at open (lost or quarantined records).");
  metrics_.segments_rolled = PartitionCounter(*registry, c, "eventlake_log_segments_rolled_total",
                                              "Segments sealed and replaced by a new one.");
  metrics_.fsync_seconds = &registry->GetHistogram(
      "eventlake_log_fsync_seconds", "Latency of fdatasync on segment files.", LatencyBuckets(),
      {{"stream", c.stream}});
}

Partition::Impl::~Impl() {
  {
    std::lock_guard lock(append_mu_);
    stopping_ = true;
  }
  writer_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  // A clean close leaves the segment ending at its last record.
  if (active_ != nullptr && file_size_ > written_size_) {
    Status status = CutZeroFill(*active_);
    if (status.ok()) status = SyncData(active_->file.fd(), active_->log_path);
    if (!status.ok()) {
      LogWarn("log",
              "could not cut the zero-filled space off the active segment (the next open does)",
              {{"segment", active_->log_path}, {"error", status.ToString()}});
    }
  }
}

void Partition::Impl::StartWriter() { writer_ = std::thread([this] { WriterLoop(); }); }

Status Partition::Impl::Health() const {
  std::lock_guard lock(append_mu_);
  return health_;
}

void Partition::Impl::Append(std::span<const CloudEvent* const> events,
                             PartitionAppendDone done) {
  // Encode and checksum the payloads outside the lock; the lock only stamps
  // offsets and times and extends each checksum over 20 header bytes. The
  // frames are sized first, so that they are encoded into one allocation.
  size_t frames_size = 0;
  for (const CloudEvent* event : events) {
    size_t size = EncodedEventSize(*event);
    if (size > kMaxRecordPayload) {
      metrics_.rejected_appends->Increment();
      done(Err(InvalidArgument("event " + event->id + " is " + std::to_string(size) +
                               " bytes encoded, over the 16 MiB record limit")));
      return;
    }
    frames_size += kRecordHeaderSize + size;
  }
  std::string frames;
  frames.reserve(frames_size);
  for (const CloudEvent* event : events) {
    size_t header = frames.size();
    frames.resize(header + kRecordHeaderSize);
    EncodeEvent(*event, &frames);
    size_t size = frames.size() - header - kRecordHeaderSize;
    PutFixed32(frames.data() + header, crc32c::Value(frames.data() + header + kRecordHeaderSize, size));
    PutFixed32(frames.data() + header + 4, static_cast<uint32_t>(size));
  }
  if (frames.empty()) {
    done(Err(InvalidArgument("nothing to append")));
    return;
  }
  Status refused;
  {
    std::lock_guard lock(append_mu_);
    if (!health_.ok()) {
      refused = FailedPrecondition("partition " + context_.stream + "/" +
                                   std::to_string(context_.id) +
                                   " refuses writes after a failure: " + health_.message());
    } else if (stopping_) {
      refused = Unavailable("partition is closing");
    } else if (!pending_.empty() && pending_.size() + frames.size() > options_.max_pending_bytes) {
      refused = ResourceExhausted("partition " + context_.stream + "/" +
                                  std::to_string(context_.id) + " has " +
                                  std::to_string(pending_.size()) +
                                  " bytes waiting for the disk (max_pending_bytes); retry later");
    } else {
      last_time_ = std::max(last_time_, clock_->NowMicros());
      uint64_t first = next_offset_;
      for (size_t pos = 0; pos < frames.size();) {
        char* header = frames.data() + pos;
        uint32_t length = GetFixed32(header + 4);
        EncodeRecordHeader(GetFixed32(header), length, next_offset_++, last_time_, header);
        pos += kRecordHeaderSize + length;
      }
      bool was_empty = pending_.empty();
      if (was_empty) {
        pending_.swap(frames);  // the writer has taken the last batch: no copy
      } else {
        pending_.append(frames);
      }
      pending_appends_.push_back({std::move(done), first});
      if (was_empty) writer_cv_.notify_one();
      return;
    }
  }
  metrics_.rejected_appends->Increment();
  done(Err(std::move(refused)));
}

bool Partition::Impl::SegmentTooOld(const Segment& segment) const {
  return !segment.empty() &&
         clock_->NowMicros() - segment.first_time >=
             std::chrono::duration_cast<std::chrono::microseconds>(options_.segment_max_age)
                 .count();
}

Status Partition::Impl::Tick() {
  {
    std::lock_guard lock(append_mu_);
    if (!health_.ok()) return Status::Ok();  // failed partitions are reported by Stats()
    roll_requested_ = true;  // the writer rolls only if the segment is too old
  }
  writer_cv_.notify_one();
  return Status::Ok();
}

void Partition::Impl::WriterLoop() {
  std::string frames;
  std::vector<PendingAppend> appends;
  std::unique_lock lock(append_mu_);
  while (true) {
    bool interval = options_.durability == Durability::kInterval;
    auto ready = [&] { return stopping_ || !pending_.empty() || roll_requested_; };
    if (interval && dirty_) {
      writer_cv_.wait_for(lock, options_.fsync_interval, ready);
    } else {
      writer_cv_.wait(lock, ready);
    }
    if (pending_.empty() && stopping_) break;
    frames.swap(pending_);
    appends.swap(pending_appends_);
    bool roll = std::exchange(roll_requested_, false);
    Status health = health_;
    lock.unlock();

    Status status = health.ok() ? WriteBatch(frames, roll) : health;
    if (!status.ok()) {
      lock.lock();
      Fail(status, &appends);
      lock.unlock();
    }
    completions_.Post([appends = std::move(appends), status]() mutable {
      for (PendingAppend& append : appends) {
        if (status.ok()) {
          append.done(append.first_offset);
        } else {
          append.done(
              Err(FailedPrecondition("append failed, partition stopped: " + status.message())));
        }
      }
    });
    frames.clear();
    appends = {};
    lock.lock();
  }
  bool healthy = health_.ok();
  lock.unlock();
  if (dirty_ && healthy) {
    Status s = Sync(*active_);
    if (!s.ok()) LogError("log", "final sync failed", {{"error", s.ToString()}});
  }
}

// Records the failure and moves every waiting append into `to_fail`. Called
// with append_mu_ held.
void Partition::Impl::Fail(const Status& status, std::vector<PendingAppend>* to_fail) {
  if (health_.ok()) {
    health_ = status;
    metrics_.write_errors->Increment();
    LogError("log", "partition stopped accepting writes",
             {{"stream", context_.stream}, {"partition", context_.id}, {"error", status.ToString()}});
  }
  for (PendingAppend& append : pending_appends_) to_fail->push_back(std::move(append));
  pending_appends_.clear();
  pending_.clear();
}

Status Partition::Impl::Sync(Segment& segment) {
  int64_t start = clock_->MonotonicNanos();
  Status status = context_.before_sync ? context_.before_sync(segment.log_path) : Status::Ok();
  if (status.ok()) status = SyncData(segment.file.fd(), segment.log_path);
  int64_t end = clock_->MonotonicNanos();
  metrics_.fsyncs->Increment();
  metrics_.fsync_seconds->Observe(static_cast<double>(end - start) / 1e9);
  if (status.ok()) {
    dirty_ = false;
    last_sync_nanos_ = end;
  }
  return status;
}

// Zero-filled space ahead, as Postgres zero-fills its WAL segments: an
// fdatasync after a write that makes the file longer must also commit the
// file system's journal (the new size and blocks), one that overwrites
// allocated blocks flushes only the data. On ext4, measured 2026-12-04
// (docs/benchmarks.md), a 30 KB write plus fdatasync ran 1.15-1.45x as
// often with a third less CPU when it landed in zeros. So when a write
// reaches the end of the file, the space ahead is zero-filled too, in the
// same fdatasync: 32 writes' worth like this one, between 64 KiB and 1 MiB,
// so that a stream that writes little keeps little on disk; and not at all
// after a write of more than 256 KiB, where zeros for fewer than 4 such
// writes cost more disk bandwidth than the journal commits they save
// (bench_log_append's 64 appenders of 100 events, 1 MB per write, lost 15%
// with them). fallocate would not do: its unwritten extents are converted
// on the first write, which is a journal commit again. Recovery already
// ends a segment at the first all-zero frame header and cuts what follows
// (docs/formats/log.md), and a sealed or closed segment is cut to its last
// record.
constexpr uint64_t kMinZeroFillBytes = 64 << 10;
constexpr uint64_t kMaxZeroFillBytes = 1 << 20;

void Partition::Impl::ZeroFillAhead(Segment& segment, uint64_t write_bytes) {
  static const std::string* const zeros = new std::string(kMaxZeroFillBytes, '\0');
  uint64_t bytes = std::clamp<uint64_t>(32 * write_bytes, kMinZeroFillBytes, kMaxZeroFillBytes);
  if (bytes < 4 * write_bytes) return;
  Status status = PWriteAll(segment.file.fd(), std::string_view(*zeros).substr(0, bytes),
                            written_size_, segment.log_path);
  if (!status.ok()) {
    // Only a saving, and the records are written: a full disk says so here
    // first. Whatever zeros did land are cut on close or by the next open.
    LogDebug("log", "could not zero-fill space ahead",
             {{"segment", segment.log_path}, {"error", status.ToString()}});
    return;
  }
  file_size_ = written_size_ + bytes;
}

Status Partition::Impl::CutZeroFill(Segment& segment) {
  if (file_size_ <= written_size_) return Status::Ok();
  EL_RETURN_IF_ERROR(Truncate(segment.file.fd(), written_size_, segment.log_path));
  file_size_ = written_size_;
  dirty_ = true;
  return Status::Ok();
}

Status Partition::Impl::WriteBatch(const std::string& frames, bool roll_requested) {
  Segment* active = active_.get();
  if (!frames.empty()) {
    bool too_big = !active->empty() && written_size_ + frames.size() > options_.segment_max_bytes;
    if (too_big || SegmentTooOld(*active)) {
      EL_RETURN_IF_ERROR(Roll(GetFixed64(frames.data() + 8)));
      active = active_.get();
    }
  } else if (roll_requested && SegmentTooOld(*active)) {
    EL_RETURN_IF_ERROR(Roll(active->next_offset));
    return Status::Ok();
  }
  if (frames.empty()) {
    if (dirty_ && options_.durability == Durability::kInterval &&
        clock_->MonotonicNanos() - last_sync_nanos_ >=
            std::chrono::duration_cast<std::chrono::nanoseconds>(options_.fsync_interval).count()) {
      return Sync(*active);
    }
    return Status::Ok();
  }
  uint64_t position = written_size_;
  EL_RETURN_IF_ERROR(PWriteAll(active->file.fd(), frames, position, active->log_path));
  written_size_ += frames.size();
  file_size_ = std::max(file_size_, written_size_);
  dirty_ = true;
  if (options_.durability != Durability::kNone && written_size_ == file_size_) {
    ZeroFillAhead(*active, frames.size());
  }
  bool sync = options_.durability == Durability::kFsync ||
              (options_.durability == Durability::kInterval &&
               clock_->MonotonicNanos() - last_sync_nanos_ >=
                   std::chrono::duration_cast<std::chrono::nanoseconds>(options_.fsync_interval)
                       .count());
  if (sync) EL_RETURN_IF_ERROR(Sync(*active));
  {
    std::unique_lock state(state_mu_);
    IndexFrames(*active, frames, position);
    active->size = written_size_;
    durable_end_ = active->next_offset;
    size_bytes_ += frames.size();
  }
  durable_cv_.notify_all();
  uint64_t records = active->next_offset - GetFixed64(frames.data() + 8);
  metrics_.records_appended->Increment(records);
  metrics_.bytes_appended->Increment(frames.size());
  return Status::Ok();
}

void Partition::Impl::IndexFrames(Segment& segment, std::string_view frames,
                                  uint64_t position) const {
  for (size_t pos = 0; pos < frames.size();) {
    const char* header = frames.data() + pos;
    uint32_t length = GetFixed32(header + 4);
    uint64_t offset = GetFixed64(header + 8);
    int64_t time = static_cast<int64_t>(GetFixed64(header + 16));
    uint64_t file_position = position + pos;
    if (segment.index.empty() ||
        file_position - segment.index.back().position >= options_.index_interval_bytes) {
      segment.index.push_back({static_cast<uint32_t>(offset - segment.base_offset),
                               static_cast<uint32_t>(file_position), time});
    }
    if (segment.empty()) segment.first_time = time;
    segment.last_time = time;
    segment.next_offset = offset + 1;
    pos += kRecordHeaderSize + length;
  }
}

// Seals the active segment (data and index durable) and starts a new one at
// `new_base`, durable in the directory before any record is written to it.
Status Partition::Impl::Roll(uint64_t new_base) {
  Segment& old = *active_;
  EL_RETURN_IF_ERROR(CutZeroFill(old));
  if (dirty_) EL_RETURN_IF_ERROR(Sync(old));
  std::vector<IndexEntry> index;
  {
    std::shared_lock state(state_mu_);
    index = old.index;
  }
  EL_RETURN_IF_ERROR(WriteFileAtomically(old.index_path, EncodeIndex(old.base_offset, index)));
  EL_ASSIGN_OR_RETURN(std::shared_ptr<Segment> fresh, CreateSegment(new_base));
  {
    std::unique_lock state(state_mu_);
    old.sealed = true;
    segments_.push_back(fresh);
    size_bytes_ += fresh->size;
  }
  active_ = fresh;
  written_size_ = fresh->size;
  file_size_ = fresh->size;
  metrics_.segments_rolled->Increment();
  LogDebug("log", "segment rolled",
           {{"stream", context_.stream}, {"partition", context_.id}, {"base", new_base}});
  return Status::Ok();
}

// --- the public face --------------------------------------------------------

Partition::Partition(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Partition::~Partition() = default;

Result<std::unique_ptr<Partition>> Partition::Open(std::string dir, const StreamOptions& options,
                                                   PartitionContext context) {
  auto impl = std::make_unique<Impl>(std::move(dir), options, std::move(context));
  EL_RETURN_IF_ERROR(impl->Recover());
  impl->StartWriter();
  return std::unique_ptr<Partition>(new Partition(std::move(impl)));
}

namespace {
std::vector<const CloudEvent*> Pointers(std::span<const CloudEvent> events) {
  std::vector<const CloudEvent*> pointers;
  pointers.reserve(events.size());
  for (const CloudEvent& event : events) pointers.push_back(&event);
  return pointers;
}
}  // namespace

void Partition::Append(std::span<const CloudEvent> events, PartitionAppendDone done) {
  impl_->Append(Pointers(events), std::move(done));
}

void Partition::Append(std::span<const CloudEvent* const> events, PartitionAppendDone done) {
  impl_->Append(events, std::move(done));
}

Result<uint64_t> Partition::AppendAndWait(std::span<const CloudEvent> events) {
  std::promise<Result<uint64_t>> promise;
  std::future<Result<uint64_t>> future = promise.get_future();
  impl_->Append(Pointers(events),
                [&promise](Result<uint64_t> r) { promise.set_value(std::move(r)); });
  return future.get();
}

Result<std::vector<LogRecord>> Partition::Read(uint64_t from, const ReadLimits& limits) const {
  return impl_->Read(from, limits);
}
Result<uint64_t> Partition::OffsetForTime(TimestampMicros time) const {
  return impl_->OffsetForTime(time);
}
bool Partition::WaitForOffset(uint64_t offset, std::chrono::milliseconds timeout) const {
  return impl_->WaitForOffset(offset, timeout);
}
uint64_t Partition::StartOffset() const { return impl_->StartOffset(); }
uint64_t Partition::EndOffset() const { return impl_->EndOffset(); }
uint64_t Partition::SizeBytes() const { return impl_->SizeBytes(); }
PartitionStats Partition::Stats() const { return impl_->Stats(); }
uint32_t Partition::id() const { return impl_->context().id; }
Result<uint64_t> Partition::DeleteSegmentsOlderThan(TimestampMicros cutoff) {
  return impl_->DeleteFrontSegments(cutoff, SIZE_MAX);
}
Result<uint64_t> Partition::DeleteOldestSegment() {
  return impl_->DeleteFrontSegments(INT64_MAX, 1);
}
std::optional<TimestampMicros> Partition::OldestSealedSegmentTime() const {
  return impl_->OldestSealedSegmentTime();
}
Status Partition::Tick() { return impl_->Tick(); }

}  // namespace eventlake::log
