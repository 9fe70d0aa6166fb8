#include "lake/file_stats.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace eventlake::lake {
namespace {

TEST(MergeFileStats, CountsAddBoundsCombineAndNewColumnsCountAsNulls) {
  const std::vector<Column> columns = {{"id", ColumnType::kString},
                                       {"n", ColumnType::kDouble},
                                       {"extra", ColumnType::kString}};
  auto merged = MergeFileStats(
      {R"({"numRecords":3,"minValues":{"id":"b","n":2},"maxValues":{"id":"d","n":9},)"
       R"("nullCount":{"id":0,"n":1}})",
       R"({"numRecords":2,"minValues":{"id":"a","n":2.5,"extra":"x"},)"
       R"("maxValues":{"id":"c","n":10.5,"extra":"y"},"nullCount":{"id":0,"n":0,"extra":0}})"},
      columns);
  ASSERT_TRUE(merged.has_value());
  auto s = nlohmann::json::parse(*merged);
  EXPECT_EQ(s["numRecords"], 5);
  EXPECT_EQ(s["minValues"]["id"], "a");
  EXPECT_EQ(s["maxValues"]["id"], "d");
  EXPECT_EQ(s["minValues"]["n"], 2);
  EXPECT_EQ(s["maxValues"]["n"], 10.5);
  EXPECT_EQ(s["nullCount"]["n"], 1);
  EXPECT_EQ(s["nullCount"]["extra"], 3);  // the first file predates the column
  EXPECT_EQ(s["minValues"]["extra"], "x");
}

TEST(MergeFileStats, AMissingBoundIsNotInventedAndMissingStatsGiveUp) {
  const std::vector<Column> columns = {{"s", ColumnType::kString}};
  auto merged = MergeFileStats({R"({"numRecords":1,"minValues":{"s":"a"},"maxValues":{},)"
                                R"("nullCount":{"s":0}})",
                                R"({"numRecords":1,"minValues":{"s":"b"},"maxValues":{"s":"b"},)"
                                R"("nullCount":{"s":0}})"},
                               columns);
  ASSERT_TRUE(merged.has_value());
  auto s = nlohmann::json::parse(*merged);
  EXPECT_EQ(s["minValues"]["s"], "a");
  EXPECT_FALSE(s["maxValues"].contains("s"));  // one input's max was cut: unknown
  EXPECT_EQ(MergeFileStats({"", R"({"numRecords":1})"}, columns), std::nullopt);
}

}  // namespace
}  // namespace eventlake::lake
