#include "engine/database.h"

#include <gtest/gtest.h>

#include "core/file.h"

namespace eventlake::engine {
namespace {

std::unique_ptr<Connection> Connect(Database& db) {
  auto connection = db.Connect();
  EXPECT_TRUE(connection.has_value());
  return std::move(*connection);
}

TEST(Database, QueriesReturnTypedCells) {
  auto db = Database::Open({.threads = 1});
  ASSERT_TRUE(db.has_value()) << db.error().ToString();
  auto c = Connect(**db);
  auto r = c->Query(
      "SELECT 42::BIGINT AS n, 'it''s' AS s, NULL::DOUBLE AS d, true AS b, "
      "epoch_us(TIMESTAMPTZ '1970-01-01 00:00:01.5+00') AS t");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  ASSERT_EQ(r->rows(), 1u);
  ASSERT_EQ(r->columns(), 5u);
  EXPECT_EQ(r->column_name(1), "s");
  EXPECT_EQ(r->column_type(0), "BIGINT");
  EXPECT_EQ(r->Int64(0, 0), 42);
  EXPECT_EQ(r->String(1, 0), "it's");
  EXPECT_TRUE(r->IsNull(2, 0));
  EXPECT_EQ(r->Double(2, 0), std::nullopt);
  EXPECT_EQ(r->Bool(3, 0), true);
  EXPECT_EQ(r->Int64(4, 0), 1'500'000);
}

TEST(Database, SyntaxAndCatalogErrorsAreInvalidArgument) {
  auto db = Database::Open({});
  ASSERT_TRUE(db.has_value());
  auto c = Connect(**db);
  auto bad = c->Query("SELEC 1");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.error().message().find("syntax"), std::string::npos) << bad.error().message();
  auto missing = c->Query("SELECT * FROM no_such_table");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), StatusCode::kInvalidArgument);
}

TEST(Database, UnknownSettingIsRefusedAtOpen) {
  auto db = Database::Open({.settings = {{"no_such_setting", "1"}}});
  ASSERT_FALSE(db.has_value());
  EXPECT_NE(db.error().message().find("no_such_setting"), std::string::npos) << db.error().message();
}

TEST(Appender, AppendsEveryTypeAndReportsAWrongRow) {
  auto db = Database::Open({});
  ASSERT_TRUE(db.has_value());
  auto c = Connect(**db);
  ASSERT_TRUE(c->Execute("CREATE TABLE t (b BOOLEAN, i INTEGER, l BIGINT, d DOUBLE, s VARCHAR, "
                         "ts TIMESTAMPTZ, dt DATE)")
                  .ok());
  auto a = c->AppendTo("t");
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  for (int row = 0; row < 3; ++row) {
    ASSERT_TRUE(a->Bool(row % 2 == 0).ok());
    ASSERT_TRUE(a->Int32(row).ok());
    ASSERT_TRUE(a->Int64(int64_t{1} << 40).ok());
    ASSERT_TRUE(row == 1 ? a->Null().ok() : a->Double(0.5 * row).ok());
    ASSERT_TRUE(a->String(std::string_view("a\0b", 3)).ok());
    ASSERT_TRUE(a->TimestampMicros(1'000'000 * row).ok());
    ASSERT_TRUE(a->Date(20'000 + row).ok());
    ASSERT_TRUE(a->EndRow().ok());
  }
  ASSERT_TRUE(a->Close().ok());
  auto r = c->Query(
      "SELECT count(*), sum(i), count(d), max(length(s)), epoch_us(max(ts)), min(dt)::VARCHAR FROM t");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->Int64(0, 0), 3);
  EXPECT_EQ(r->Int64(1, 0), 3);
  EXPECT_EQ(r->Int64(2, 0), 2);
  EXPECT_EQ(r->Int64(3, 0), 3);
  EXPECT_EQ(r->Int64(4, 0), 2'000'000);
  EXPECT_EQ(r->String(5, 0), "2024-10-04");

  auto short_row = c->AppendTo("t");
  ASSERT_TRUE(short_row.has_value());
  ASSERT_TRUE(short_row->Bool(true).ok());
  Status s = short_row->EndRow();  // six values missing
  EXPECT_FALSE(s.ok());
}

TEST(Database, WritesAndReadsParquet) {
  auto db = Database::Open({});
  ASSERT_TRUE(db.has_value());
  auto c = Connect(**db);
  std::string dir = testing::TempDir() + "engine_parquet";
  ASSERT_TRUE(CreateDirectories(dir).ok());
  std::string file = dir + "/x.parquet";
  ASSERT_TRUE(c->Execute("COPY (SELECT range AS n FROM range(1000)) TO " + SqlString(file) +
                         " (FORMAT parquet, COMPRESSION zstd)")
                  .ok());
  auto r = c->Query("SELECT count(*), sum(n) FROM read_parquet(" + SqlString(file) + ")");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->Int64(0, 0), 1000);
  EXPECT_EQ(r->Int64(1, 0), 499500);
}

TEST(Sql, LiteralsAndIdentifiersAreQuoted) {
  EXPECT_EQ(SqlString("a'b"), "'a''b'");
  EXPECT_EQ(SqlIdentifier("we\"ird"), "\"we\"\"ird\"");
}

}  // namespace
}  // namespace eventlake::engine
