#include "lake/partition_spec.h"

#include <gtest/gtest.h>

namespace eventlake::lake {
namespace {

TEST(PartitionSpec, ParsesDayHourAndColumns) {
  auto fields = ParsePartitionBy({"day(time)", "hour(time)", "country"});
  ASSERT_TRUE(fields.has_value()) << fields.error().ToString();
  ASSERT_EQ(fields->size(), 3u);
  EXPECT_EQ((*fields)[0].column, "dt");
  EXPECT_EQ((*fields)[0].type, ColumnType::kDate);
  EXPECT_EQ((*fields)[1].column, "hour");
  EXPECT_EQ((*fields)[1].source, "time");
  EXPECT_EQ((*fields)[2].column, "country");
  EXPECT_EQ((*fields)[2].type, ColumnType::kString);
}

TEST(PartitionSpec, RefusesUnknownFunctionsBadNamesAndRepeats) {
  EXPECT_FALSE(ParsePartitionBy({"month(time)"}).has_value());
  EXPECT_FALSE(ParsePartitionBy({"day(time"}).has_value());
  EXPECT_FALSE(ParsePartitionBy({"a-b"}).has_value());
  EXPECT_FALSE(ParsePartitionBy({"day(time)", "day(other)"}).has_value());
  EXPECT_FALSE(ParsePartitionBy({"x", "X"}).has_value());
}

TEST(PartitionSpec, ValuesFollowEventTimeInUtcAndNullsStayNull) {
  auto fields = ParsePartitionBy({"day(time)", "hour(time)", "country", "n"}).value();
  const int64_t t = 1'764'640'800'000'000;  // 2025-12-02T02:00:00Z
  std::vector<Cell> cells = {{"time", TimestampValue{t + 59 * 60'000'000LL}},
                             {"country", std::string_view("a/b")},
                             {"n", int64_t{-7}}};
  auto values = PartitionValuesOf(fields, cells);
  ASSERT_EQ(values.size(), 4u);
  EXPECT_EQ(values[0], (PartitionValue{"dt", "2025-12-02"}));
  EXPECT_EQ(values[1], (PartitionValue{"hour", "2"}));
  EXPECT_EQ(values[2], (PartitionValue{"country", "a/b"}));
  EXPECT_EQ(values[3], (PartitionValue{"n", "-7"}));
  std::vector<Cell> empty = {{"time", std::monostate{}}};
  auto nulls = PartitionValuesOf(fields, empty);
  for (const auto& v : nulls) EXPECT_EQ(v.second, std::nullopt) << v.first;
}

TEST(PartitionSpec, DatesBeforeTheEpochAndRoundTrips) {
  EXPECT_EQ(DateOfMicros(0), "1970-01-01");
  EXPECT_EQ(DateOfMicros(-1), "1969-12-31");
  EXPECT_EQ(DateOfMicros(-86'400'000'000LL), "1969-12-31");
  EXPECT_EQ(DaysOfDate("1970-01-02"), 1);
  EXPECT_EQ(DaysOfDate("1969-12-31"), -1);
  EXPECT_EQ(DaysOfDate("2026-02-30"), std::nullopt);
  EXPECT_EQ(DaysOfDate("2026-1-01"), std::nullopt);
  for (int64_t day = -800; day < 800; day += 37) {
    EXPECT_EQ(DaysOfDate(DateOfMicros(day * 86'400'000'000LL)), day);
  }
  std::vector<Cell> before = {{"time", TimestampValue{-1}}};
  auto fields = ParsePartitionBy({"hour(time)"}).value();
  EXPECT_EQ(PartitionValuesOf(fields, before)[0].second, "23");
}

}  // namespace
}  // namespace eventlake::lake
