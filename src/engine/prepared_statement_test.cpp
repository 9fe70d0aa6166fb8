#include "engine/prepared_statement.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/database.h"

namespace eventlake::engine {
namespace {

class PreparedStatementTest : public testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(Database::Open({.threads = 1}).value());
    connection_ = std::move(db_->Connect().value());
  }
  std::unique_ptr<Database> db_;
  std::unique_ptr<Connection> connection_;
};

TEST_F(PreparedStatementTest, NamesAndTypesColumnsIncludingNestedOnes) {
  auto s = connection_->Prepare(
      "SELECT 1::BIGINT AS n, 1.5::DECIMAL(18,3) AS d, [1, 2] AS l, {'a': 1, 'B c': 'x'} AS s, "
      "MAP {'k': 1.0} AS m, [1, 2]::INTEGER[2] AS a, now()::TIMESTAMPTZ AS t");
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  ASSERT_EQ((*s)->column_count(), 7u);
  EXPECT_TRUE((*s)->IsSelect());
  EXPECT_EQ((*s)->column_name(0), "n");
  const std::vector<std::string> types = {"BIGINT", "DECIMAL(18,3)", "INTEGER[]",
                                          "STRUCT(a INTEGER, \"B c\" VARCHAR)",
                                          "MAP(VARCHAR, DECIMAL(2,1))", "INTEGER[2]",
                                          "TIMESTAMP WITH TIME ZONE"};
  for (size_t i = 0; i < types.size(); ++i) EXPECT_EQ((*s)->column_type(i), types[i]) << i;
}

TEST_F(PreparedStatementTest, ReadsIntegerAndBooleanCellsOfTheirTypesOnly) {
  auto s = connection_->Prepare(
      "SELECT i AS big, i::INTEGER AS int, i % 2 = 0 AS even, CASE WHEN i = 1 THEN NULL ELSE i END AS gap, "
      "'x' AS text FROM range(3) r(i)");
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  auto stream = (*s)->Execute();
  ASSERT_TRUE(stream.has_value()) << stream.error().ToString();
  ASSERT_TRUE(stream->Next().value_or(false));
  ASSERT_EQ(stream->rows(), 3u);
  EXPECT_EQ(stream->Int64(0, 2), 2);
  EXPECT_EQ(stream->Int64(1, 2), 2);
  EXPECT_EQ(stream->Bool(2, 0), true);
  EXPECT_EQ(stream->Bool(2, 1), false);
  EXPECT_FALSE(stream->Int64(3, 1).has_value());  // NULL
  EXPECT_FALSE(stream->Int64(4, 0).has_value());  // not an integer
  EXPECT_FALSE(stream->Bool(0, 0).has_value());   // not a boolean
}

TEST_F(PreparedStatementTest, BindsParametersAndStreamsEveryChunk) {
  auto s = connection_->Prepare(
      "SELECT (i * $1)::VARCHAR AS v, CASE WHEN i % 2 = 0 THEN NULL ELSE $2 END AS t "
      "FROM range(5000) r(i)");
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  EXPECT_EQ((*s)->parameter_count(), 2u);
  ASSERT_TRUE((*s)->BindInt64(1, 3).ok());
  ASSERT_TRUE((*s)->BindText(2, std::string_view("odd\0row", 7)).ok());
  EXPECT_FALSE((*s)->BindInt64(3, 1).ok());
  auto stream = (*s)->Execute();
  ASSERT_TRUE(stream.has_value()) << stream.error().ToString();
  size_t rows = 0, chunks = 0;
  while (true) {
    auto more = stream->Next();
    ASSERT_TRUE(more.has_value()) << more.error().ToString();
    if (!*more) break;
    ++chunks;
    for (size_t r = 0; r < stream->rows(); ++r, ++rows) {
      EXPECT_EQ(stream->Text(0, r), std::to_string(rows * 3));
      if (rows % 2 == 0) {
        EXPECT_FALSE(stream->Text(1, r).has_value());
      } else {
        EXPECT_EQ(stream->Text(1, r), std::string_view("odd\0row", 7));
      }
    }
  }
  EXPECT_EQ(rows, 5000u);
  EXPECT_GT(chunks, 1u);
}

// AppendJson writes a string or a double as nlohmann's dump() writes it
// (the sql step's events must not depend on which of the two rendered a
// value): controls, quotes, backslashes and UTF-8 included.
TEST_F(PreparedStatementTest, AppendsStringsAndDoublesAsJsonAsNlohmannDumpsThem) {
  std::vector<std::string> texts = {"", "plain", "a \"quoted\" word", "back\\slash",
                                    "tab\there, line\nthere, \r\b\f", std::string("nul\0and\x01\x1f", 11),
                                    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"", "\\", "x\x7fy"};
  std::string every_ascii;
  for (int c = 0; c < 0x80; ++c) every_ascii.push_back(static_cast<char>(c));
  texts.push_back(every_ascii);
  auto s = connection_->Prepare("SELECT $1::VARCHAR, $2::DOUBLE");
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  const std::vector<double> doubles = {0.0, -0.0, 6.0, 0.1, 1e21, 1.5e-7, -123.456, 5.98, 2.5, 1e300, 7.0, 3.25};
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSERT_TRUE((*s)->BindText(1, texts[i]).ok());
    ASSERT_TRUE((*s)->BindDouble(2, doubles[i]).ok());
    auto stream = (*s)->Execute();
    ASSERT_TRUE(stream.has_value()) << stream.error().ToString();
    ASSERT_TRUE(stream->Next().value_or(false));
    std::string out = "[";
    ASSERT_TRUE(stream->AppendJson(0, 0, &out));
    out += ",";
    ASSERT_TRUE(stream->AppendJson(1, 0, &out));
    EXPECT_EQ(out, "[" + nlohmann::json(texts[i]).dump() + "," + nlohmann::json(doubles[i]).dump()) << i;
  }
}

TEST_F(PreparedStatementTest, ErrorsKeepTheirKind) {
  auto bad = connection_->Prepare("SELECT * FORM t");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), StatusCode::kInvalidArgument);
  auto missing = connection_->Prepare("SELECT * FROM no_such_table");
  EXPECT_EQ(missing.error().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(connection_->Execute("SET enable_external_access = false").ok());
  auto denied = connection_->Prepare("SELECT * FROM read_csv('/etc/passwd')");
  ASSERT_FALSE(denied.has_value());
  EXPECT_EQ(denied.error().code(), StatusCode::kPermissionDenied) << denied.error().ToString();
  auto s = connection_->Prepare("SELECT 1 // $1");
  ASSERT_TRUE(s.has_value());
  ASSERT_TRUE((*s)->BindInt64(1, 0).ok());
  auto failed = (*s)->Execute();
  if (failed.has_value()) {
    auto next = failed->Next();
    EXPECT_FALSE(next.has_value() && *next && failed->Text(0, 0).has_value());
  }
  auto insert = connection_->Prepare("CREATE TABLE x (a INT)");
  ASSERT_TRUE(insert.has_value());
  EXPECT_FALSE((*insert)->IsSelect());
}

}  // namespace
}  // namespace eventlake::engine
