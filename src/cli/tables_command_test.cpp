#include "cli/tables_command.h"

#include <gtest/gtest.h>

namespace eventlake::cli {
namespace {

using Json = nlohmann::ordered_json;

TEST(TablesCommand, ListShowsOneLinePerTable) {
  Json list = Json::parse(R"({"tables":[{"name":"curated.events","version":3,"files":2,
      "rows":10,"size_bytes":2048,"partition_columns":["dt","hour"],"updated":"2026-12-02T00:00:00Z"}]})");
  const std::string text = RenderTableList(list);
  EXPECT_NE(text.find("NAME"), std::string::npos);
  EXPECT_NE(text.find("curated.events  3"), std::string::npos) << text;
  EXPECT_NE(text.find("2.0 KiB"), std::string::npos) << text;
  EXPECT_NE(text.find("dt, hour"), std::string::npos) << text;
}

TEST(TablesCommand, DescriptionHasColumnsPartitionsAndOffsets) {
  Json d = Json::parse(R"({"name":"curated.events","version":1,"rows":3,"files":1,
      "size_bytes":100,"columns":[{"name":"id","type":"string","partition":false},
      {"name":"dt","type":"date","partition":true}],
      "partitions":[{"path":"dt=2026-12-02","files":1,"rows":3,"size_bytes":100}],
      "loaded_offsets":{"events/events/0":41}})");
  const std::string text = RenderTableDescription(d);
  EXPECT_NE(text.find("table curated.events, version 1: 3 rows in 1 files"), std::string::npos)
      << text;
  EXPECT_NE(text.find("dt      date    yes"), std::string::npos) << text;
  EXPECT_NE(text.find("dt=2026-12-02"), std::string::npos) << text;
  EXPECT_NE(text.find("events/events/0  41"), std::string::npos) << text;
}

TEST(TablesCommand, HistoryListsCommitsWithParameters) {
  Json h = Json::parse(R"({"commits":[{"version":1,"timestamp":"t1","operation":"WRITE",
      "parameters":{"mode":"Append"},"files_added":2,"files_removed":0},
      {"version":0,"timestamp":"t0","operation":"CREATE TABLE","parameters":{},
      "files_added":0,"files_removed":0}]})");
  const std::string text = RenderTableHistory(h);
  EXPECT_NE(text.find("mode=Append"), std::string::npos) << text;
  EXPECT_NE(text.find("CREATE TABLE"), std::string::npos) << text;
  EXPECT_LT(text.find("WRITE"), text.find("CREATE TABLE"));
}

}  // namespace
}  // namespace eventlake::cli
