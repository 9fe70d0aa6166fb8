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

DedupClaim DedupWindow::ClaimLocked(Shard& shard, const DedupKey& key, TimestampMicros now,
                                    size_t* hits) {
  if (const DedupEntry* entry = shard.table.Find(key)) {
    ++*hits;
    return {DedupVerdict::kDuplicate, key, entry->position};
  }
  auto [it, inserted] = shard.in_flight.try_emplace(key);
  if (!inserted) return {DedupVerdict::kInFlight, key, {}};
  it->second.claimed_at = now;
  return {DedupVerdict::kNew, key, {}};
}

DedupClaim DedupWindow::Claim(const DedupKey& key) {
  const TimestampMicros now = clock_->NowMicros();
  Shard& shard = ShardFor(key);
  size_t hits = 0;
  DedupClaim claim;
  {
    std::lock_guard lock(shard.mu);
    shard.table.ExpireBefore(now - window_micros_);
    claim = ClaimLocked(shard, key, now, &hits);
  }
  if (hits > 0) metrics_->hits->Increment(hits);
  return claim;
}

template <typename F>
void DedupWindow::ForEachShardRun(std::span<const DedupKey> keys, F&& f) {
  if (keys.size() == 1) {  // one event per request: nothing to sort
    static constexpr uint32_t kFirst = 0;
    f(*shards_[ShardIndex(keys[0])], std::span<const uint32_t>(&kFirst, 1));
    return;
  }
  // A counting sort of the positions by shard: stable, so a shard's run
  // keeps the order of `keys`.
  std::vector<uint32_t> starts(shards_.size() + 1, 0);
  for (const DedupKey& key : keys) ++starts[ShardIndex(key) + 1];
  for (size_t s = 1; s < starts.size(); ++s) starts[s] += starts[s - 1];
  std::vector<uint32_t> order(keys.size());
  std::vector<uint32_t> next(starts.begin(), starts.end() - 1);
  for (size_t i = 0; i < keys.size(); ++i)
    order[next[ShardIndex(keys[i])]++] = static_cast<uint32_t>(i);
  for (size_t s = 0; s < shards_.size(); ++s) {
    if (starts[s] == starts[s + 1]) continue;
    f(*shards_[s], std::span<const uint32_t>(order).subspan(starts[s], starts[s + 1] - starts[s]));
  }
}

void DedupWindow::ClaimAll(std::span<const DedupKey> keys, std::span<DedupClaim> claims) {
  const TimestampMicros now = clock_->NowMicros();
  size_t hits = 0;
  ForEachShardRun(keys, [&](Shard& shard, std::span<const uint32_t> run) {
    std::lock_guard lock(shard.mu);
    shard.table.ExpireBefore(now - window_micros_);
    for (uint32_t i : run) shard.table.Prefetch(keys[i]);
    for (uint32_t i : run) claims[i] = ClaimLocked(shard, keys[i], now, &hits);
  });
  if (hits > 0) metrics_->hits->Increment(hits);
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

void DedupWindow::CommitLocked(Shard& shard, const DedupKey& key, log::RecordPosition position,
                               TimestampMicros now, size_t* evicted, Wakeups* wakeups) {
  std::vector<DedupContinuation> waiters;
  if (auto it = shard.in_flight.find(key); it != shard.in_flight.end()) {
    waiters = std::move(it->second.waiters);
    shard.in_flight.erase(it);
  }
  shard.last_time = std::max(shard.last_time, now);
  const DedupEntry entry{key, position, shard.last_time};
  if (shard.table.Insert(entry, evicted)) {
    if (shard.pending.size() < shard.table.max_entries()) {
      shard.pending.push_back(entry);
    } else {
      shard.pending.clear();  // the flush is behind: the next round rewrites from the table
      shard.pending_dropped = true;
    }
  } else {
    position = shard.table.Find(key)->position;  // known already: the first copy wins
  }
  for (DedupContinuation& then : waiters) {
    wakeups->emplace_back(std::move(then), DedupClaim{DedupVerdict::kDuplicate, key, position});
  }
}

void DedupWindow::AbortLocked(Shard& shard, const DedupKey& key, Wakeups* wakeups) {
  auto it = shard.in_flight.find(key);
  if (it == shard.in_flight.end()) return;
  if (it->second.waiters.empty()) {
    shard.in_flight.erase(it);
    return;
  }
  // The first waiter takes the claim over; the others keep waiting on it.
  wakeups->emplace_back(std::move(it->second.waiters.front()),
                        DedupClaim{DedupVerdict::kNew, key, {}});
  it->second.waiters.erase(it->second.waiters.begin());
}

void DedupWindow::Wake(Wakeups& wakeups, size_t evicted) {
  if (evicted > 0) metrics_->evicted->Increment(evicted);
  size_t hits = 0;
  for (const auto& [then, claim] : wakeups) hits += claim.verdict == DedupVerdict::kDuplicate;
  if (hits > 0) metrics_->hits->Increment(hits);
  for (auto& [then, claim] : wakeups) then(claim);
}

void DedupWindow::Commit(const DedupKey& key, log::RecordPosition position) {
  const TimestampMicros now = clock_->NowMicros();
  Shard& shard = ShardFor(key);
  Wakeups wakeups;
  size_t evicted = 0;
  {
    std::lock_guard lock(shard.mu);
    shard.table.ExpireBefore(now - window_micros_);
    CommitLocked(shard, key, position, now, &evicted, &wakeups);
  }
  Wake(wakeups, evicted);
}

void DedupWindow::Abort(const DedupKey& key) {
  Shard& shard = ShardFor(key);
  Wakeups wakeups;
  {
    std::lock_guard lock(shard.mu);
    AbortLocked(shard, key, &wakeups);
  }
  Wake(wakeups, 0);
}

void DedupWindow::CommitOrAbortAll(std::span<const DedupKey> keys,
                                   std::span<const Result<log::RecordPosition>> results) {
  const TimestampMicros now = clock_->NowMicros();
  Wakeups wakeups;
  size_t evicted = 0;
  ForEachShardRun(keys, [&](Shard& shard, std::span<const uint32_t> run) {
    std::lock_guard lock(shard.mu);
    shard.table.ExpireBefore(now - window_micros_);
    shard.table.PrefetchEvictions(run.size());
    for (uint32_t i : run) shard.table.Prefetch(keys[i]);
    for (uint32_t i : run) {
      if (results[i].has_value()) {
        CommitLocked(shard, keys[i], *results[i], now, &evicted, &wakeups);
      } else {
        AbortLocked(shard, keys[i], &wakeups);
      }
    }
  });
  Wake(wakeups, evicted);
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
