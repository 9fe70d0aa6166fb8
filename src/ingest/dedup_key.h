// The key of the dedup window: a 128-bit keyed hash (SipHash-1-3, 128-bit
// output) of an event's CloudEvents `source` and `id`. See
// docs/formats/dedup.md ("Keys") for the exact input and why it is keyed.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/status.h"

namespace eventlake::ingest {

// The 128-bit SipHash key ("secret") of one journal. Not a credential, but
// unknown outside the process so that key collisions cannot be forged.
struct HashSecret {
  uint64_t k0 = 0;
  uint64_t k1 = 0;
  friend bool operator==(const HashSecret&, const HashSecret&) = default;
};

struct DedupKey {
  uint64_t w0 = 0;  // chooses the shard
  uint64_t w1 = 0;  // chooses the slot within a shard's table
  friend bool operator==(const DedupKey&, const DedupKey&) = default;
};

// SipHash-1-3 (128-bit output) of `u32 source length | source | id`.
DedupKey MakeDedupKey(const HashSecret& secret, std::string_view source, std::string_view id);

// SipHash over one buffer: 2-4 is the reference (checked against the published
// test vectors), 1-3 the variant MakeDedupKey feeds in pieces.
DedupKey SipHash24x128(const HashSecret& secret, std::string_view data);
DedupKey SipHash13x128(const HashSecret& secret, std::string_view data);

// A fresh random secret from getrandom(2).
Result<HashSecret> NewHashSecret();

}  // namespace eventlake::ingest
