#include "lake/partition_path.h"

#include <gtest/gtest.h>

#include <random>

namespace eventlake::lake {
namespace {

TEST(PartitionPath, DangerousValuesAreEscapedAndRoundTripExactly) {
  const std::string values[] = {"a/b",   "..",       "a=b",     "100%",   std::string("a\0b", 3),
                                "é中文", "x y",      "../../etc", "",      "plain-value_1.2",
                                "%2F",   "\x7f\x01", "a:b?c#d", "[x]{y}", "back\\slash"};
  for (const std::string& v : values) {
    const std::string escaped = EscapePartitionValue(v);
    EXPECT_EQ(escaped.find('/'), std::string::npos) << v;
    EXPECT_EQ(escaped.find('='), std::string::npos) << v;
    EXPECT_EQ(escaped.find('\0'), std::string::npos) << v;
    for (unsigned char c : escaped) EXPECT_LT(c, 0x80) << v;
    EXPECT_EQ(UnescapePartitionValue(escaped).value(), v);
  }
  EXPECT_EQ(EscapePartitionValue("a/b"), "a%2Fb");
  EXPECT_EQ(EscapePartitionValue(".."), "..");
  EXPECT_EQ(EscapePartitionValue("é"), "%C3%A9");
  EXPECT_EQ(EscapePartitionValue(std::string("\0", 1)), "%00");
  EXPECT_EQ(EscapePartitionValue("50%"), "50%25");
}

TEST(PartitionPath, RandomBytesRoundTrip) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string v(rng() % 12, '\0');
    for (char& c : v) c = static_cast<char>(rng());
    EXPECT_EQ(UnescapePartitionValue(EscapePartitionValue(v)).value(), v);
    const std::string path = "col=" + EscapePartitionValue(v) + "/part.parquet";
    EXPECT_EQ(DecodeDeltaPath(EncodeDeltaPath(path)).value(), path);
  }
}

TEST(PartitionPath, DirectoriesOfSeveralColumnsAndNulls) {
  std::vector<PartitionValue> values = {
      {"dt", "2026-12-02"}, {"hour", "7"}, {"country", std::nullopt}, {"path", "a/b=c"}};
  const std::string dir = PartitionDirectory(values);
  EXPECT_EQ(dir, "dt=2026-12-02/hour=7/country=__HIVE_DEFAULT_PARTITION__/path=a%2Fb%3Dc");
  EXPECT_EQ(ParsePartitionDirectory(dir).value(), values);
  EXPECT_EQ(PartitionDirectory({}), "");
  EXPECT_TRUE(ParsePartitionDirectory("").value().empty());
  EXPECT_EQ(ParsePartitionDirectory("novalue").error().code(), StatusCode::kInvalidArgument);
}

TEST(PartitionPath, DeltaPathsEncodeThePercentOfEscapes) {
  EXPECT_EQ(EncodeDeltaPath("dt=a%2Fb/part-0.parquet"), "dt=a%252Fb/part-0.parquet");
  EXPECT_EQ(DecodeDeltaPath("dt=a%252Fb/part-0.parquet").value(), "dt=a%2Fb/part-0.parquet");
}

TEST(PartitionPath, MalformedPercentEncodingIsRefused) {
  for (std::string_view bad : {"%", "%2", "%zz", "a%G0"}) {
    EXPECT_EQ(UnescapePartitionValue(bad).error().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace eventlake::lake
