// Reads by offset and by time, statistics, and retention of whole segments.
// Readers take the state lock only to pick a segment and a start position,
// then scan the file without it.
#include <algorithm>

#include "core/logging.h"
#include "log/event_codec.h"
#include "log/partition_impl.h"

namespace eventlake::log {
namespace {

// Where a read from `next` continues: the segment holding it, or the first
// segment after a gap (retention or quarantine). Null when nothing is there.
std::shared_ptr<Segment> SegmentFor(const std::vector<std::shared_ptr<Segment>>& segments,
                                    uint64_t* next) {
  auto it = std::upper_bound(segments.begin(), segments.end(), *next,
                             [](uint64_t offset, const std::shared_ptr<Segment>& s) {
                               return offset < s->base_offset;
                             });
  if (it == segments.begin()) {
    *next = segments.front()->base_offset;
    return segments.front();
  }
  const std::shared_ptr<Segment>& holder = *std::prev(it);
  if (*next < holder->next_offset) return holder;
  if (it == segments.end()) return nullptr;
  *next = (*it)->base_offset;
  return *it;
}

Status ScanError(const SegmentScanner& scanner, const std::string& path) {
  std::string message = path + " at position " + std::to_string(scanner.position()) + ": " +
                        scanner.error();
  return scanner.stop() == SegmentScanner::Stop::kIOError ? IOError(message)
                                                          : Corruption(message);
}

}  // namespace

Result<std::vector<LogRecord>> Partition::Impl::Read(uint64_t from,
                                                     const ReadLimits& limits) const {
  std::vector<LogRecord> out;
  uint64_t bytes = 0;
  uint64_t next = from;
  bool skip_index = false;
  while (out.size() < limits.max_records) {
    std::shared_ptr<Segment> segment;
    uint64_t position = 0, limit = 0, end = 0, segment_end = 0;
    {
      std::shared_lock state(state_mu_);
      end = durable_end_;
      if (next >= end) break;
      segment = SegmentFor(segments_, &next);
      if (segment == nullptr || next >= end) break;
      position = skip_index ? kSegmentHeaderSize
                            : IndexPositionForOffset(segment->index, segment->base_offset, next);
      limit = segment->size;
      segment_end = std::min(segment->next_offset, end);
    }
    SegmentScanner scanner(segment->file.fd(), segment->log_path, position, limit);
    ScannedRecord record;
    bool first = true;
    bool misled = false;
    while (out.size() < limits.max_records && next < segment_end && scanner.Next(&record)) {
      if (first && record.offset > next) {
        misled = true;  // the index entry names a later record than it points at
        break;
      }
      first = false;
      if (record.offset < next) continue;
      if (!out.empty() && bytes + record.payload.size() > limits.max_bytes) return out;
      Result<CloudEvent> event = DecodeEvent(record.payload);
      if (!event.has_value()) {
        return Err(event.error().WithContext(segment->log_path + " offset " +
                                             std::to_string(record.offset)));
      }
      out.push_back({record.offset, record.append_time, std::move(*event)});
      bytes += record.payload.size();
      next = record.offset + 1;
    }
    if (out.size() >= limits.max_records || next >= end) break;
    if (position != kSegmentHeaderSize && first && (misled || next < segment_end)) {
      // The index sent us somewhere that is not a record at or before the one
      // wanted. The index is derived data: scan this segment from its start.
      LogWarn("log", "index entry does not match its segment; scanning from the start",
              {{"segment", segment->log_path}, {"offset", next}});
      skip_index = true;
      continue;
    }
    if (next < segment_end) {  // the scanner stopped before the records it should hold
      if (scanner.stop() == SegmentScanner::Stop::kNone ||
          scanner.stop() == SegmentScanner::Stop::kEnd) {
        return Err(Corruption(segment->log_path + " ends before offset " +
                              std::to_string(segment_end)));
      }
      return Err(ScanError(scanner, segment->log_path));
    }
  }
  return out;
}

Result<uint64_t> Partition::Impl::OffsetForTime(TimestampMicros time) const {
  std::shared_ptr<Segment> segment;
  uint64_t position = 0, limit = 0, end = 0;
  {
    std::shared_lock state(state_mu_);
    end = durable_end_;
    for (const auto& s : segments_) {
      if (!s->empty() && s->last_time >= time) {
        segment = s;
        break;
      }
    }
    if (segment == nullptr) return end;
    position = IndexPositionForTime(segment->index, time);
    limit = segment->size;
  }
  SegmentScanner scanner(segment->file.fd(), segment->log_path, position, limit);
  ScannedRecord record;
  while (scanner.Next(&record)) {
    if (record.append_time >= time) return std::min(record.offset, end);
  }
  if (scanner.stop() != SegmentScanner::Stop::kEnd) {
    return Err(ScanError(scanner, segment->log_path));
  }
  return end;
}

bool Partition::Impl::WaitForOffset(uint64_t offset, std::chrono::milliseconds timeout) const {
  std::shared_lock state(state_mu_);
  return durable_cv_.wait_for(state, timeout, [&] { return durable_end_ > offset; });
}

uint64_t Partition::Impl::StartOffset() const {
  std::shared_lock state(state_mu_);
  return segments_.front()->base_offset;
}

uint64_t Partition::Impl::EndOffset() const {
  std::shared_lock state(state_mu_);
  return durable_end_;
}

uint64_t Partition::Impl::SizeBytes() const {
  std::shared_lock state(state_mu_);
  return size_bytes_;
}

PartitionStats Partition::Impl::Stats() const {
  PartitionStats stats;
  {
    std::shared_lock state(state_mu_);
    stats.start_offset = segments_.front()->base_offset;
    stats.end_offset = durable_end_;
    stats.size_bytes = size_bytes_;
    stats.segments = static_cast<uint32_t>(segments_.size());
    for (const auto& s : segments_) {
      if (s->empty()) continue;
      if (stats.oldest_append_time == 0) stats.oldest_append_time = s->first_time;
      stats.newest_append_time = s->last_time;
    }
  }
  stats.health = Health();
  return stats;
}

Result<uint64_t> Partition::Impl::DeleteFrontSegments(TimestampMicros cutoff,
                                                      size_t max_segments) {
  std::vector<std::shared_ptr<Segment>> doomed;
  {
    std::unique_lock state(state_mu_);
    while (doomed.size() < max_segments && segments_.size() > 1 &&
           segments_.front()->last_time < cutoff) {
      doomed.push_back(segments_.front());
      size_bytes_ -= segments_.front()->size;
      segments_.erase(segments_.begin());
    }
  }
  uint64_t freed = 0;
  for (const auto& segment : doomed) {
    // The .log goes first: recovery removes an .idx left without its .log.
    EL_RETURN_IF_ERROR(RemoveFile(segment->log_path));
    if (PathExists(segment->index_path)) EL_RETURN_IF_ERROR(RemoveFile(segment->index_path));
    freed += segment->size;
  }
  if (!doomed.empty()) EL_RETURN_IF_ERROR(SyncDirectory(dir_));
  return freed;
}

std::optional<TimestampMicros> Partition::Impl::OldestSealedSegmentTime() const {
  std::shared_lock state(state_mu_);
  if (segments_.size() < 2) return std::nullopt;
  return segments_.front()->last_time;
}

}  // namespace eventlake::log
