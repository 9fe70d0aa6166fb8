// Tests of CRC32C: published check values, the Extend contract, the two
// implementations agreeing, and the LevelDB-style mask.
#include "log/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "log/crc32c_internal.h"

namespace eventlake::log::crc32c {
namespace {

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

TEST(Crc32c, MatchesStandardCheckValue) { EXPECT_EQ(Value("123456789"), 0xE3069283u); }

TEST(Crc32c, MatchesRfc3720TestVectors) {
  std::string zeros(32, '\0');
  EXPECT_EQ(Value(zeros), 0x8A9136AAu);

  std::string ones(32, '\xff');
  EXPECT_EQ(Value(ones), 0x62A8AB43u);

  std::string ascending(32, '\0');
  for (int i = 0; i < 32; ++i) ascending[i] = static_cast<char>(i);
  EXPECT_EQ(Value(ascending), 0x46DD794Eu);

  std::string descending(32, '\0');
  for (int i = 0; i < 32; ++i) descending[i] = static_cast<char>(31 - i);
  EXPECT_EQ(Value(descending), 0x113FDB5Cu);
}

TEST(Crc32c, EmptyInputLeavesCrcUnchanged) {
  EXPECT_EQ(Value(""), 0u);
  EXPECT_EQ(Extend(0x12345678u, "", 0), 0x12345678u);
}

TEST(Crc32c, ExtendSplitAtAnyPositionEqualsWhole) {
  std::mt19937_64 rng(42);
  std::string data = RandomBytes(rng, 100);
  uint32_t whole = Value(data);
  for (size_t split = 0; split <= data.size(); ++split) {
    uint32_t first = Value(data.data(), split);
    EXPECT_EQ(Extend(first, data.data() + split, data.size() - split), whole) << split;
  }
}

TEST(Crc32c, DifferentDataGivesDifferentCrc) {
  EXPECT_NE(Value("a"), Value("foo"));
  EXPECT_NE(Value(std::string(1, '\0')), Value(std::string(2, '\0')));
}

TEST(Crc32c, PortableImplementationMatchesCheckValue) {
  EXPECT_EQ(internal::ExtendPortable(0, "123456789", 9), 0xE3069283u);
}

TEST(Crc32c, HardwareAndPortableAgreeOnRandomInput) {
  if (!internal::HardwareAvailable()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  std::mt19937_64 rng(7);
  std::string buffer = RandomBytes(rng, 4096 + 16);
  for (int i = 0; i < 2000; ++i) {
    size_t alignment = rng() % 16;
    size_t length = (i < 100) ? i : rng() % 4096;
    uint32_t init = (i % 3 == 0) ? 0 : static_cast<uint32_t>(rng());
    const char* data = buffer.data() + alignment;
    ASSERT_EQ(internal::ExtendHardware(init, data, length),
              internal::ExtendPortable(init, data, length))
        << "length " << length << " alignment " << alignment;
  }
}

TEST(Crc32c, MaskRoundTripsAndChangesValue) {
  std::mt19937_64 rng(3);
  for (uint32_t crc : {0u, 1u, 0xffffffffu, Value("foo"), 0xa282ead8u}) {
    EXPECT_NE(Mask(crc), crc);
    EXPECT_NE(Mask(Mask(crc)), crc);
    EXPECT_EQ(Unmask(Mask(crc)), crc);
    EXPECT_EQ(Unmask(Unmask(Mask(Mask(crc)))), crc);
  }
  for (int i = 0; i < 1000; ++i) {
    auto crc = static_cast<uint32_t>(rng());
    EXPECT_EQ(Unmask(Mask(crc)), crc);
  }
}

}  // namespace
}  // namespace eventlake::log::crc32c
