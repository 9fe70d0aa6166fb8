// Tests for ManualClock and the contract of SystemClock.
#include "core/clock.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace eventlake {
namespace {

TEST(ManualClock, StartsWhereToldAndDoesNotMoveByItself) {
  ManualClock clock(123);
  EXPECT_EQ(clock.NowMicros(), 123);
  EXPECT_EQ(clock.MonotonicNanos(), 0);
  EXPECT_EQ(clock.NowMicros(), 123);
}

TEST(ManualClock, DefaultStartIsAPlausibleWallTime) {
  ManualClock clock;
  EXPECT_EQ(clock.NowMicros(), 1'700'000'000'000'000);
}

TEST(ManualClock, AdvanceMovesWallAndMonotonicTimeTogether) {
  ManualClock clock(1000);
  clock.AdvanceMicros(250);
  EXPECT_EQ(clock.NowMicros(), 1250);
  EXPECT_EQ(clock.MonotonicNanos(), 250'000);
}

TEST(ManualClock, SetNowMovesOnlyWallTimeAndMayGoBackwards) {
  ManualClock clock(1000);
  clock.AdvanceMicros(10);
  clock.SetNowMicros(5);
  EXPECT_EQ(clock.NowMicros(), 5);
  EXPECT_EQ(clock.MonotonicNanos(), 10'000);
}

TEST(ManualClock, ConcurrentAdvancesAreNotLost) {
  ManualClock clock(0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) clock.AdvanceMicros(1);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(clock.NowMicros(), 40'000);
  EXPECT_EQ(clock.MonotonicNanos(), 40'000'000);
}

TEST(SystemClock, IsOneInstanceWhoseMonotonicTimeNeverGoesBackwards) {
  EXPECT_EQ(&SystemClock(), &SystemClock());
  int64_t previous = SystemClock().MonotonicNanos();
  for (int i = 0; i < 1000; ++i) {
    int64_t now = SystemClock().MonotonicNanos();
    ASSERT_GE(now, previous);
    previous = now;
  }
}

TEST(SystemClock, WallTimeIsMicrosecondsSinceTheEpoch) {
  // After 2020-01-01 and before 2200-01-01: catches a unit error (ms or ns).
  EXPECT_GT(SystemClock().NowMicros(), 1'577'836'800'000'000);
  EXPECT_LT(SystemClock().NowMicros(), 7'258'118'400'000'000);
}

}  // namespace
}  // namespace eventlake
