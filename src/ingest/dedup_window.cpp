// Claims, commits and aborts: the hot path of the dedup window. Each call
// takes one shard's lock for a few hash-table operations; continuations are
// collected under the lock and run after it is released.
#include "ingest/dedup_window.h"

#include <algorithm>

#include "ingest/dedup_window_internal.h"

namespace eventlake::ingest {

DedupWindow::Shard& DedupWindow::ShardFor(const DedupKey& key) const {
  return *shards_[key.w0 % shards_.size()];
}

DedupKey DedupWindow::KeyFor(std::string_view source, std::string_view id) const {
  return MakeDedupKey(secret_, source, id);
}

DedupClaim DedupWindow::Claim(std::string_view source, std::string_view id) {
  return Claim(KeyFor(source, id));
}

DedupClaim DedupWindow::Claim(const DedupKey& key) {
  const TimestampMicros now = clock_->NowMicros();
  Shard& shard = ShardFor(key);
  std::unique_lock lock(shard.mu);
  shard.table.ExpireBefore(now - window_micros_);
  if (const DedupEntry* entry = shard.table.Find(key)) {
    const log::RecordPosition position = entry->position;
    lock.unlock();
    metrics_->hits->Increment();
    return {DedupVerdict::kDuplicate, key, position};
  }
  auto [it, inserted] = shard.in_flight.try_emplace(key);
  if (!inserted) return {DedupVerdict::kInFlight, key, {}};
  it->second.claimed_at = now;
  return {DedupVerdict::kNew, key, {}};
}

void DedupWindow::WaitFor(const DedupKey& key, DedupContinuation then) {
  const TimestampMicros now = clock_->NowMicros();
  Shard& shard = ShardFor(key);
  std::unique_lock lock(shard.mu);
  shard.table.ExpireBefore(now - window_micros_);
  if (const DedupEntry* entry = shard.table.Find(key)) {
    const log::RecordPosition position = entry->position;
    lock.unlock();
    metrics_->hits->Increment();
    then({DedupVerdict::kDuplicate, key, position});
    return;
  }
  auto [it, inserted] = shard.in_flight.try_emplace(key);
  if (!inserted) {
    it->second.waiters.push_back(std::move(then));
    return;
  }
  // The first append ended (and was aborted, or expired) before we got here.
  it->second.claimed_at = now;
  lock.unlock();
  then({DedupVerdict::kNew, key, {}});
}

void DedupWindow::Commit(const DedupKey& key, log::RecordPosition position) {
  const TimestampMicros now = clock_->NowMicros();
  Shard& shard = ShardFor(key);
  std::vector<DedupContinuation> waiters;
  size_t evicted = 0;
  {
    std::lock_guard lock(shard.mu);
    shard.table.ExpireBefore(now - window_micros_);
    if (auto it = shard.in_flight.find(key); it != shard.in_flight.end()) {
      waiters = std::move(it->second.waiters);
      shard.in_flight.erase(it);
    }
    shard.last_time = std::max(shard.last_time, now);
    const DedupEntry entry{key, position, shard.last_time};
    if (shard.table.Insert(entry, &evicted)) {
      if (shard.pending.size() < shard.table.max_entries()) {
        shard.pending.push_back(entry);
      } else {
        shard.pending.clear();  // the flush is behind: the next round rewrites from the table
        shard.pending_dropped = true;
      }
    } else {
      position = shard.table.Find(key)->position;  // known already: the first copy wins
    }
  }
  if (evicted > 0) metrics_->evicted->Increment(evicted);
  if (!waiters.empty()) metrics_->hits->Increment(waiters.size());
  for (DedupContinuation& then : waiters) then({DedupVerdict::kDuplicate, key, position});
}

void DedupWindow::Abort(const DedupKey& key) {
  Shard& shard = ShardFor(key);
  DedupContinuation next;
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.in_flight.find(key);
    if (it == shard.in_flight.end()) return;
    if (it->second.waiters.empty()) {
      shard.in_flight.erase(it);
      return;
    }
    // The first waiter takes the claim over; the others keep waiting on it.
    next = std::move(it->second.waiters.front());
    it->second.waiters.erase(it->second.waiters.begin());
  }
  next({DedupVerdict::kNew, key, {}});
}

DedupStats DedupWindow::Stats() const {
  DedupStats stats;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    stats.entries += shard->table.size();
    stats.in_flight += shard->in_flight.size();
  }
  stats.hits = metrics_->hits->Value();
  stats.rebuilt = metrics_->rebuilt->Value();
  stats.evicted = metrics_->evicted->Value();
  stats.journal_errors = metrics_->journal_errors->Value();
  {
    std::lock_guard lock(flush_mu_);
    stats.journal_frames = journal_->frames();
  }
  return stats;
}

void DedupWindow::PublishGauges() {
  size_t entries = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    entries += shard->table.size();
  }
  metrics_->entries->Set(static_cast<double>(entries));
}

}  // namespace eventlake::ingest
