#include "lake/declared_schema.h"

#include <gtest/gtest.h>

namespace eventlake::lake {
namespace {

TEST(DeclaredSchema, PropertiesBecomeTypedColumnsInOrder) {
  auto s = ParseDeclaredSchema(R"({"type":"object","additionalProperties":false,"properties":{
      "user":{"type":"string"},"count":{"type":"integer"},"price":{"type":["number","null"]},
      "ok":{"type":"boolean"},"at":{"type":"string","format":"date-time"},
      "tags":{"type":"array"},"geo":{"type":"object"},"id":{"type":"string"},
      "user-agent":{"type":"string"}}})");
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  EXPECT_TRUE(s->closed);
  const std::vector<Column> expected = {
      {"user", ColumnType::kString},      {"count", ColumnType::kLong},
      {"price", ColumnType::kDouble},     {"ok", ColumnType::kBoolean},
      {"at", ColumnType::kTimestamp},     {"tags", ColumnType::kString},
      {"geo", ColumnType::kString},       {"data_id", ColumnType::kString},
      {"user_agent", ColumnType::kString}};
  EXPECT_EQ(s->columns, expected);
}

TEST(DeclaredSchema, UnusableSchemasAreRefusedNamingTheProperty) {
  EXPECT_FALSE(ParseDeclaredSchema("[]").has_value());
  EXPECT_FALSE(ParseDeclaredSchema(R"({"type":"array","properties":{}})").has_value());
  EXPECT_FALSE(ParseDeclaredSchema(R"({"type":"object"})").has_value());
  auto untyped = ParseDeclaredSchema(R"({"properties":{"x":{}}})");
  ASSERT_FALSE(untyped.has_value());
  EXPECT_NE(untyped.error().message().find("property x"), std::string::npos);
  EXPECT_FALSE(ParseDeclaredSchema(R"({"properties":{"x":{"type":["string","integer"]}}})")
                   .has_value());
  EXPECT_FALSE(
      ParseDeclaredSchema(R"({"properties":{"a-b":{"type":"string"},"a_b":{"type":"string"}}})")
          .has_value());
  EXPECT_FALSE(ParseDeclaredSchema(R"({"properties":{"x":{"type":"nulls"}}})").has_value());
}

}  // namespace
}  // namespace eventlake::lake
