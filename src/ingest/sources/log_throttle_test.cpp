#include "ingest/sources/log_throttle.h"

#include <gtest/gtest.h>

namespace eventlake::ingest {
namespace {

TEST(LogThrottle, FirstCallIsAllowedThenOnePerPeriodWithTheCountHeldBack) {
  LogThrottle throttle(/*period_nanos=*/1000);
  uint64_t held_back = 99;
  ASSERT_TRUE(throttle.Allow(5000, &held_back));
  EXPECT_EQ(held_back, 0u);
  EXPECT_FALSE(throttle.Allow(5001, &held_back));
  EXPECT_FALSE(throttle.Allow(5999, &held_back));
  ASSERT_TRUE(throttle.Allow(6000, &held_back));
  EXPECT_EQ(held_back, 2u);
  ASSERT_TRUE(throttle.Allow(9000, &held_back));
  EXPECT_EQ(held_back, 0u);
}

}  // namespace
}  // namespace eventlake::ingest
