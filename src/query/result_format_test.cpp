#include "query/result_format.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace eventlake::query {
namespace {

const std::vector<QueryColumn> kColumns = {{"id", "VARCHAR"}, {"n", "BIGINT"}, {"tags", "VARCHAR[]"},
                                           {"note, \"x\"", "VARCHAR"}};
const std::vector<std::string> kRows = {R"(["a",1,["x","y"],"line\nbreak, \"quoted\" \u00e9\ud83d\ude00"])",
                                        R"([null,-2.5,[],null])"};

std::string Format(ResultFormat format, bool truncated = false) {
  FormattedResult result(format);
  EXPECT_TRUE(result.Columns(kColumns).ok());
  for (const std::string& row : kRows) EXPECT_TRUE(result.Row(row).ok());
  return result.Finish({.rows = kRows.size(), .truncated = truncated, .tables = {"curated.t@3"}});
}

TEST(ResultFormat, JsonKeepsColumnsRowsAndStats) {
  auto body = nlohmann::json::parse(Format(ResultFormat::kJson, true));
  EXPECT_EQ(body["columns"][1], (nlohmann::json{{"name", "n"}, {"type", "BIGINT"}}));
  EXPECT_EQ(body["rows"].size(), 2u);
  EXPECT_EQ(body["rows"][0][3], "line\nbreak, \"quoted\" \u00e9\U0001F600");
  EXPECT_EQ(body["rows"][1][1], -2.5);
  EXPECT_EQ(body["row_count"], 2);
  EXPECT_EQ(body["truncated"], true);
  EXPECT_EQ(body["stats"]["tables"][0], "curated.t@3");
}

TEST(ResultFormat, NdjsonIsOneObjectPerRow) {
  const std::string body = Format(ResultFormat::kNdjson);
  const size_t newline = body.find('\n');
  auto first = nlohmann::json::parse(body.substr(0, newline));
  EXPECT_EQ(first["id"], "a");
  EXPECT_EQ(first["tags"], (nlohmann::json{"x", "y"}));
  EXPECT_EQ(first["note, \"x\""], "line\nbreak, \"quoted\" \u00e9\U0001F600");
  auto second = nlohmann::json::parse(body.substr(newline + 1, body.size() - newline - 2));
  EXPECT_TRUE(second["id"].is_null());
}

TEST(ResultFormat, CsvQuotesWhatNeedsItAndLeavesNullEmpty) {
  EXPECT_EQ(Format(ResultFormat::kCsv),
            "id,n,tags,\"note, \"\"x\"\"\"\r\n"
            "a,1,\"[\"\"x\"\",\"\"y\"\"]\",\"line\nbreak, \"\"quoted\"\" \u00e9\U0001F600\"\r\n"
            ",-2.5,[],\r\n");
}

// Records each piece a ResultWriter hands out.
struct Pieces : ResultOutput {
  Status Write(std::string_view bytes) override {
    pieces.emplace_back(bytes);
    return Status::Ok();
  }
  std::string Joined() const {
    std::string all;
    for (const std::string& p : pieces) all += p;
    return all;
  }
  std::vector<std::string> pieces;
};

TEST(ResultWriter, HandsOutEachRowAsItComesAndTheSameBytesAsAWholeResult) {
  for (ResultFormat format : {ResultFormat::kJson, ResultFormat::kNdjson, ResultFormat::kCsv}) {
    Pieces out;
    ResultWriter writer(format, &out);
    ASSERT_TRUE(writer.Columns(kColumns).ok());
    const size_t after_columns = out.pieces.size();
    for (const std::string& row : kRows) ASSERT_TRUE(writer.Row(row).ok());
    EXPECT_EQ(out.pieces.size(), after_columns + kRows.size());
    ASSERT_TRUE(writer.Finish({.rows = kRows.size(), .tables = {"curated.t@3"}}).ok());
    EXPECT_EQ(out.Joined(), Format(format));
  }
}

TEST(ResultWriter, JsonCutByAnErrorSaysSoBeforeTheClosingBrace) {
  Pieces out;
  ResultWriter writer(ResultFormat::kJson, &out);
  ASSERT_TRUE(writer.Columns(kColumns).ok());
  ASSERT_TRUE(writer.Row(kRows[0]).ok());
  ASSERT_TRUE(writer.FinishWithError(R"({"type":"x","status":504})").ok());
  auto body = nlohmann::json::parse(out.Joined());
  EXPECT_EQ(body["rows"].size(), 1u);
  EXPECT_EQ(body["error"]["status"], 504);
  EXPECT_EQ(body["row_count"], 1);
  EXPECT_FALSE(body.contains("stats"));
}

TEST(ResultWriter, NdjsonAndCsvWriteNothingForAnError) {
  for (ResultFormat format : {ResultFormat::kNdjson, ResultFormat::kCsv}) {
    Pieces out;
    ResultWriter writer(format, &out);
    ASSERT_TRUE(writer.Columns(kColumns).ok());
    const std::string before = out.Joined();
    ASSERT_TRUE(writer.FinishWithError("{}").ok());
    EXPECT_EQ(out.Joined(), before);
  }
}

TEST(ResultWriter, AnOutputErrorStopsTheRows) {
  struct Refusing : ResultOutput {
    Status Write(std::string_view) override { return Unavailable("the client closed the connection"); }
  } out;
  ResultWriter writer(ResultFormat::kNdjson, &out);
  ASSERT_TRUE(writer.Columns(kColumns).ok());  // NDJSON has no header
  EXPECT_EQ(writer.Row(kRows[0]).code(), StatusCode::kUnavailable);
}

TEST(ResultFormat, AcceptHeadersChooseTheFormat) {
  EXPECT_EQ(FormatForAccept(""), ResultFormat::kJson);
  EXPECT_EQ(FormatForAccept("text/csv"), ResultFormat::kCsv);
  EXPECT_EQ(FormatForAccept("application/x-ndjson, application/json;q=0.5"), ResultFormat::kNdjson);
  EXPECT_EQ(FormatForAccept("image/png, */*;q=0.1"), ResultFormat::kJson);
  EXPECT_EQ(FormatForAccept("image/png"), std::nullopt);
  EXPECT_EQ(ParseResultFormat("CSV"), ResultFormat::kCsv);
  EXPECT_EQ(FormatForAccept("application/vnd.apache.arrow.stream"), ResultFormat::kArrow);
  EXPECT_EQ(ParseResultFormat("arrow"), ResultFormat::kArrow);
  EXPECT_EQ(MediaTypeOf(ResultFormat::kArrow), "application/vnd.apache.arrow.stream");
}

TEST(ResultFormat, ArrowIsTheEnginesStreamAsItCame) {
  FormattedResult result(ResultFormat::kArrow);
  ASSERT_TRUE(result.Columns(kColumns).ok());
  ASSERT_TRUE(result.Bytes("schema").ok());
  ASSERT_TRUE(result.Bytes("batch").ok());
  EXPECT_FALSE(result.Row(kRows[0]).ok());
  EXPECT_EQ(result.Finish({.rows = 2}), "schemabatch");
  FormattedResult json(ResultFormat::kJson);
  EXPECT_FALSE(json.Bytes("schema").ok());
}

TEST(ResultFormat, SplitsAndUnquotesJson) {
  auto items = SplitJsonArray(R"([1, "a,]", {"k": [1, 2]}, [], null])");
  ASSERT_TRUE(items.has_value());
  EXPECT_EQ(*items, (std::vector<std::string_view>{"1", "\"a,]\"", "{\"k\": [1, 2]}", "[]", "null"}));
  EXPECT_TRUE(SplitJsonArray("[]")->empty());
  EXPECT_FALSE(SplitJsonArray("[1").has_value());
  EXPECT_FALSE(SplitJsonArray("[\"open]").has_value());
  EXPECT_FALSE(UnquoteJsonString("\"bad \\x\"").has_value());
  EXPECT_FALSE(UnquoteJsonString("\"trailing \\\"").has_value());
}

}  // namespace
}  // namespace eventlake::query
