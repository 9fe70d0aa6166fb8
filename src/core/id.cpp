// UUIDv7 generation (see id.h for the layout and ordering guarantees).
#include "core/id.h"

#include <algorithm>
#include <array>

namespace eventlake {
namespace {

constexpr uint32_t kMaxCounter = 0xfff;                 // 12 bits of rand_a
constexpr int64_t kMaxMillis = (int64_t{1} << 48) - 1;  // 48-bit timestamp

std::mt19937_64 SeededEngine() {
  std::random_device device;
  std::seed_seq seed{device(), device(), device(), device(),
                     device(), device(), device(), device()};
  return std::mt19937_64(seed);
}

std::string Format(const std::array<uint8_t, 16>& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(36);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
    text += kHex[bytes[i] >> 4];
    text += kHex[bytes[i] & 0xf];
  }
  return text;
}

}  // namespace

IdGenerator::IdGenerator(Clock& clock) : clock_(clock), rng_(SeededEngine()) {}

std::string IdGenerator::Next() {
  int64_t millis = std::clamp<int64_t>(clock_.NowMicros() / 1000, 0, kMaxMillis);
  uint32_t counter = 0;
  uint64_t random = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (millis > last_millis_) {
      last_millis_ = millis;
      counter_ = 0;
    } else if (counter_ < kMaxCounter) {
      // Same millisecond, or the clock went backwards: keep the last timestamp.
      ++counter_;
    } else if (last_millis_ < kMaxMillis) {
      // 4096 ids in one millisecond: borrow the next millisecond.
      ++last_millis_;
      counter_ = 0;
    }
    // else: the year 10889 has come and ordering can no longer be kept.
    millis = last_millis_;
    counter = counter_;
    random = rng_();
  }
  std::array<uint8_t, 16> bytes;
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<uint8_t>(millis >> (40 - 8 * i));
  bytes[6] = static_cast<uint8_t>(0x70 | (counter >> 8));  // version 7
  bytes[7] = static_cast<uint8_t>(counter);
  for (int i = 0; i < 8; ++i) bytes[8 + i] = static_cast<uint8_t>(random >> (56 - 8 * i));
  bytes[8] = static_cast<uint8_t>(0x80 | (bytes[8] & 0x3f));  // variant 10
  return Format(bytes);
}

std::string NewEventId() {
  static IdGenerator* generator = new IdGenerator(SystemClock());  // used until exit
  return generator->Next();
}

}  // namespace eventlake
