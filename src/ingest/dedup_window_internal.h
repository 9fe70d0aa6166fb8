// Private parts of DedupWindow shared by its .cpp files (claims, flush, open).
// Not for use outside dedup_window*.cpp.
#pragma once

#include <climits>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/metrics.h"
#include "ingest/dedup_table.h"
#include "ingest/dedup_window.h"

namespace eventlake::ingest {

struct DedupKeyHash {
  size_t operator()(const DedupKey& k) const noexcept { return k.w1; }  // already random
};

// A claimed key whose append has not ended.
struct InFlightClaim {
  TimestampMicros claimed_at = 0;  // bounds the journal's safe time
  std::vector<DedupContinuation> waiters;
};

struct alignas(64) DedupWindow::Shard {
  explicit Shard(size_t max_entries) : table(max_entries) {}
  std::mutex mu;
  DedupTable table;
  std::unordered_map<DedupKey, InFlightClaim, DedupKeyHash> in_flight;
  std::vector<DedupEntry> pending;  // committed, not yet journaled; at most table.max_entries()
  bool pending_dropped = false;     // pending overflowed: the next round must rewrite
  TimestampMicros last_time = LLONG_MIN;  // commit times never decrease within a shard
};

// The window's metrics, from the registry or private when there is none.
struct DedupWindow::Metrics {
  Counter own_hits, own_rebuilt, own_evicted, own_errors;
  Gauge own_entries;
  Counter* hits = &own_hits;
  Counter* rebuilt = &own_rebuilt;
  Counter* evicted = &own_evicted;
  Counter* journal_errors = &own_errors;
  Gauge* entries = &own_entries;
};

}  // namespace eventlake::ingest
