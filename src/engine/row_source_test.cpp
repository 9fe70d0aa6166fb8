// RowSource: the caller's rows as a table function, typed as declared,
// more than a chunk of them, and new rows under a statement prepared
// before.
#include "engine/row_source.h"

#include <gtest/gtest.h>

#include "engine/database.h"

namespace eventlake::engine {
namespace {

class RowSourceTest : public testing::Test {
 protected:
  RowSourceTest() : db_(Database::Open({.threads = 1}).value()), connection_(db_->Connect().value()) {}

  void SetUp() override {
    auto source = RowSource::Register(*connection_, "rows",
                                      {{"n", SourceType::kBigint},
                                       {"s", SourceType::kVarchar},
                                       {"j", SourceType::kJson},
                                       {"b", SourceType::kBoolean},
                                       {"t", SourceType::kTimestampTz}});
    ASSERT_TRUE(source.has_value()) << source.error().ToString();
    source_ = std::move(*source);
    ASSERT_TRUE(connection_->Execute("SET TimeZone = 'UTC'").ok());
  }

  // Rows n = 0..count-1; s NULL on odd rows, and a string longer than DuckDB inlines on the others.
  void SetRows(size_t count, std::string tag) {
    source_->SetRows(count, [tag](size_t first, size_t rows, RowWriter& out) {
      for (size_t row = 0; row < rows; ++row) {
        const size_t n = first + row;
        out.Int64(0, row, static_cast<int64_t>(n));
        n % 2 == 1 ? out.Null(1, row) : out.String(1, row, tag + " and some more text " + std::to_string(n));
        out.String(2, row, R"({"k": )" + std::to_string(n) + "}");
        out.Bool(3, row, n % 3 == 0);
        out.TimestampMicros(4, row, 1'796'212'800'000'000 + static_cast<int64_t>(n));
      }
    });
  }

  std::unique_ptr<Database> db_;
  std::unique_ptr<Connection> connection_;
  std::unique_ptr<RowSource> source_;
};

TEST_F(RowSourceTest, ReadsTheRowsAsDeclaredAcrossChunks) {
  SetRows(5000, "first");
  auto r = connection_->Query(
      "SELECT count(*), sum(n), count(s), max(s), sum((j->>'k')::BIGINT), count(*) FILTER (WHERE b), "
      "max(t)::VARCHAR, any_value(typeof(j)), any_value(typeof(t)) FROM rows()");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->Int64(0, 0), 5000);
  EXPECT_EQ(r->Int64(1, 0), 5000 * 4999 / 2);
  EXPECT_EQ(r->Int64(2, 0), 2500);
  EXPECT_EQ(r->String(3, 0), "first and some more text 998");
  EXPECT_EQ(r->Int64(4, 0), 5000 * 4999 / 2);
  EXPECT_EQ(r->Int64(5, 0), 1667);
  EXPECT_EQ(r->String(6, 0), "2026-12-02 12:00:00.004999+00");
  EXPECT_EQ(r->String(7, 0), "JSON");
  EXPECT_EQ(r->String(8, 0), "TIMESTAMP WITH TIME ZONE");
}

TEST_F(RowSourceTest, AStatementPreparedBeforeReadsTheNewRows) {
  auto statement = connection_->Prepare("SELECT max(s) FROM rows()");
  ASSERT_TRUE(statement.has_value()) << statement.error().ToString();
  for (const auto& [count, tag] : std::vector<std::pair<size_t, std::string>>{{3, "a"}, {0, "b"}, {2049, "c"}}) {
    SetRows(count, tag);
    auto rows = (*statement)->Execute();
    ASSERT_TRUE(rows.has_value()) << rows.error().ToString();
    ASSERT_TRUE(rows->Next().value_or(false));
    const std::optional<std::string_view> max = rows->Text(0, 0);
    if (count == 0) {
      EXPECT_FALSE(max.has_value());
    } else {
      EXPECT_EQ(max, tag + " and some more text " + (count == 3 ? "2" : "998"));
    }
  }
}

TEST_F(RowSourceTest, ColumnWritersFillEveryTypeAndViewedStringsCompareAsCopiedOnes) {
  source_->SetColumns({{"d", SourceType::kDouble},
                       {"i", SourceType::kInteger},
                       {"day", SourceType::kDate},
                       {"viewed", SourceType::kVarchar},
                       {"copied", SourceType::kVarchar}});
  const std::vector<std::string> texts = {"short", "exactly 12 b", "longer than twelve bytes"};
  source_->SetRows(4, [&](size_t first, size_t rows, RowWriter& out) {
    ColumnWriter d = out.Column(0), i = out.Column(1), day = out.Column(2), viewed = out.Column(3),
                 copied = out.Column(4);
    for (size_t row = 0; row < rows; ++row) {
      const size_t n = first + row;
      if (n == 3) {
        for (ColumnWriter* c : {&d, &i, &day, &viewed, &copied}) c->Null(row);
        continue;
      }
      d.Double(row, static_cast<double>(n) / 4);
      i.Int32(row, -static_cast<int32_t>(n));
      day.Int32(row, 20'000 + static_cast<int32_t>(n));
      viewed.StringView(row, texts[n]);
      copied.String(row, texts[n]);
    }
  });
  auto r = connection_->Query(
      "SELECT string_agg(concat_ws(',', d, i, day, viewed), ';'), count(*) FILTER (WHERE viewed = "
      "copied), count(DISTINCT viewed), count(viewed) FROM rows()");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->String(0, 0),
            "0.0,0,2024-10-04,short;0.25,-1,2024-10-05,exactly 12 b;0.5,-2,2024-10-06,longer than "
            "twelve bytes;");
  EXPECT_EQ(r->Int64(1, 0), 3);  // an inlined view equals its copy: unused bytes are zero
  EXPECT_EQ(r->Int64(2, 0), 3);
  EXPECT_EQ(r->Int64(3, 0), 3);
}

}  // namespace
}  // namespace eventlake::engine
