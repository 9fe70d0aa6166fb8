// Tests of `eventlake streams`' text renderings of the server's JSON.
#include "cli/streams_command.h"

#include <gtest/gtest.h>

namespace eventlake::cli {
namespace {

using Json = nlohmann::ordered_json;

TEST(RenderStreamList, PrintsAlignedTableWithHumanSizes) {
  auto list = Json::parse(R"({"streams":[
      {"name":"events","partitions":4,"durability":"fsync","size_bytes":1536,"records":12},
      {"name":"clicks_dlq","partitions":1,"durability":"none","size_bytes":0,"records":0}]})");
  EXPECT_EQ(RenderStreamList(list),
            "NAME        PARTITIONS  DURABILITY  SIZE     RECORDS\n"
            "events      4           fsync       1.5 KiB  12\n"
            "clicks_dlq  1           none        0 B      0\n");
}

TEST(RenderStreamList, EmptyOrMalformedAnswerPrintsOnlyTheHeader) {
  EXPECT_EQ(RenderStreamList(Json::parse(R"({"streams":[]})")),
            "NAME  PARTITIONS  DURABILITY  SIZE  RECORDS\n");
  EXPECT_EQ(RenderStreamList(Json::parse(R"([1,2])")),
            "NAME  PARTITIONS  DURABILITY  SIZE  RECORDS\n");
}

TEST(RenderStreamDescription, ShowsOptionsPartitionsAndGroupLag) {
  auto d = Json::parse(R"({"name":"events","options":{"partitions":2,"retention":"7d"},
      "size_bytes":2048,"records":5,
      "partitions":[
        {"partition":0,"start_offset":0,"end_offset":3,"size_bytes":1024,"segments":1,
         "oldest_append_time":"2026-11-25T02:06:55.000000Z",
         "newest_append_time":"2026-11-25T02:07:00.000000Z","health":"ok"},
        {"partition":1,"start_offset":0,"end_offset":2,"size_bytes":1024,"segments":1,
         "oldest_append_time":null,"newest_append_time":null,"health":"io_error: fsync failed"}],
      "groups":[{"group":"loader","committed":[1,2],"lag":[2,0],"total_lag":2}]})");
  std::string text = RenderStreamDescription(d);
  EXPECT_NE(text.find("stream events: 2.0 KiB, 5 records"), std::string::npos) << text;
  EXPECT_NE(text.find("  retention   7d"), std::string::npos) << text;
  EXPECT_NE(text.find("0          0      3    3        1.0 KiB  1         "
                      "2026-11-25T02:06:55.000000Z  2026-11-25T02:07:00.000000Z  ok"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("io_error: fsync failed"), std::string::npos) << text;
  EXPECT_NE(text.find("loader  2          1,2        2,0"), std::string::npos) << text;
}

TEST(RenderStreamDescription, SaysWhenThereAreNoGroups) {
  auto d = Json::parse(R"({"name":"events","partitions":[],"groups":[]})");
  EXPECT_NE(RenderStreamDescription(d).find("no consumer groups"), std::string::npos);
}

}  // namespace
}  // namespace eventlake::cli
