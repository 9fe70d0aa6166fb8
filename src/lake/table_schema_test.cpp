#include "lake/table_schema.h"

#include <gtest/gtest.h>

namespace eventlake::lake {
namespace {

TEST(TableSchema, WideningFollowsIntegerLongDoubleAndNothingElse) {
  using T = ColumnType;
  EXPECT_EQ(WidenFor(T::kInteger, T::kLong), T::kLong);
  EXPECT_EQ(WidenFor(T::kLong, T::kDouble), T::kDouble);
  EXPECT_EQ(WidenFor(T::kInteger, T::kDouble), T::kDouble);
  EXPECT_EQ(WidenFor(T::kDouble, T::kLong), T::kDouble);  // a double column holds longs already
  EXPECT_EQ(WidenFor(T::kLong, T::kLong), T::kLong);
  EXPECT_EQ(WidenFor(T::kString, T::kString), T::kString);
  EXPECT_EQ(WidenFor(T::kLong, T::kString), std::nullopt);
  EXPECT_EQ(WidenFor(T::kString, T::kLong), std::nullopt);
  EXPECT_EQ(WidenFor(T::kBoolean, T::kLong), std::nullopt);
  EXPECT_EQ(WidenFor(T::kTimestamp, T::kString), std::nullopt);
  EXPECT_EQ(WidenFor(T::kDate, T::kTimestamp), std::nullopt);
}

TEST(TableSchema, SchemaStringRoundTripsEveryType) {
  TableSchema schema;
  schema.columns = {{"id", ColumnType::kString},   {"n", ColumnType::kLong},
                    {"x", ColumnType::kDouble},    {"ok", ColumnType::kBoolean},
                    {"time", ColumnType::kTimestamp}, {"dt", ColumnType::kDate},
                    {"hour", ColumnType::kInteger}};
  schema.partition_columns = {"dt", "hour"};
  const std::string text = ToDeltaSchemaString(schema);
  EXPECT_EQ(text.substr(0, 94),
            R"({"type":"struct","fields":[{"name":"id","type":"string","nullable":true,"metadata":{}},{"name")");
  EXPECT_EQ(ParseDeltaSchemaString(text).value(), schema.columns);
  EXPECT_EQ(schema.DataColumns().size(), 5u);
  EXPECT_TRUE(schema.IsPartitionColumn("HOUR"));
  EXPECT_EQ(schema.Find("TIME")->type, ColumnType::kTimestamp);
}

TEST(TableSchema, UnsupportedOrBrokenSchemaStringsAreCorruptionOrInvalid) {
  EXPECT_FALSE(ParseDeltaSchemaString("not json").has_value());
  EXPECT_FALSE(ParseDeltaSchemaString(R"({"type":"struct"})").has_value());
  auto nested = ParseDeltaSchemaString(
      R"({"type":"struct","fields":[{"name":"s","type":{"type":"struct","fields":[]}}]})");
  EXPECT_FALSE(nested.has_value());
  auto decimal = ParseDeltaSchemaString(
      R"j({"type":"struct","fields":[{"name":"d","type":"decimal(10,2)"}]})j");
  ASSERT_FALSE(decimal.has_value());
  EXPECT_EQ(decimal.error().code(), StatusCode::kInvalidArgument);
}

TEST(TableSchema, ColumnNamesAreValidatedAndSanitized) {
  EXPECT_TRUE(ValidateColumnName("user_id2").ok());
  EXPECT_TRUE(ValidateColumnName("_x").ok());
  EXPECT_FALSE(ValidateColumnName("2x").ok());
  EXPECT_FALSE(ValidateColumnName("a-b").ok());
  EXPECT_FALSE(ValidateColumnName("").ok());
  EXPECT_FALSE(ValidateColumnName("é").ok());
  EXPECT_EQ(SanitizeColumnName("user-id"), "user_id");
  EXPECT_EQ(SanitizeColumnName("2fa"), "_2fa");
  EXPECT_EQ(SanitizeColumnName(""), "_");
  EXPECT_EQ(SanitizeColumnName("café"), "caf__");
  EXPECT_TRUE(ValidateColumnName(SanitizeColumnName(std::string(300, '#'))).ok());
}

}  // namespace
}  // namespace eventlake::lake
