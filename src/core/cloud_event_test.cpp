// Tests for CloudEvent extensions and RFC 3339 parsing and formatting.
#include "core/cloud_event.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace eventlake {
namespace {

constexpr int64_t kMicrosPerDay = 86'400'000'000;

TEST(CloudEvent, FindExtensionReturnsNullWhenAbsent) {
  CloudEvent e;
  EXPECT_EQ(e.FindExtension("partitionkey"), nullptr);
}

TEST(CloudEvent, SetExtensionAppendsInArrivalOrder) {
  CloudEvent e;
  e.SetExtension("b", int64_t{1});
  e.SetExtension("a", true);
  ASSERT_EQ(e.extensions.size(), 2u);
  EXPECT_EQ(e.extensions[0].name, "b");
  EXPECT_EQ(e.extensions[1].name, "a");
  ASSERT_NE(e.FindExtension("a"), nullptr);
  EXPECT_EQ(*e.FindExtension("a"), ExtensionValue(true));
}

TEST(CloudEvent, SetExtensionReplacesInsteadOfDuplicating) {
  CloudEvent e;
  e.SetExtension(std::string(kPartitionKeyExtension), std::string("user-1"));
  e.SetExtension(std::string(kPartitionKeyExtension), std::string("user-2"));
  ASSERT_EQ(e.extensions.size(), 1u);
  EXPECT_EQ(*e.FindExtension("partitionkey"), ExtensionValue(std::string("user-2")));
}

TEST(Rfc3339, ParsesKnownInstants) {
  struct Case {
    const char* text;
    int64_t micros;
  };
  const Case kCases[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"2026-11-25T02:06:55.123456Z", 1795572415123456},
      {"2026-11-25t02:06:55.123456z", 1795572415123456},
      {"2026-11-25T03:06:55.123456+01:00", 1795572415123456},
      {"2026-11-24T20:36:55.123456-05:30", 1795572415123456},
      {"2026-11-25T02:06:55.123456-00:00", 1795572415123456},
      {"1969-12-31T23:59:59.999999Z", -1},
      {"0001-01-01T00:00:00Z", -62135596800000000},
      {"9999-12-31T23:59:59.999999Z", 253402300799999999},
      {"2000-02-29T12:00:00Z", 951825600000000},
      {"1970-01-01T00:00:00.5Z", 500000},
      {"1970-01-01T00:00:00.000001Z", 1},
  };
  for (const Case& c : kCases) {
    Result<TimestampMicros> r = ParseRfc3339(c.text);
    ASSERT_TRUE(r.has_value()) << c.text << ": " << r.error().ToString();
    EXPECT_EQ(*r, c.micros) << c.text;
  }
}

TEST(Rfc3339, TruncatesFractionBeyondMicrosecondsInsteadOfRounding) {
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00.123456999Z").value(), 123456);
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00.9999999Z").value(), 999999);
  // Before the epoch the truncation is still towards the earlier second's digits.
  EXPECT_EQ(ParseRfc3339("1969-12-31T23:59:59.9999999Z").value(), -1);
}

TEST(Rfc3339, RejectsMalformedOrOutOfRangeText) {
  const char* kInvalid[] = {
      "",
      "2026-11-25",
      "2026-11-25T02:06Z",                // seconds are required
      "2026-11-25 02:06:55Z",             // only 'T' or 't' separates date and time
      "2026-11-25T02:06:55",              // an offset is required
      "2026-11-25T02:06:55+01",           // offset needs minutes
      "2026-11-25T02:06:55+0100",         // and a colon
      "2026-11-25T02:06:55+24:00",        // offset hour out of range
      "2026-11-25T02:06:55+01:60",        // offset minute out of range
      "2026-11-25T02:06:55.Z",            // a fraction needs digits
      "2026-11-25T02:06:55.1234567890Z",  // more than 9 fraction digits
      "2026-11-25T02:06:55Z ",            // trailing garbage
      "2026-11-25T02:06:55Zjunk",
      " 2026-11-25T02:06:55Z",
      "2026-1-25T02:06:55Z",
      "+2026-11-25T02:06:55Z",
      "0000-01-01T00:00:00Z",  // year 0 does not exist in RFC 3339
      "2026-00-10T00:00:00Z",
      "2026-13-10T00:00:00Z",
      "2026-11-00T00:00:00Z",
      "2026-11-31T00:00:00Z",
      "2026-04-31T00:00:00Z",
      "2023-02-29T00:00:00Z",  // not a leap year
      "1900-02-29T00:00:00Z",  // divisible by 100, not by 400
      "2026-11-25T24:00:00Z",
      "2026-11-25T23:60:00Z",
      "2016-12-31T23:59:60Z",  // leap seconds are rejected
      "2026-11-25T02:06:5aZ",
      "2026-11-25T02:06:55,5Z",
      "\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x96-11-25T02:06:55Z",  // full-width digits
  };
  for (const char* text : kInvalid) {
    Result<TimestampMicros> r = ParseRfc3339(text);
    ASSERT_FALSE(r.has_value()) << "accepted \"" << text << "\"";
    EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
  }
}

TEST(Rfc3339, AcceptsLeapDays) {
  EXPECT_TRUE(ParseRfc3339("2024-02-29T00:00:00Z").has_value());
  EXPECT_TRUE(ParseRfc3339("2000-02-29T00:00:00Z").has_value());
  EXPECT_TRUE(ParseRfc3339("2400-02-29T00:00:00Z").has_value());
}

TEST(Rfc3339, ErrorMessageQuotesAShortPrefixOfTheInput) {
  std::string long_input(1000, '9');
  Result<TimestampMicros> r = ParseRfc3339(long_input);
  ASSERT_FALSE(r.has_value());
  EXPECT_LT(r.error().message().size(), 120u);
}

TEST(Rfc3339, FormatsUtcWithSixFractionDigits) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatRfc3339(1795572415123456), "2026-11-25T02:06:55.123456Z");
  EXPECT_EQ(FormatRfc3339(951825600000000), "2000-02-29T12:00:00.000000Z");
  EXPECT_EQ(FormatRfc3339(253402300799999999), "9999-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatRfc3339(253402300800000000), "10000-01-01T00:00:00.000000Z");
}

TEST(Rfc3339, FormatsNegativeTimesWithPositiveTimeOfDay) {
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatRfc3339(-1'000'000), "1969-12-31T23:59:59.000000Z");
  EXPECT_EQ(FormatRfc3339(-kMicrosPerDay), "1969-12-31T00:00:00.000000Z");
  EXPECT_EQ(FormatRfc3339(-62135596800000000), "0001-01-01T00:00:00.000000Z");
}

TEST(Rfc3339, FormatDoesNotCrashOnExtremeValues) {
  EXPECT_FALSE(FormatRfc3339(INT64_MIN).empty());
  EXPECT_FALSE(FormatRfc3339(INT64_MAX).empty());
}

// Walks every day from 1600 to 2400 with an independent calendar and checks
// that formatting and parsing agree with it.
TEST(Rfc3339, AgreesWithADayByDayCalendarWalk) {
  auto leap = [](int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; };
  const int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int64_t days = ParseRfc3339("1600-01-01T00:00:00Z").value() / kMicrosPerDay;
  for (int y = 1600; y < 2400; ++y) {
    for (int m = 1; m <= 12; ++m) {
      int month_days = kMonthDays[m - 1] + (m == 2 && leap(y) ? 1 : 0);
      for (int d = 1; d <= month_days; ++d, ++days) {
        char text[40];
        std::snprintf(text, sizeof(text), "%04d-%02d-%02dT00:00:00.000000Z", y, m, d);
        ASSERT_EQ(FormatRfc3339(days * kMicrosPerDay), text);
        ASSERT_EQ(ParseRfc3339(text).value(), days * kMicrosPerDay) << text;
      }
    }
  }
}

TEST(Rfc3339, RoundTripsEveryMicrosecondValueInRange) {
  const int64_t lo = ParseRfc3339("0001-01-01T00:00:00Z").value();
  const int64_t hi = ParseRfc3339("9999-12-31T23:59:59.999999Z").value();
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> dist(lo, hi);
  for (int i = 0; i < 20000; ++i) {
    int64_t micros = dist(rng);
    std::string text = FormatRfc3339(micros);
    Result<TimestampMicros> back = ParseRfc3339(text);
    ASSERT_TRUE(back.has_value()) << text;
    ASSERT_EQ(*back, micros) << text;
  }
}

}  // namespace
}  // namespace eventlake
