// The committed entries of one shard of a dedup window: a map from key to
// where the event was first stored, that also remembers insertion order so
// that expiry and eviction drop the oldest entries first.
//
// Layout: entries live in a ring buffer in insertion order (40 bytes each);
// an open-addressing index (linear probing, 8-byte slots, at most half full)
// maps keys to ring slots. About 56-72 bytes per entry, no allocation per
// insert (the ring and index double as they fill, up to max_entries), and a
// lookup touches one index slot and one ring entry. Not thread-safe: the
// window holds the shard's lock around every call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/cloud_event.h"
#include "ingest/dedup_key.h"
#include "log/log_record.h"

namespace eventlake::ingest {

struct DedupEntry {
  DedupKey key;
  log::RecordPosition position;
  TimestampMicros time = 0;  // when the event was first stored
};

class DedupTable {
 public:
  // Holds at most `max_entries` (>= 1); inserting beyond evicts the oldest.
  explicit DedupTable(size_t max_entries);

  // The entry for `key`, or nullptr. Valid until the next non-const call.
  const DedupEntry* Find(const DedupKey& key) const;
  // Starts fetching the index slot where `key` would be found or placed, so
  // that a Find or Insert of it soon after does not wait for memory.
  void Prefetch(const DedupKey& key) const { __builtin_prefetch(&index_[Home(key.w1)]); }
  // The same for the index slots of the entries that inserting `incoming`
  // new ones would evict.
  void PrefetchEvictions(size_t incoming) const;
  // Appends `entry` as the newest. Returns false (and keeps the old entry)
  // when the key is present. `*evicted` counts entries dropped to make room.
  bool Insert(const DedupEntry& entry, size_t* evicted);
  // Drops entries from the oldest on while their time is before `cutoff`.
  // Entries are expected in time order; a newer one stops the sweep.
  // Returns how many were dropped.
  size_t ExpireBefore(TimestampMicros cutoff);

  size_t size() const { return size_; }
  size_t max_entries() const { return max_entries_; }
  // Calls f(const DedupEntry&) for every entry, oldest first.
  template <typename F>
  void ForEach(F&& f) const {
    for (size_t i = 0; i < size_; ++i) f(ring_[(head_ + i) & (ring_.size() - 1)]);
  }

 private:
  // An index slot: 0 when empty, else (ring slot + 1) | (low 32 key bits << 32).
  static uint64_t SlotValue(size_t ring_slot, const DedupKey& key);
  size_t Home(uint64_t key_w1) const { return key_w1 & (index_.size() - 1); }
  // The index position holding `key`, or SIZE_MAX.
  size_t FindSlot(const DedupKey& key) const;
  void EraseIndexSlot(size_t i);
  void PlaceInIndex(size_t ring_slot);
  void PopOldest();
  void Grow();

  size_t max_entries_;
  std::vector<DedupEntry> ring_;  // capacity a power of two
  std::vector<uint64_t> index_;   // size a power of two, >= 2 * ring_.size()
  size_t head_ = 0;               // ring slot of the oldest entry
  size_t size_ = 0;
};

}  // namespace eventlake::ingest
