// The journal side of the dedup window: batches of committed entries with a
// checkpoint, compaction, and the background thread that runs them. The safe
// time written with each batch is what makes a crash recoverable (see
// docs/formats/dedup.md, "Writing").
#include <algorithm>
#include <utility>

#include "core/logging.h"
#include "ingest/dedup_window.h"
#include "ingest/dedup_window_internal.h"

namespace eventlake::ingest {
namespace {

// Compaction only pays off past this many frames.
constexpr uint64_t kMinFramesToCompact = 4096;

}  // namespace

Status DedupWindow::Flush() { return FlushRound(false); }

Status DedupWindow::Compact() { return FlushRound(true); }

Status DedupWindow::FlushRound(bool force_rewrite) {
  std::lock_guard lock(flush_mu_);
  const TimestampMicros now = clock_->NowMicros();
  Status status;
  if (force_rewrite || journal_broken_) {
    status = Rewrite(now);
  } else {
    status = AppendPending(now);
  }
  if (!status.ok()) {
    if (!journal_broken_) {
      LogError("dedup", "journal write failed; it will be rewritten",
               {{"stream", stream_name_}, {"error", status.ToString()}});
    }
    journal_broken_ = true;
    metrics_->journal_errors->Increment();
    return status;
  }
  journal_broken_ = false;
  return Status::Ok();
}

// Takes every shard's pending entries and the earliest in-flight claim time,
// and appends them with one write. A shard whose pending entries overflowed
// turns the round into a rewrite.
Status DedupWindow::AppendPending(TimestampMicros now) {
  const TimestampMicros cutoff = now - window_micros_;
  TimestampMicros safe_time = now;
  bool dropped = false;
  size_t live = 0;
  batch_.clear();
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    shard->table.ExpireBefore(cutoff);
    live += shard->table.size();
    batch_.insert(batch_.end(), shard->pending.begin(), shard->pending.end());
    shard->pending.clear();
    dropped |= std::exchange(shard->pending_dropped, false);
    for (const auto& [key, claim] : shard->in_flight) {
      safe_time = std::min(safe_time, claim.claimed_at);
    }
  }
  if (dropped) return Rewrite(now);
  if (!batch_.empty()) EL_RETURN_IF_ERROR(journal_->Append(batch_, safe_time));
  const uint64_t frames = journal_->frames();
  if (frames > kMinFramesToCompact && frames > 2 * live) return Rewrite(now);
  return Status::Ok();
}

// Writes the live entries of every shard, shard by shard (each under its lock
// only while it is copied), then a checkpoint, into a new file.
Status DedupWindow::Rewrite(TimestampMicros now) {
  const TimestampMicros cutoff = now - window_micros_;
  TimestampMicros safe_time = now;
  EL_ASSIGN_OR_RETURN(DedupJournal::Rewriter rewriter, journal_->StartRewrite());
  for (const auto& shard : shards_) {
    batch_.clear();
    {
      std::lock_guard lock(shard->mu);
      shard->table.ExpireBefore(cutoff);
      shard->table.ForEach([this](const DedupEntry& e) { batch_.push_back(e); });
      shard->pending.clear();  // in the table, hence in this copy
      shard->pending_dropped = false;
      for (const auto& [key, claim] : shard->in_flight) {
        safe_time = std::min(safe_time, claim.claimed_at);
      }
    }
    EL_RETURN_IF_ERROR(rewriter.Add(batch_));
  }
  batch_.clear();
  return rewriter.Finish(safe_time);
}

void DedupWindow::FlushLoop() {
  std::unique_lock lock(stop_mu_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, flush_interval_, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    (void)FlushRound(false);  // failures are logged and counted; the next round rewrites
    lock.lock();
  }
}

DedupWindow::~DedupWindow() {
  if (registry_ != nullptr && collect_hook_ != 0) registry_->RemoveCollectHook(collect_hook_);
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  (void)FlushRound(false);
}

}  // namespace eventlake::ingest
