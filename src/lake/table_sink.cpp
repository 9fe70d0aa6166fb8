// TableSink: batches into the table writer, txn offsets with each flush.
#include "lake/table_sink.h"

#include "core/logging.h"

namespace eventlake::lake {

Result<std::unique_ptr<TableSink>> TableSink::Create(TableSinkOptions options) {
  if (options.writer == nullptr) return Err(InvalidArgument("a table sink needs a table writer"));
  if (options.pipeline.empty() || options.pipeline.find('/') != std::string::npos) {
    return Err(InvalidArgument("a table sink's pipeline name must be non-empty and without '/'"));
  }
  auto sink = std::unique_ptr<TableSink>(new TableSink(std::move(options)));
  const std::string prefix = sink->options_.pipeline + "/";
  for (const auto& [app_id, version] : sink->options_.writer->snapshot()->txns) {
    if (!app_id.starts_with(prefix)) continue;
    const uint64_t next = static_cast<uint64_t>(version) + 1;
    sink->positions_[app_id] = {.durable = next, .taken = next};
  }
  if (MetricsRegistry* m = sink->options_.metrics) {
    const MetricLabels labels = {{"pipeline", sink->options_.pipeline},
                                 {"table", sink->options_.writer->options().name}};
    sink->skipped_ = &m->GetCounter("eventlake_table_sink_skipped_events_total",
                                    "Events of batches a table already had (a replay or a retry).", labels);
    sink->refused_ = &m->GetCounter("eventlake_table_sink_refused_events_total",
                                    "Events a table could not take (dead-lettered).", labels);
  }
  return sink;
}

std::string TableSink::AppIdOf(std::string_view origin, uint32_t partition) const {
  return options_.pipeline + "/" + std::string(origin) + "/" + std::to_string(partition);
}

Result<std::vector<pipeline::FailedItem>> TableSink::Deliver(const pipeline::SinkBatch& batch) {
  std::vector<pipeline::FailedItem> refused;
  const std::string app_id = AppIdOf(batch.origin, batch.partition);
  std::lock_guard lock(mu_);
  Position& at = positions_[app_id];
  if (batch.next_offset <= at.taken) {
    if (skipped_ != nullptr) skipped_->Increment(batch.events.size());
    return refused;
  }
  if (batch.first_offset < at.taken) {
    return Err(FailedPrecondition("a batch of " + app_id + " from offset " + std::to_string(batch.first_offset) +
                                  " overlaps what the table has up to " + std::to_string(at.taken)));
  }
  if (batch.first_offset > at.taken && at.lost) {
    return Err(Unavailable("the rows of " + app_id + " after offset " + std::to_string(at.taken) +
                           " were lost by a failed flush; reading again"));
  }
  at.lost = false;
  const int64_t now = options_.clock->NowMicros();
  TakenBatch taken{.app_id = app_id, .next_offset = batch.next_offset, .events = {}};
  for (size_t i = 0; i < batch.events.size(); ++i) {
    // An event without a time is at the time the table took it, in the
    // buffer as in the file.
    CloudEvent event = batch.events[i];
    if (!event.time.has_value()) event.time = now;
    const int64_t time = *event.time;
    if (time > now + options_.max_future.count() || time < now - options_.max_past.count()) {
      refused.push_back({i, InvalidArgument("event time " + FormatRfc3339(time) + " is outside the table's window")});
      continue;
    }
    auto cells = encoder_.Encode(event, now);
    if (!cells.has_value()) {
      refused.push_back({i, cells.error()});
      continue;
    }
    Status added = options_.writer->Add(*cells);
    if (added.code() == StatusCode::kInvalidArgument) {
      refused.push_back({i, added});
      continue;
    }
    if (!added.ok()) return Err(added);
    taken.events.push_back(std::move(event));
  }
  if (refused_ != nullptr) refused_->Increment(refused.size());
  at.rows += taken.events.size();
  at.taken = batch.next_offset;
  if (options_.overwrite) {
    replacing_ = true;  // even by no rows: the next flush replaces the table
  } else if (at.rows == 0) {
    // A partition whose batches added no row since the last flush has
    // nothing at stake: what it took counts as durable.
    at.durable = at.taken;
  }
  if (!taken.events.empty()) buffered_.push_back(std::move(taken));
  if (!options_.overwrite && options_.writer->ShouldFlush()) EL_RETURN_IF_ERROR(FlushLocked());
  return refused;
}

std::optional<uint64_t> TableSink::DurableOffset(std::string_view origin, uint32_t partition) {
  std::lock_guard lock(mu_);
  auto it = positions_.find(AppIdOf(origin, partition));
  return it == positions_.end() ? 0 : it->second.durable;
}

std::optional<uint64_t> TableSink::TakenOffset(std::string_view origin, uint32_t partition) {
  std::lock_guard lock(mu_);
  auto it = positions_.find(AppIdOf(origin, partition));
  return it == positions_.end() ? 0 : it->second.taken;
}

Status TableSink::Tick() {
  std::lock_guard lock(mu_);
  if (options_.overwrite || !options_.writer->ShouldFlush()) return Status::Ok();
  return FlushLocked();
}

Status TableSink::Flush() {
  std::lock_guard lock(mu_);
  return FlushLocked();
}

Status TableSink::FlushLocked() {
  std::vector<TxnAction> txns;
  for (const auto& [app_id, at] : positions_) {
    if (at.rows > 0 || (replacing_ && at.taken > at.durable)) {
      txns.push_back({.app_id = app_id, .version = static_cast<int64_t>(at.taken) - 1});
    }
  }
  if (txns.empty()) return Status::Ok();
  replacing_ = false;
  auto flushed = options_.writer->Flush(
      std::move(txns), options_.overwrite ? TableWriter::FlushMode::kReplace : TableWriter::FlushMode::kAppend);
  if (!flushed.has_value()) {
    // The writer dropped its rows: each partition goes back to what the
    // table has, and its next batch must start there.
    for (auto& [app_id, at] : positions_) {
      if (at.taken > at.durable) at = {.durable = at.durable, .taken = at.durable, .rows = 0, .lost = true};
    }
    buffered_.clear();
    Status reloaded = options_.writer->Reload();
    if (!reloaded.ok()) {
      LogWarn("lake", "table sink could not reload its table after a failed flush",
              {{"table", std::string(name())}, {"error", reloaded.ToString()}});
    }
    return flushed.error().WithContext("table sink " + std::string(name()));
  }
  for (auto& [app_id, at] : positions_) {
    at.durable = at.taken;
    at.rows = 0;
  }
  flushed_ = std::move(buffered_);
  buffered_.clear();
  return Status::Ok();
}

Result<PendingRowsResult> TableSink::ForEachPendingRow(const TableSnapshot& snapshot,
                                                       std::span<const PartitionField> partition_by,
                                                       uint64_t max_rows, const PendingRowFn& row) const {
  PendingRowsResult result;
  EventRowEncoder encoder;
  std::vector<PartitionValue> partitions;
  std::lock_guard lock(mu_);
  const int64_t now = options_.clock->NowMicros();
  for (const std::deque<TakenBatch>* batches : {&flushed_, &buffered_}) {
    for (const TakenBatch& batch : *batches) {
      auto it = snapshot.txns.find(batch.app_id);
      if (it != snapshot.txns.end() && static_cast<uint64_t>(it->second) + 1 >= batch.next_offset) continue;
      for (const CloudEvent& event : batch.events) {
        if (result.rows >= max_rows) {
          result.truncated = true;
          return result;
        }
        auto cells = encoder.Encode(event, now);
        if (!cells.has_value()) continue;
        PartitionValuesInto(partition_by, *cells, &partitions);
        EL_RETURN_IF_ERROR(row(*cells, partitions));
        ++result.rows;
      }
    }
  }
  return result;
}

}  // namespace eventlake::lake
