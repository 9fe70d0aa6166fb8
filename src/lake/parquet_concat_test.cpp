#include "lake/parquet_concat.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/file.h"
#include "engine/database.h"

namespace eventlake::lake {
namespace {

class ParquetConcatTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "/concat-" +
           testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    db_ = std::move(engine::Database::Open({.threads = 1}).value());
    c_ = std::move(db_->Connect().value());
  }

  // A file of rows [first, first + n) of a table with strings (some null,
  // few distinct: dictionary pages), doubles, timestamps and a list.
  std::string Write(const std::string& name, int first, int n, int row_group_rows = 122880,
                    const std::string& extra = "") {
    const std::string path = dir_ + "/" + name;
    const std::string sql =
        "COPY (SELECT i AS n, 'id-' || i AS id, CASE WHEN i % 7 = 0 THEN NULL ELSE 'c' || (i % 5) "
        "END AS country, i * 0.25 AS price, TIMESTAMP '2026-12-06' + INTERVAL (i) SECOND AS "
        "time, [i, i + 1] AS pair" +
        extra + " FROM range(" + std::to_string(first) + ", " + std::to_string(first + n) +
        ") t(i)) TO '" + path + "' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE " +
        std::to_string(row_group_rows) + ")";
    EXPECT_TRUE(c_->Execute(sql).ok()) << sql;
    return path;
  }

  // Every row of `files`, as text, in order of n.
  std::string Rows(const std::string& files) {
    auto r = c_->Query(
        "SELECT string_agg(concat_ws('|', n, id, coalesce(country, '-'), price, "
        "time, pair::VARCHAR), ';' ORDER BY n) FROM read_parquet(" +
        files + ")");
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    return r ? r->String(0, 0).value_or("") : "";
  }

  int64_t RowGroups(const std::string& file) {
    return Scalar("SELECT count(DISTINCT row_group_id) FROM parquet_metadata('" + file + "')");
  }

  int64_t Scalar(const std::string& sql) {
    auto r = c_->Query(sql);
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    return r ? r->Int64(0, 0).value_or(-1) : -1;
  }

  std::string dir_;
  std::unique_ptr<engine::Database> db_;
  std::unique_ptr<engine::Connection> c_;
};

TEST_F(ParquetConcatTest, TheOutputHoldsEveryRowOfEveryInputInItsRowGroups) {
  const std::vector<std::string> inputs = {Write("a.parquet", 0, 1000),
                                           Write("b.parquet", 1000, 9000, 2048),
                                           Write("c.parquet", 10000, 1)};
  const int64_t b_groups = RowGroups(inputs[1]);
  ASSERT_GE(b_groups, 3);
  const std::string out = dir_ + "/out.parquet";
  auto result = ConcatenateParquetFiles(inputs, out);
  ASSERT_TRUE(result.has_value()) << result.error().ToString();
  EXPECT_EQ(result->rows, 10001u);
  EXPECT_EQ(result->row_groups, static_cast<size_t>(b_groups + 2));
  EXPECT_EQ(result->bytes, std::filesystem::file_size(out));

  const std::string all = "['" + inputs[0] + "', '" + inputs[1] + "', '" + inputs[2] + "']";
  EXPECT_EQ(Rows("'" + out + "'"), Rows(all));
  EXPECT_EQ(Scalar("SELECT count(*) FROM read_parquet('" + out + "')"), 10001);
  EXPECT_EQ(RowGroups(out), b_groups + 2);
  // Bloom filters (DuckDB writes them for dictionary-encoded columns) moved
  // with their row groups: an equality filter probes them.
  for (const char* country : {"c3", "c0", "nowhere"}) {
    const std::string where = " WHERE country = '" + std::string(country) + "'";
    EXPECT_EQ(Scalar("SELECT count(*) FROM read_parquet('" + out + "')" + where),
              Scalar("SELECT count(*) FROM read_parquet(" + all + ")" + where))
        << country;
  }
  // Row-group statistics moved with their row groups: a filter prunes by them.
  EXPECT_EQ(Scalar("SELECT count(*) FROM read_parquet('" + out + "') WHERE n BETWEEN 999 AND 1001"),
            3);
  EXPECT_EQ(Scalar("SELECT max(stats_max_value::BIGINT) FROM parquet_metadata('" + out +
                   "') WHERE path_in_schema = 'n'"),
            10000);
}

TEST_F(ParquetConcatTest, AFooterReadAndWrittenAgainIsTheSameBytes) {
  const std::string path = Write("a.parquet", 0, 5000, 1000);
  const std::string bytes = ReadFile(path).value();
  const uint32_t footer = static_cast<uint8_t>(bytes[bytes.size() - 8]) |
                          static_cast<uint8_t>(bytes[bytes.size() - 7]) << 8 |
                          static_cast<uint8_t>(bytes[bytes.size() - 6]) << 16 |
                          static_cast<uint8_t>(bytes[bytes.size() - 5]) << 24;
  const uint64_t data_end = bytes.size() - 8 - footer;
  const std::string_view footer_bytes(bytes.data() + data_end, footer);
  auto meta = ParseParquetFooter(footer_bytes, data_end);
  ASSERT_TRUE(meta.has_value()) << meta.error().ToString();
  EXPECT_EQ(thrift::WriteStruct(*meta), footer_bytes);

  // A page offset past the data is refused, as are rows that do not add up.
  thrift::Value moved = *meta;
  moved.Find(4)->elements[0].Find(1)->elements[0].Find(3)->Find(9)->integer =
      static_cast<int64_t>(data_end);
  auto refused = ParseParquetFooter(thrift::WriteStruct(moved), data_end);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), StatusCode::kCorruption);
  EXPECT_NE(refused.error().message().find("outside the data"), std::string::npos);
  thrift::Value miscounted = *meta;
  miscounted.Find(3)->integer += 1;
  refused = ParseParquetFooter(thrift::WriteStruct(miscounted), data_end);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message().find("num_rows"), std::string::npos);
  refused = ParseParquetFooter(std::string(footer_bytes) + "x", data_end);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message().find("after the FileMetaData"), std::string::npos);
}

TEST_F(ParquetConcatTest, FilesWhoseSchemasDifferAreLeftForARewrite) {
  const std::vector<std::string> inputs = {Write("a.parquet", 0, 10),
                                           Write("b.parquet", 10, 10, 122880, ", 1 AS more")};
  const std::string out = dir_ + "/out.parquet";
  auto result = ConcatenateParquetFiles(inputs, out);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(result.error().message().find("schema differs"), std::string::npos);
  EXPECT_FALSE(PathExists(out));
}

TEST_F(ParquetConcatTest, FilesOfSmallRowGroupsAreLeftForARewriteWhenAsked) {
  const std::vector<std::string> inputs = {Write("a.parquet", 0, 20000),
                                           Write("b.parquet", 20000, 9000, 2048)};
  const uint64_t average = 9000 / static_cast<uint64_t>(RowGroups(inputs[1]));
  ASSERT_LT(average, 20000u);
  const std::string out = dir_ + "/out.parquet";
  auto result = ConcatenateParquetFiles(inputs, out, {.min_rows_per_row_group = average + 1});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(result.error().message().find("b.parquet: row groups of " + std::to_string(average) +
                                          " rows on average"),
            std::string::npos)
      << result.error().message();
  EXPECT_FALSE(PathExists(out));
  EXPECT_TRUE(
      ConcatenateParquetFiles(inputs, out, {.min_rows_per_row_group = average}).has_value());
}

TEST_F(ParquetConcatTest, WhatIsNotAParquetFileIsCorruptionAndLeavesNoOutput) {
  const std::string good = Write("a.parquet", 0, 10);
  const std::string bytes = ReadFile(good).value();
  const std::string out = dir_ + "/out.parquet";
  struct Case {
    std::string name, content;
  };
  std::string huge_footer = bytes;
  huge_footer[huge_footer.size() - 5] = '\x7f';  // a footer length beyond the file
  const Case cases[] = {
      {"text.parquet", "{\"not\": \"parquet\"}"},
      {"short.parquet", "PAR1PAR1"},
      {"truncated.parquet", bytes.substr(0, bytes.size() - 20) + "PAR1"},
      {"huge_footer.parquet", huge_footer},
      {"no_head.parquet", "XXXX" + bytes.substr(4)},
  };
  for (const Case& c : cases) {
    const std::string path = dir_ + "/" + c.name;
    ASSERT_TRUE(WriteFileAtomically(path, c.content).ok());
    auto result = ConcatenateParquetFiles({good, path}, out);
    ASSERT_FALSE(result.has_value()) << c.name;
    EXPECT_EQ(result.error().code(), StatusCode::kCorruption) << c.name;
    EXPECT_NE(result.error().message().find(path), std::string::npos) << result.error().message();
    EXPECT_FALSE(PathExists(out)) << c.name;
  }
  EXPECT_EQ(ConcatenateParquetFiles({}, out).error().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace eventlake::lake
