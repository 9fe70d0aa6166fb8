// Tests for the RFC 4180 CSV reader: the grammar, the limits, the line
// numbers in errors, and the header-keyed JSON objects.
#include "ingest/sources/csv.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace eventlake::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Objects(std::string_view text, const CsvLimits& limits = {}) {
  Result<std::vector<std::string>> objects = CsvToJsonObjects(text, limits);
  EXPECT_TRUE(objects.has_value()) << objects.error().ToString();
  return objects.value_or(std::vector<std::string>{});
}

std::string Error(std::string_view text, const CsvLimits& limits = {}) {
  Result<std::vector<std::string>> objects = CsvToJsonObjects(text, limits);
  if (objects.has_value()) return "no error";
  EXPECT_EQ(objects.error().code(), StatusCode::kInvalidArgument);
  return objects.error().message();
}

TEST(Csv, HeaderNamesTheKeysOfEachRowObject) {
  EXPECT_THAT(Objects("id,name\n1,ada\n2,grace\n"),
              ElementsAre(R"({"id":"1","name":"ada"})", R"({"id":"2","name":"grace"})"));
}

TEST(Csv, ValuesStayTextWithoutTypeGuessing) {
  EXPECT_THAT(Objects("a,b,c,d,e,f\n007,1e3,,true,NA,-0\n"),
              ElementsAre(R"({"a":"007","b":"1e3","c":"","d":"true","e":"NA","f":"-0"})"));
}

TEST(Csv, QuotedFieldsKeepCommasAndDoubledQuotes) {
  EXPECT_THAT(Objects("a,b\n\"x, y\",\"say \"\"hi\"\"\"\n\"\",\"\"\"\"\n"),
              ElementsAre(R"({"a":"x, y","b":"say \"hi\""})", R"({"a":"","b":"\""})"));
}

TEST(Csv, AcceptsCrlfAndLfLineEndsMixed) {
  EXPECT_THAT(Objects("a,b\r\n1,2\n3,4\r\n"),
              ElementsAre(R"({"a":"1","b":"2"})", R"({"a":"3","b":"4"})"));
}

TEST(Csv, KeepsLineEndsInsideQuotedFields) {
  EXPECT_THAT(Objects("a,b\n\"line 1\nline 2\",\"x\r\ny\"\n"),
              ElementsAre(R"({"a":"line 1\nline 2","b":"x\r\ny"})"));
}

TEST(Csv, LineNumbersCountLineEndsInsideQuotes) {
  // The bad row starts on line 4 because the record before spans lines 2-3.
  EXPECT_EQ(Error("a,b\n\"1\n1\",2\n3,4,5\n"), "line 4: 3 fields, but the header names 2");
}

TEST(Csv, SkipsByteOrderMarkAtStartOfFile) {
  EXPECT_THAT(Objects("\xEF\xBB\xBFid\n1\n"), ElementsAre(R"({"id":"1"})"));
  // Only one: a second is part of the first field.
  EXPECT_THAT(Objects("\xEF\xBB\xBF\xEF\xBB\xBFid\n1\n"),
              ElementsAre("{\"\xEF\xBB\xBFid\":\"1\"}"));
}

TEST(Csv, KeepsByteOrderMarkOfARowReadAgain) {
  CsvReader reader("\xEF\xBB\xBFx\n", {}, /*first_line=*/5, /*start_of_file=*/false);
  CsvRow row;
  ASSERT_TRUE(reader.Next(&row).value());
  EXPECT_THAT(row.fields, ElementsAre("\xEF\xBB\xBFx"));
  EXPECT_EQ(row.line, 5u);
}

TEST(Csv, LastRowNeedsNoLineEnd) {
  EXPECT_THAT(Objects("a\n1\n2"), ElementsAre(R"({"a":"1"})", R"({"a":"2"})"));
}

TEST(Csv, SkipsEmptyLines) {
  EXPECT_THAT(Objects("\na,b\n\n1,2\r\n\r\n3,4\n\n"),
              ElementsAre(R"({"a":"1","b":"2"})", R"({"a":"3","b":"4"})"));
}

TEST(Csv, TrailingCommaMeansEmptyLastField) {
  EXPECT_THAT(Objects("a,b\n1,\n,\n"), ElementsAre(R"({"a":"1","b":""})", R"({"a":"","b":""})"));
}

TEST(Csv, HeaderOnlyTextHasNoRecords) { EXPECT_TRUE(Objects("a,b\n").empty()); }

TEST(Csv, EscapesJsonSpecialCharactersInValues) {
  EXPECT_THAT(Objects("k\n\"back\\slash\ttab\"\n"), ElementsAre(R"({"k":"back\\slash\ttab"})"));
}

TEST(Csv, RejectsEmptyText) { EXPECT_THAT(Error(""), HasSubstr("no header row")); }

TEST(Csv, RejectsQuoteInsideUnquotedField) {
  EXPECT_THAT(Error("a,b\n1,2\n3,5\" screen\n"),
              HasSubstr("line 3: a quote inside an unquoted field"));
}

TEST(Csv, RejectsCharacterAfterClosingQuote) {
  EXPECT_THAT(Error("a,b\n1,\"2\"x\n"),
              HasSubstr("line 2: field 2: a character after the closing"));
}

TEST(Csv, RejectsUnclosedQuoteNamingTheLineWhereItOpened) {
  EXPECT_THAT(Error("a,b\n1,2\n3,\"4\n5\n6\n"),
              HasSubstr("line 3: a quoted field opened on this line is never closed"));
}

TEST(Csv, RejectsBareCarriageReturn) {
  EXPECT_THAT(Error("a,b\r1,2\n"), HasSubstr("line 1: a carriage return not followed"));
}

TEST(Csv, RejectsRowWithTooFewFields) {
  EXPECT_EQ(Error("a,b,c\n1,2,3\n4\n"), "line 3: 1 field, but the header names 3");
}

TEST(Csv, RejectsEmptyHeaderName) {
  EXPECT_EQ(Error("a,,c\n1,2,3\n"), "line 1: header field 2 is empty: every column needs a name");
}

TEST(Csv, RejectsRepeatedHeaderName) {
  EXPECT_EQ(Error("id,x,id\n1,2,3\n"), R"(line 1: header field 3 ("id") repeats header field 1)");
}

TEST(Csv, RejectsUnquotedFieldLargerThanLimit) {
  CsvLimits limits{.max_field_bytes = 4};
  EXPECT_TRUE(CsvToJsonObjects("a\n1234\n", limits).has_value());
  EXPECT_THAT(Error("a\n1234\n12345\n", limits), HasSubstr("line 3: a field is larger than"));
}

TEST(Csv, RejectsQuotedFieldLargerThanLimitCountingUnquotedBytes) {
  CsvLimits limits{.max_field_bytes = 4};
  EXPECT_TRUE(CsvToJsonObjects("a\n\"12\"\"4\"\n", limits).has_value());
  EXPECT_THAT(Error("a\n\"12\"\"45\"\n", limits), HasSubstr("line 2: a field is larger than"));
}

TEST(Csv, RejectsRowLargerThanLimit) {
  CsvLimits limits{.max_row_bytes = 8};
  EXPECT_TRUE(CsvToJsonObjects("a,b\n123,567\n", limits).has_value());
  EXPECT_THAT(Error("a,b\n123,5678\n", limits), HasSubstr("line 2: the row is larger than"));
  EXPECT_THAT(Error("a,b\n1,\"2\n3456789\"\n", limits), HasSubstr("line 2: the row is larger"));
}

TEST(Csv, RejectsRowWithMoreFieldsThanLimit) {
  CsvLimits limits{.max_fields = 3};
  EXPECT_TRUE(CsvToJsonObjects("a,b,c\n1,2,3\n", limits).has_value());
  EXPECT_THAT(Error("a,b,c\n1,2,3,4\n", limits), HasSubstr("line 2: the row has more than"));
}

TEST(Csv, RejectsInvalidUtf8) {
  EXPECT_EQ(Error("a,b\n1,\"x\n\xC3\x28\"\n"), "line 2: field 2 is not valid UTF-8");
  EXPECT_EQ(Error("a\xFF\n1\n"), "line 1: field 1 is not valid UTF-8");
}

TEST(Csv, RowOffsetsAllowRereadingOneRowAlone) {
  // Two BOMs: the first is skipped, the second belongs to the header's first field.
  const std::string text =
      "\xEF\xBB\xBF\xEF\xBB\xBF"
      "a,b\n1,\"x\ny\"\n2,3";
  CsvReader reader(text);
  std::vector<CsvRow> rows;
  CsvRow row;
  while (reader.Next(&row).value()) rows.push_back(row);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].offset, 3u);
  EXPECT_EQ(rows[1].line, 2u);
  EXPECT_EQ(rows[2].line, 4u);
  for (const CsvRow& expected : rows) {
    CsvReader again(std::string_view(text).substr(expected.offset, expected.length), {},
                    expected.line, /*start_of_file=*/false);
    CsvRow reread;
    ASSERT_TRUE(again.Next(&reread).value());
    EXPECT_EQ(reread.fields, expected.fields);
    EXPECT_FALSE(again.Next(&reread).value());
  }
}

}  // namespace
}  // namespace eventlake::ingest
