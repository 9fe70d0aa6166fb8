// Tests of the CLI's shared helpers: sizes, tables and lenient JSON access.
#include "cli/cli_support.h"

#include <gtest/gtest.h>

namespace eventlake::cli {
namespace {

TEST(FormatBytes, UsesBinaryUnitsWithOneDecimal) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(64ull << 20), "64.0 MiB");
  EXPECT_EQ(FormatBytes(3ull << 40), "3.0 TiB");
}

TEST(FormatTable, AlignsColumnsWithoutTrailingSpaces) {
  EXPECT_EQ(FormatTable({{"NAME", "SIZE"}, {"events", "1.0 KiB"}, {"x", "0 B"}}),
            "NAME    SIZE\n"
            "events  1.0 KiB\n"
            "x       0 B\n");
}

TEST(JsonText, ShowsMissingAndNullAsDash) {
  auto json = nlohmann::ordered_json::parse(R"({"a":"s","b":3,"c":null})");
  EXPECT_EQ(JsonText(json, "a"), "s");
  EXPECT_EQ(JsonText(json, "b"), "3");
  EXPECT_EQ(JsonText(json, "c"), "-");
  EXPECT_EQ(JsonText(json, "d"), "-");
  EXPECT_EQ(JsonText(nlohmann::ordered_json::array(), "a"), "-");
}

TEST(JsonUint, IgnoresWrongTypesAndNegatives) {
  auto json = nlohmann::ordered_json::parse(R"({"a":7,"b":-1,"c":"7","d":1.5})");
  EXPECT_EQ(JsonUint(json, "a"), 7u);
  EXPECT_EQ(JsonUint(json, "b"), 0u);
  EXPECT_EQ(JsonUint(json, "c"), 0u);
  EXPECT_EQ(JsonUint(json, "d"), 0u);
  EXPECT_EQ(JsonUint(json, "e"), 0u);
}

TEST(ParseJson, ReportsNonJsonAnswersWithoutThrowing) {
  auto r = ParseJson("<html>", "GET /v1/streams");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("GET /v1/streams"), std::string::npos);
}

}  // namespace
}  // namespace eventlake::cli
