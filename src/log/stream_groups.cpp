// Consumer groups of a stream (committed offsets, seeks for replay, lag) and
// the stream's maintenance: retention by age and size.
#include <algorithm>

#include "core/logging.h"
#include "log/stream.h"

namespace eventlake::log {

Result<std::vector<uint64_t>> Stream::GroupOffsets(const std::string& group) const {
  EL_RETURN_IF_ERROR(ValidateGroupName(group));
  EL_ASSIGN_OR_RETURN(std::optional<std::vector<uint64_t>> saved, offsets_.Load(group));
  std::vector<uint64_t> offsets = saved.value_or(std::vector<uint64_t>{});
  // A group that never committed, or that predates added partitions, starts
  // those partitions at their oldest retained record.
  for (size_t p = offsets.size(); p < partitions_.size(); ++p) {
    offsets.push_back(partitions_[p]->StartOffset());
  }
  offsets.resize(partitions_.size());
  return offsets;
}

Status Stream::SaveGroup(const std::string& group, const std::vector<uint64_t>& offsets) {
  EL_RETURN_IF_ERROR(ValidateGroupName(group));
  return offsets_.Save(group, offsets);
}

Status Stream::CommitGroup(const std::string& group, const std::vector<uint64_t>& offsets) {
  if (offsets.size() != partitions_.size()) {
    return InvalidArgument("stream " + options_.name + " has " +
                           std::to_string(partitions_.size()) + " partitions, got " +
                           std::to_string(offsets.size()) + " offsets");
  }
  for (size_t p = 0; p < offsets.size(); ++p) {
    uint64_t end = partitions_[p]->EndOffset();
    if (offsets[p] > end) {
      return InvalidArgument("offset " + std::to_string(offsets[p]) + " of partition " +
                             std::to_string(p) + " is past its end " + std::to_string(end));
    }
  }
  return SaveGroup(group, offsets);
}

Status Stream::SeekGroupToOffset(const std::string& group, uint64_t offset) {
  std::vector<uint64_t> offsets;
  for (const auto& p : partitions_) {
    offsets.push_back(std::clamp(offset, p->StartOffset(), p->EndOffset()));
  }
  return SaveGroup(group, offsets);
}

Status Stream::SeekGroupToTime(const std::string& group, TimestampMicros time) {
  std::vector<uint64_t> offsets;
  for (const auto& p : partitions_) {
    EL_ASSIGN_OR_RETURN(uint64_t offset, p->OffsetForTime(time));
    offsets.push_back(offset);
  }
  return SaveGroup(group, offsets);
}

Result<std::vector<GroupStats>> Stream::Groups() const {
  EL_ASSIGN_OR_RETURN(std::vector<std::string> names, offsets_.List());
  std::vector<GroupStats> groups;
  for (const std::string& name : names) {
    EL_ASSIGN_OR_RETURN(std::vector<uint64_t> committed, GroupOffsets(name));
    GroupStats stats{name, committed, {}};
    for (size_t p = 0; p < committed.size(); ++p) {
      uint64_t end = partitions_[p]->EndOffset();
      uint64_t from = std::max(committed[p], partitions_[p]->StartOffset());
      stats.lag.push_back(end > from ? end - from : 0);
    }
    groups.push_back(std::move(stats));
  }
  return groups;
}

void Stream::PublishGauges() {
  MetricLabels stream_label{{"stream", options_.name}};
  metrics_->GetGauge("eventlake_log_size_bytes", "Bytes of segment files per stream.",
                     stream_label)
      .Set(static_cast<double>(SizeBytes()));
  for (const auto& p : partitions_) {
    PartitionStats stats = p->Stats();
    MetricLabels labels{{"stream", options_.name}, {"partition", std::to_string(p->id())}};
    metrics_->GetGauge("eventlake_log_end_offset", "One past the newest durable offset.", labels)
        .Set(static_cast<double>(stats.end_offset));
    metrics_->GetGauge("eventlake_log_start_offset", "The oldest retained offset.", labels)
        .Set(static_cast<double>(stats.start_offset));
    metrics_->GetGauge("eventlake_log_segments", "Segment files per partition.", labels)
        .Set(stats.segments);
    metrics_->GetGauge("eventlake_log_partition_healthy",
                       "1 while the partition accepts writes, 0 after a write failure.", labels)
        .Set(stats.health.ok() ? 1 : 0);
  }
  Result<std::vector<GroupStats>> groups = Groups();
  if (!groups.has_value()) return;
  for (const GroupStats& group : *groups) {
    for (size_t p = 0; p < group.lag.size(); ++p) {
      metrics_
          ->GetGauge("eventlake_log_consumer_lag",
                     "Records between a group's committed offset and the partition's end.",
                     {{"stream", options_.name}, {"group", group.group},
                      {"partition", std::to_string(p)}})
          .Set(static_cast<double>(group.lag[p]));
    }
  }
}

Status Stream::Maintain() {
  Status first_error;
  auto note = [&first_error](const Status& s) {
    if (!s.ok() && first_error.ok()) first_error = s;
  };
  uint64_t freed = 0;
  if (options_.retention_age.count() > 0) {
    TimestampMicros cutoff =
        clock_->NowMicros() -
        std::chrono::duration_cast<std::chrono::microseconds>(options_.retention_age).count();
    for (const auto& p : partitions_) {
      Result<uint64_t> n = p->DeleteSegmentsOlderThan(cutoff);
      n.has_value() ? void(freed += *n) : note(n.error());
    }
  }
  // Retention by size: drop the stream's oldest sealed segment until it fits.
  while (options_.retention_bytes > 0 && SizeBytes() > options_.retention_bytes) {
    Partition* oldest = nullptr;
    TimestampMicros oldest_time = 0;
    for (const auto& p : partitions_) {
      std::optional<TimestampMicros> t = p->OldestSealedSegmentTime();
      if (t.has_value() && (oldest == nullptr || *t < oldest_time)) {
        oldest = p.get();
        oldest_time = *t;
      }
    }
    if (oldest == nullptr) break;  // only active segments left
    Result<uint64_t> n = oldest->DeleteOldestSegment();
    if (!n.has_value()) {
      note(n.error());
      break;
    }
    freed += *n;
  }
  if (freed > 0) {
    if (retention_deleted_bytes_ != nullptr) retention_deleted_bytes_->Increment(freed);
    LogInfo("log", "retention deleted segments", {{"stream", options_.name}, {"bytes", freed}});
  }
  for (const auto& p : partitions_) {
    note(p->Tick());
  }
  return first_error;
}

}  // namespace eventlake::log
