// A log-linear latency histogram for bench/ingest_http: constant-time
// Record, a fixed ~2,000 counters, quantiles without keeping or sorting the
// samples. Values are nanoseconds; each power of two is split into 64 equal
// buckets, so a reported quantile is within 1/64 (1.6%) of the true value.
//
// Thread safety: none; each load-generator thread owns one and the main
// thread merges them after the threads have been joined.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace eventlake::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 6;  // 64 buckets per power of two
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kMaxBits = 40;  // values up to 2^40 ns (~18 min); larger ones clamp
  // Bucket 0..63 for the values below 64, then 64 per octave from 2^6 to 2^kMaxBits.
  static constexpr int kBuckets = (kMaxBits - kSubBits + 2) * kSub;

  void Record(uint64_t nanos) {
    ++counts_[Index(nanos)];
    ++total_;
  }

  void Merge(const LatencyHistogram& other) {
    for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
  }

  uint64_t count() const { return total_; }

  // The value (ns) below which a fraction q (0..1) of the samples lie: the
  // middle of the bucket holding the ceil(q * count)-th sample; 0 when empty.
  double Quantile(double q) const {
    if (total_ == 0) return 0;
    auto rank = static_cast<uint64_t>(q * static_cast<double>(total_) + 0.999999);
    rank = std::clamp<uint64_t>(rank, 1, total_);
    uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return Middle(i);
    }
    return Middle(kBuckets - 1);
  }

 private:
  // Values below 64 have a bucket each; above, bucket = (octave, top 6 bits).
  static int Index(uint64_t v) {
    if (v < kSub) return static_cast<int>(v);
    int msb = std::min(63 - std::countl_zero(v), kMaxBits);
    int shift = msb - kSubBits;
    uint64_t top = std::min<uint64_t>(v >> shift, 2 * kSub - 1);  // in [64, 128)
    return ((shift + 1) << kSubBits) + static_cast<int>(top - kSub);
  }

  static double Middle(int index) {
    if (index < kSub) return index;
    int shift = (index >> kSubBits) - 1;
    uint64_t low = static_cast<uint64_t>(kSub + (index & (kSub - 1))) << shift;
    return static_cast<double>(low) + static_cast<double>(uint64_t{1} << shift) / 2;
  }

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
};

}  // namespace eventlake::bench
