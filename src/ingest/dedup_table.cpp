// The ring-plus-index table of a dedup shard. Deletion from the linear-probing
// index shifts later entries of the probe run back (no tombstones), so
// lookups stay short however many entries expire.
#include "ingest/dedup_table.h"

#include <algorithm>
#include <bit>
#include <cassert>

namespace eventlake::ingest {
namespace {

constexpr size_t kInitialRing = 64;

}  // namespace

DedupTable::DedupTable(size_t max_entries)
    : max_entries_(max_entries == 0 ? 1 : max_entries),
      ring_(std::min(kInitialRing, std::bit_ceil(max_entries_))),
      index_(2 * ring_.size(), 0) {}

uint64_t DedupTable::SlotValue(size_t ring_slot, const DedupKey& key) {
  return (static_cast<uint64_t>(ring_slot) + 1) | (key.w1 << 32);
}

size_t DedupTable::FindSlot(const DedupKey& key) const {
  const size_t mask = index_.size() - 1;
  const uint32_t tag = static_cast<uint32_t>(key.w1);
  for (size_t i = Home(key.w1);; i = (i + 1) & mask) {
    const uint64_t v = index_[i];
    if (v == 0) return SIZE_MAX;
    if (static_cast<uint32_t>(v >> 32) == tag && ring_[(v & 0xffffffffu) - 1].key == key) {
      return i;
    }
  }
}

const DedupEntry* DedupTable::Find(const DedupKey& key) const {
  size_t i = FindSlot(key);
  return i == SIZE_MAX ? nullptr : &ring_[(index_[i] & 0xffffffffu) - 1];
}

void DedupTable::PrefetchEvictions(size_t incoming) const {
  const size_t over =
      size_ + incoming > max_entries_ ? std::min(size_, size_ + incoming - max_entries_) : 0;
  for (size_t i = 0; i < over; ++i) Prefetch(ring_[(head_ + i) & (ring_.size() - 1)].key);
}

void DedupTable::PlaceInIndex(size_t ring_slot) {
  const DedupKey& key = ring_[ring_slot].key;
  const size_t mask = index_.size() - 1;
  size_t i = Home(key.w1);
  while (index_[i] != 0) i = (i + 1) & mask;
  index_[i] = SlotValue(ring_slot, key);
}

// Backward-shift deletion: an entry later in the run moves into the hole
// unless its home lies cyclically in (hole, its position].
void DedupTable::EraseIndexSlot(size_t hole) {
  const size_t mask = index_.size() - 1;
  for (size_t j = (hole + 1) & mask; index_[j] != 0; j = (j + 1) & mask) {
    const size_t home = Home(index_[j] >> 32);
    const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (stays) continue;
    index_[hole] = index_[j];
    hole = j;
  }
  index_[hole] = 0;
}

void DedupTable::PopOldest() {
  assert(size_ > 0);
  size_t slot = FindSlot(ring_[head_].key);
  assert(slot != SIZE_MAX);
  EraseIndexSlot(slot);
  head_ = (head_ + 1) & (ring_.size() - 1);
  --size_;
}

void DedupTable::Grow() {
  std::vector<DedupEntry> ring(ring_.size() * 2);
  for (size_t i = 0; i < size_; ++i) ring[i] = ring_[(head_ + i) & (ring_.size() - 1)];
  ring_ = std::move(ring);
  head_ = 0;
  index_.assign(2 * ring_.size(), 0);
  for (size_t i = 0; i < size_; ++i) PlaceInIndex(i);
}

bool DedupTable::Insert(const DedupEntry& entry, size_t* evicted) {
  if (FindSlot(entry.key) != SIZE_MAX) return false;
  while (size_ >= max_entries_) {
    PopOldest();
    if (evicted != nullptr) ++*evicted;
  }
  if (size_ == ring_.size()) Grow();
  const size_t slot = (head_ + size_) & (ring_.size() - 1);
  ring_[slot] = entry;
  ++size_;
  PlaceInIndex(slot);
  return true;
}

size_t DedupTable::ExpireBefore(TimestampMicros cutoff) {
  size_t dropped = 0;
  while (size_ > 0 && ring_[head_].time < cutoff) {
    PopOldest();
    ++dropped;
  }
  return dropped;
}

}  // namespace eventlake::ingest
