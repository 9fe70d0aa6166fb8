// Tests for UUIDv7 ids: layout, ordering and uniqueness.
#include "core/id.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"

namespace eventlake {
namespace {

// The 48-bit millisecond timestamp of an id.
int64_t MillisOf(const std::string& id) {
  std::string hex = id.substr(0, 8) + id.substr(9, 4);
  return std::stoll(hex, nullptr, 16);
}

// The 12-bit rand_a (our counter) of an id.
int CounterOf(const std::string& id) { return std::stoi(id.substr(15, 3), nullptr, 16); }

TEST(IdGenerator, ProducesCanonicalLowerCaseVersion7Variant10Text) {
  ManualClock clock;
  IdGenerator gen(clock);
  const std::regex kUuidV7("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  for (int i = 0; i < 1000; ++i) {
    std::string id = gen.Next();
    ASSERT_EQ(id.size(), 36u);
    ASSERT_TRUE(std::regex_match(id, kUuidV7)) << id;
  }
}

TEST(IdGenerator, EmbedsTheClockMillisecondsAndRestartsTheCounter) {
  ManualClock clock(1'700'000'000'123'456);
  IdGenerator gen(clock);
  std::string first = gen.Next();
  EXPECT_EQ(MillisOf(first), 1'700'000'000'123);
  EXPECT_EQ(CounterOf(first), 0);
  EXPECT_EQ(CounterOf(gen.Next()), 1);
  clock.AdvanceMicros(1000);
  std::string later = gen.Next();
  EXPECT_EQ(MillisOf(later), 1'700'000'000'124);
  EXPECT_EQ(CounterOf(later), 0);
}

TEST(IdGenerator, StaysStrictlyIncreasingWhenTheClockStandsStill) {
  ManualClock clock;
  IdGenerator gen(clock);
  std::string previous = gen.Next();
  for (int i = 0; i < 100'000; ++i) {
    std::string id = gen.Next();
    ASSERT_LT(previous, id) << "after " << i << " ids";
    previous = id;
  }
  // 100k ids do not fit the 4096 counter values of one millisecond: the
  // generator must have moved its timestamp ahead of the frozen clock.
  EXPECT_GT(MillisOf(previous), clock.NowMicros() / 1000);
}

TEST(IdGenerator, StaysStrictlyIncreasingWhenTheClockGoesBackwards) {
  ManualClock clock;
  IdGenerator gen(clock);
  std::string before = gen.Next();
  clock.SetNowMicros(clock.NowMicros() - 3'600'000'000);  // one hour back
  std::string after = gen.Next();
  EXPECT_LT(before, after);
  EXPECT_EQ(MillisOf(after), MillisOf(before));
}

TEST(IdGenerator, TwoGeneratorsOnTheSameFrozenClockDoNotCollide) {
  ManualClock clock;
  IdGenerator a(clock);
  IdGenerator b(clock);
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(ids.insert(a.Next()).second);
    ASSERT_TRUE(ids.insert(b.Next()).second);
  }
}

TEST(IdGenerator, IsUniqueAndOrderedPerThreadAcrossThreads) {
  ManualClock clock;
  IdGenerator gen(clock);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10'000;
  std::vector<std::vector<std::string>> made(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) made[t].push_back(gen.Next());
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> all;
  for (const auto& ids : made) {
    for (size_t i = 0; i < ids.size(); ++i) {
      ASSERT_TRUE(all.insert(ids[i]).second) << "duplicate " << ids[i];
      if (i > 0) {
        ASSERT_LT(ids[i - 1], ids[i]);
      }
    }
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST(NewEventId, IsUniqueAcrossThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5'000;
  std::vector<std::vector<std::string>> made(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) made[t].push_back(NewEventId());
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> all;
  for (const auto& ids : made) all.insert(ids.begin(), ids.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace eventlake
