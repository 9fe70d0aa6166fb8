#include "lake/column_buffer.h"

#include <gtest/gtest.h>

#include "engine/database.h"

namespace eventlake::lake {
namespace {

class ColumnBufferTest : public testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(engine::Database::Open({.threads = 1}).value());
    c_ = std::move(db_->Connect().value());
    ASSERT_TRUE(c_->Execute("SET TimeZone = 'UTC'").ok());
    source_ = std::move(engine::RowSource::Register(*c_, "buffered", {}).value());
  }

  // Every row of `buffer` (with `columns`) as DuckDB reads it through the
  // source: one text line per row, cells separated by '|', NULL as '-'.
  std::string Read(const ColumnBuffer& buffer, const std::vector<Column>& columns) {
    std::vector<engine::SourceColumn> declared;
    std::string cells;
    for (const Column& c : columns) {
      declared.push_back({c.name, SourceTypeOf(c.type)});
      cells +=
          (cells.empty() ? "" : ", '|', ") + std::string("coalesce(") + c.name + "::VARCHAR, '-')";
    }
    source_->SetColumns(declared);
    source_->SetRows(buffer.rows(), [&](size_t first, size_t rows, engine::RowWriter& writer) {
      buffer.Fill(first, rows, writer);
    });
    auto r = c_->Query("SELECT string_agg(concat(" + cells + "), '\n') FROM buffered()");
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    return r ? r->String(0, 0).value_or("") : "";
  }

  std::unique_ptr<engine::Database> db_;
  std::unique_ptr<engine::Connection> c_;
  std::unique_ptr<engine::RowSource> source_;
};

TEST_F(ColumnBufferTest, RowsOfEveryTypeWithNullsReadBackAsAppended) {
  std::vector<Column> columns = {{"s", ColumnType::kString},    {"l", ColumnType::kLong},
                                 {"d", ColumnType::kDouble},    {"b", ColumnType::kBoolean},
                                 {"t", ColumnType::kTimestamp}, {"i", ColumnType::kInteger}};
  ColumnBuffer buffer(columns);
  const std::string long_text = "a string longer than the twelve bytes DuckDB inlines";
  const CellValue s1 = std::string_view("short"), s2 = std::string_view(long_text);
  const CellValue l = int64_t{-7}, d = 2.5, d_from_long = int64_t{3}, b = true,
                  t = TimestampValue{1'796'212'800'000'001}, i = int64_t{42}, null;
  const CellValue* row1[] = {&s1, &l, &d, &b, &t, &i};
  const CellValue* row2[] = {&s2, nullptr, &d_from_long, &null, nullptr, nullptr};
  const CellValue* row3[] = {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
  ASSERT_TRUE(buffer.Append(row1).ok());
  ASSERT_TRUE(buffer.Append(row2).ok());
  ASSERT_TRUE(buffer.Append(row3).ok());
  EXPECT_EQ(buffer.rows(), 3u);
  EXPECT_EQ(Read(buffer, columns), "short|-7|2.5|true|2026-12-02 12:00:00.000001+00|42\n" +
                                       long_text + "|-|3.0|-|-|-\n-|-|-|-|-|-");
}

TEST_F(ColumnBufferTest, MoreRowsThanAChunkKeepTheirOrderAndStrings) {
  std::vector<Column> columns = {{"n", ColumnType::kLong}, {"s", ColumnType::kString}};
  ColumnBuffer buffer(columns);
  std::vector<std::string> texts;
  for (int r = 0; r < 5000; ++r) texts.push_back("row number " + std::to_string(r) + " of many");
  for (int r = 0; r < 5000; ++r) {
    const CellValue n = int64_t{r}, s = std::string_view(texts[static_cast<size_t>(r)]);
    const CellValue* row[] = {&n, r % 3 == 0 ? nullptr : &s};
    ASSERT_TRUE(buffer.Append(row).ok());
  }
  std::vector<engine::SourceColumn> declared = {{"n", engine::SourceType::kBigint},
                                                {"s", engine::SourceType::kVarchar}};
  source_->SetColumns(declared);
  source_->SetRows(buffer.rows(), [&](size_t first, size_t rows, engine::RowWriter& writer) {
    buffer.Fill(first, rows, writer);
  });
  auto r = c_->Query(
      "SELECT count(*), count(s), count(*) FILTER (WHERE s = 'row number ' || n || "
      "' of many') FROM buffered()");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->Int64(0, 0), 5000);
  EXPECT_EQ(r->Int64(1, 0), 5000 - 1667);
  EXPECT_EQ(r->Int64(2, 0), 5000 - 1667);
  auto ordered = c_->Query(
      "SELECT string_agg(n::VARCHAR, ',') FROM (SELECT n FROM buffered() LIMIT 3000) "
      "WHERE n >= 2046 AND n <= 2050");
  ASSERT_TRUE(ordered.has_value()) << ordered.error().ToString();
  EXPECT_EQ(ordered->String(0, 0), "2046,2047,2048,2049,2050");  // across the chunk boundary
}

TEST_F(ColumnBufferTest, AddedColumnsAreNullBeforeAndWidenedColumnsConvert) {
  std::vector<Column> columns = {{"n", ColumnType::kInteger}};
  ColumnBuffer buffer(columns);
  const CellValue one = int64_t{1}, two = int64_t{2}, half = 0.5, text = std::string_view("x");
  const CellValue* first[] = {&one};
  ASSERT_TRUE(buffer.Append(first).ok());
  buffer.Widen(0, ColumnType::kLong);
  columns[0].type = ColumnType::kLong;
  buffer.AddColumn(ColumnType::kString);
  columns.push_back({"added", ColumnType::kString});
  const CellValue* second[] = {&two, &text};
  ASSERT_TRUE(buffer.Append(second).ok());
  buffer.Widen(0, ColumnType::kDouble);
  columns[0].type = ColumnType::kDouble;
  const CellValue* third[] = {&half, nullptr};
  ASSERT_TRUE(buffer.Append(third).ok());
  EXPECT_EQ(Read(buffer, columns), "1.0|-\n2.0|x\n0.5|-");
}

TEST_F(ColumnBufferTest, ARowWithAValueOfTheWrongTypeIsRefusedAndLeavesNoTrace) {
  std::vector<Column> columns = {{"n", ColumnType::kLong}, {"s", ColumnType::kString}};
  ColumnBuffer buffer(columns);
  const CellValue n = int64_t{1}, refused_n = int64_t{99}, s = std::string_view("ok"), wrong = 1.5;
  const CellValue* bad[] = {&refused_n, &wrong};  // n is stored before s is found not to fit
  EXPECT_EQ(buffer.Append(bad).code(), StatusCode::kInternal);
  const CellValue* short_row[] = {&n};
  EXPECT_EQ(buffer.Append(short_row).code(), StatusCode::kInternal);
  const CellValue* good[] = {&n, &s};
  ASSERT_TRUE(buffer.Append(good).ok());
  EXPECT_EQ(buffer.rows(), 1u);
  EXPECT_EQ(Read(buffer, columns), "1|ok");
}

}  // namespace
}  // namespace eventlake::lake
