// AppendJsonNumber: integers without a fraction, and every other number as
// std::to_chars writes it — checked against to_chars over many doubles,
// most of them with the few decimals the short path takes.
#include "pipeline/json_number.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>

namespace eventlake::pipeline {
namespace {

std::string Json(double d) {
  std::string out;
  AppendJsonNumber(d, &out);
  return out;
}

std::string ToChars(double d) {
  char buffer[32];
  const auto r = std::to_chars(buffer, buffer + sizeof buffer, d);
  return std::string(buffer, r.ptr);
}

TEST(JsonNumber, IntegersHaveNoFraction) {
  EXPECT_EQ(Json(3), "3");
  EXPECT_EQ(Json(-0.0), "0");
  EXPECT_EQ(Json(12345678901.0), "12345678901");
  EXPECT_EQ(Json(9007199254740993.0), "9007199254740992");  // 2^53 + 1 is no double
  EXPECT_EQ(Json(1e19), "1e+19");
}

TEST(JsonNumber, DecimalsAreTheShortestTextThatReadsBack) {
  EXPECT_EQ(Json(0.25), "0.25");
  EXPECT_EQ(Json(123.99), "123.99");
  EXPECT_EQ(Json(-0.5), "-0.5");
  EXPECT_EQ(Json(0.001), "0.001");
  EXPECT_EQ(Json(0.0001), "1e-04");  // shorter than 0.0001
  EXPECT_EQ(Json(0.00001), "1e-05");
  EXPECT_EQ(Json(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(Json(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(Json(999999999.5), "999999999.5");
  EXPECT_EQ(Json(1e9 + 0.5), "1000000000.5");
}

TEST(JsonNumber, WritesWhatToCharsWrites) {
  std::mt19937_64 random(42);
  size_t checked = 0;
  for (int i = 0; i < 400'000; ++i) {
    double d = 0;
    if (i % 3 == 0) {  // a few decimals: m / 10^k
      const int64_t m = static_cast<int64_t>(random() % 2'000'000'000'000) - 1'000'000'000'000;
      d = static_cast<double>(m) / std::pow(10.0, static_cast<int>(random() % 10));
    } else if (i % 3 == 1) {  // any double around the short path's range, 1e-4..1e10
      d = std::exp(std::uniform_real_distribution<double>(std::log(1e-4), std::log(1e10))(random));
    } else {  // any bits
      const uint64_t bits = random();
      std::memcpy(&d, &bits, sizeof d);
      if (!std::isfinite(d)) continue;
    }
    if (std::trunc(d) == d && std::abs(d) < 9.2e18) continue;  // integers: above
    ASSERT_EQ(Json(d), ToChars(d)) << "bits of " << d;
    ++checked;
  }
  EXPECT_GT(checked, 250'000u);
}

}  // namespace
}  // namespace eventlake::pipeline
