// ScanSql, the statement splitter and the Postgres spelling rewrite.
#include "query/sql_text.h"

#include <gtest/gtest.h>

namespace eventlake::query {
namespace {

TEST(SqlText, ScansQuotesIdentifiersCommentsAndDollarQuotes) {
  const std::string_view sql = "SELECT 'a' || \"b\" -- c\n/* d */ $$e$$, $1";
  std::vector<std::string> quoted;
  for (const SqlSpan& s : ScanSql(sql)) {
    if (!s.code) quoted.emplace_back(sql.substr(s.begin, s.end - s.begin));
  }
  EXPECT_EQ(quoted, (std::vector<std::string>{"'a'", "\"b\"", "-- c", "/* d */", "$$e$$"}));
  // Unterminated: to the end.
  const auto spans = ScanSql("SELECT 'it''s");
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_FALSE(spans[1].code);
  EXPECT_EQ(spans[1].end, 13u);
}

TEST(SqlText, SplitsStatementsOutsideQuotesAndComments) {
  EXPECT_EQ(SplitSqlStatements("SELECT 1; SELECT 'a;b' ; -- c;\n SELECT \"x;\" /* ; */ ;;"),
            (std::vector<std::string>{"SELECT 1", " SELECT 'a;b' ", " -- c;\n SELECT \"x;\" /* ; */ "}));
  EXPECT_EQ(SplitSqlStatements("SELECT $$a;b$$; SELECT $1"),
            (std::vector<std::string>{"SELECT $$a;b$$", " SELECT $1"}));
  EXPECT_TRUE(SplitSqlStatements("  ;  ").empty());
}

TEST(SqlText, RewritesPsqlOperatorsAndCollationsInCodeOnly) {
  EXPECT_EQ(PgCompatibleSql("WHERE c.relname OPERATOR(pg_catalog.~) '^(events)$' COLLATE pg_catalog.default"),
            "WHERE c.relname  ~  '^(events)$' ");
  EXPECT_EQ(PgCompatibleSql("SELECT 'OPERATOR(pg_catalog.~)', \"COLLATE pg_catalog.default\""),
            "SELECT 'OPERATOR(pg_catalog.~)', \"COLLATE pg_catalog.default\"");
  EXPECT_EQ(PgCompatibleSql("SELECT my_operator(pg_catalog.x)"), "SELECT my_operator(pg_catalog.x)");
  EXPECT_EQ(PgCompatibleSql("SELECT 1 OPERATOR(pg_catalog.~"), "SELECT 1 OPERATOR(pg_catalog.~");
}

TEST(SqlText, DropsPgCatalogFromCastTypesAndReadsOidTypesAsIntegers) {
  // psql's \d: the table's type, if it has one, then its text.
  EXPECT_EQ(PgCompatibleSql("CASE WHEN c.reloftype = 0 THEN '' ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text END"),
            "CASE WHEN c.reloftype = 0 THEN '' ELSE c.reloftype::INTEGER::text END");
  EXPECT_EQ(PgCompatibleSql("SELECT c.oid::PG_CATALOG.RegClass, x:: pg_catalog.int2[], 'a'::regtype"),
            "SELECT c.oid::INTEGER, x:: int2[], 'a'::INTEGER");
  // Other types, quoted ones and text in literals stay.
  EXPECT_EQ(PgCompatibleSql("SELECT x::BIGINT, x::\"pg_catalog.text\", '::pg_catalog.regtype', x::oidvector"),
            "SELECT x::BIGINT, x::\"pg_catalog.text\", '::pg_catalog.regtype', x::oidvector");
  EXPECT_EQ(PgCompatibleSql("SELECT x::"), "SELECT x::");
}

}  // namespace
}  // namespace eventlake::query
