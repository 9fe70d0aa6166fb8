#include "lake/delta_actions.h"

#include <gtest/gtest.h>

namespace eventlake::lake {
namespace {

DeltaCommit FullCommit() {
  DeltaCommit c;
  c.info = CommitInfoAction{.timestamp = 1764680000123,
                            .operation = "WRITE",
                            .parameters = {{"mode", "Append"}},
                            .read_version = 4,
                            .blind_append = true};
  c.protocol = ProtocolAction{};
  c.metadata = MetadataAction{.id = "0b6f7c9e-1111-2222-3333-444455556666",
                              .name = "curated.events",
                              .schema_string = R"({"type":"struct","fields":[]})",
                              .partition_columns = {"dt", "country"},
                              .created_time = 1764680000000};
  c.txns = {{"loader/events/0", 41, 1764680000123}, {"loader/events/3", 7, 1764680000123}};
  c.adds = {{.path = "dt=2026-12-02/country=a%2Fb/part-00000-x.zstd.parquet",
             .partition_values = {{"dt", "2026-12-02"}, {"country", "a/b"}},
             .size = 4821,
             .modification_time = 1764680000100,
             .stats = R"({"numRecords":10})"},
            {.path = "dt=2026-12-02/country=__HIVE_DEFAULT_PARTITION__/p.parquet",
             .partition_values = {{"dt", "2026-12-02"}, {"country", std::nullopt}},
             .size = 1,
             .data_change = false}};
  c.removes = {{.path = "dt=2026-12-01/country=x/old.parquet",
                .deletion_timestamp = 1764680000123,
                .data_change = false,
                .partition_values = {{"dt", "2026-12-01"}, {"country", "x"}},
                .size = 99}};
  return c;
}

TEST(DeltaActions, EveryActionRoundTrips) {
  const std::string text = SerializeCommit(FullCommit());
  auto parsed = ParseCommit(text);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  const DeltaCommit& c = *parsed;
  ASSERT_TRUE(c.info && c.protocol && c.metadata);
  EXPECT_EQ(c.info->operation, "WRITE");
  EXPECT_EQ(c.info->read_version, 4);
  EXPECT_EQ(c.metadata->partition_columns, (std::vector<std::string>{"dt", "country"}));
  ASSERT_EQ(c.txns.size(), 2u);
  EXPECT_EQ(c.txns[1].app_id, "loader/events/3");
  EXPECT_EQ(c.txns[1].version, 7);
  ASSERT_EQ(c.adds.size(), 2u);
  EXPECT_EQ(c.adds[0].path, "dt=2026-12-02/country=a%2Fb/part-00000-x.zstd.parquet");
  EXPECT_EQ(c.adds[0].partition_values, FullCommit().adds[0].partition_values);
  EXPECT_EQ(c.adds[1].partition_values[1].second, std::nullopt);
  EXPECT_FALSE(c.adds[1].data_change);
  EXPECT_EQ(c.adds[0].stats, R"({"numRecords":10})");
  ASSERT_EQ(c.removes.size(), 1u);
  EXPECT_EQ(c.removes[0].size, 99);
}

TEST(DeltaActions, OneActionPerLineCommitInfoFirstAndPathsUriEncoded) {
  const std::string text = SerializeCommit(FullCommit());
  EXPECT_EQ(text.find("{\"commitInfo\":"), 0u);
  EXPECT_EQ(text.back(), '\n');
  size_t lines = 0;
  for (char ch : text) lines += ch == '\n';
  EXPECT_EQ(lines, 1u + 1 + 1 + 2 + 2 + 1);
  EXPECT_NE(text.find(R"("path":"dt=2026-12-02/country=a%252Fb/part-00000-x.zstd.parquet")"),
            std::string::npos);
  EXPECT_NE(text.find(R"("protocol":{"minReaderVersion":1,"minWriterVersion":2})"),
            std::string::npos);
}

TEST(DeltaActions, ReadsWhatOtherWritersWriteAndSkipsUnknownActions) {
  // As delta-rs / Spark write them: other key orders, extra fields, cdc.
  const std::string text =
      R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})" "\n"
      R"({"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{}","partitionColumns":[],"configuration":{},"createdTime":1}})" "\n"
      R"({"add":{"path":"part-1.snappy.parquet","partitionValues":{},"size":5,"modificationTime":2,"dataChange":true,"tags":{"a":"b"}}})" "\n"
      R"({"cdc":{"path":"_change_data/x.parquet","partitionValues":{},"size":1,"dataChange":false}})" "\n"
      R"({"commitInfo":{"timestamp":3,"operation":"WRITE","operationParameters":{"mode":"Append","partitionBy":"[]"},"clientVersion":"delta-rs.0.22"}})" "\n";
  auto c = ParseCommit(text);
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(c->adds.size(), 1u);
  EXPECT_EQ(c->adds[0].path, "part-1.snappy.parquet");
  EXPECT_EQ(c->info->timestamp, 3);
}

TEST(DeltaActions, MalformedCommitsAreCorruption) {
  for (std::string_view bad :
       {std::string_view("not json\n"), std::string_view(R"({"add":{"size":1}})"),
        std::string_view(R"({"add":{"path":"p","size":"big"}})"),
        std::string_view(R"({"txn":{"appId":"a"}})"),
        std::string_view(R"({"add":{"path":"p","size":1},"remove":{"path":"q"}})"),
        std::string_view(R"({"add":{"path":"bad%zz","size":1}})"), std::string_view("[1]")}) {
    auto c = ParseCommit(bad);
    EXPECT_FALSE(c.has_value()) << bad;
  }
}

TEST(DeltaActions, CommitKeysHaveTwentyDigits) {
  EXPECT_EQ(CommitKey("curated/events", 12), "curated/events/_delta_log/00000000000000000012.json");
  EXPECT_EQ(CommitVersionOfKey("curated/events/_delta_log/00000000000000000012.json"), 12);
  EXPECT_EQ(CommitVersionOfKey("t/_delta_log/00000000000000000012.checkpoint.parquet"),
            std::nullopt);
  EXPECT_EQ(CommitVersionOfKey("t/_delta_log/_last_checkpoint"), std::nullopt);
  EXPECT_EQ(CommitVersionOfKey("t/_delta_log/0000000000000000001x.json"), std::nullopt);
}

}  // namespace
}  // namespace eventlake::lake
