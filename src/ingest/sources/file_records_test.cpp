// Tests for the record readers of dropped files: each format, the line and
// record numbers in errors, and format detection by extension.
#include "ingest/sources/file_records.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace eventlake::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Read {
  std::vector<std::string> json;
  std::vector<size_t> lines;
};

Read ReadAll(std::string_view text, FileFormat format) {
  std::unique_ptr<FileRecordReader> reader = FileRecordReader::Create(text, format);
  Read read;
  FileRecord record;
  for (;;) {
    Result<bool> more = reader->Next(&record);
    EXPECT_TRUE(more.has_value()) << more.error().ToString();
    if (!more.value_or(false)) return read;
    EXPECT_EQ(record.index, read.json.size());
    read.json.push_back(record.json);
    read.lines.push_back(record.line);
  }
}

std::string Error(std::string_view text, FileFormat format) {
  Result<size_t> count = CountFileRecords(text, format);
  if (count.has_value()) return "no error";
  EXPECT_EQ(count.error().code(), StatusCode::kInvalidArgument);
  return count.error().message();
}

TEST(FileRecords, JsonArrayGivesOneRecordPerObjectMinified) {
  Read read =
      ReadAll("[\n  {\"a\": 1, \"s\": \"x y\"},\n  {\"b\": [1.50, {}]}\n]\n", FileFormat::kJson);
  EXPECT_THAT(read.json, ElementsAre(R"({"a":1,"s":"x y"})", R"({"b":[1.50,{}]})"));
  EXPECT_THAT(read.lines, ElementsAre(2, 3));
}

TEST(FileRecords, JsonSingleObjectIsOneRecord) {
  Read read = ReadAll("\xEF\xBB\xBF\n{ \"a\" : \"]\" }\n", FileFormat::kJson);
  EXPECT_THAT(read.json, ElementsAre(R"({"a":"]"})"));
  EXPECT_THAT(read.lines, ElementsAre(2));
}

TEST(FileRecords, JsonEmptyArrayHasNoRecords) {
  EXPECT_TRUE(ReadAll(" [ ] ", FileFormat::kJson).json.empty());
}

TEST(FileRecords, JsonStringsWithBracketsAndEscapesDoNotSplitElements) {
  Read read = ReadAll(R"([{"a":"],\"{"},{"b":"\\"}])", FileFormat::kJson);
  EXPECT_THAT(read.json, ElementsAre(R"({"a":"],\"{"})", R"({"b":"\\"})"));
}

TEST(FileRecords, JsonRejectsEmptyFile) {
  EXPECT_THAT(Error(" \n", FileFormat::kJson), HasSubstr("the file is empty"));
}

TEST(FileRecords, JsonRejectsTopLevelScalar) {
  EXPECT_EQ(Error("\n42", FileFormat::kJson),
            "line 2: expected a JSON object or an array of objects");
}

TEST(FileRecords, JsonRejectsElementThatIsNotAnObjectNamingLineAndIndex) {
  EXPECT_EQ(Error("[{},\n{},\n[1]]", FileFormat::kJson),
            "line 3: record 2: expected a JSON object, got an array");
}

TEST(FileRecords, JsonRejectsMalformedElement) {
  EXPECT_THAT(Error("[{\"a\":1},\n{\"a\":tru}]", FileFormat::kJson),
              HasSubstr("line 2: record 1: malformed JSON"));
}

TEST(FileRecords, JsonRejectsTrailingCommaAndUnclosedArray) {
  EXPECT_THAT(Error("[{},]", FileFormat::kJson), HasSubstr("record 1: missing element"));
  EXPECT_EQ(Error("\n[{},\n{}", FileFormat::kJson),
            "line 2: the array opened on this line is never closed");
}

TEST(FileRecords, JsonRejectsContentAfterTheArray) {
  EXPECT_EQ(Error("[{}]\n[{}]", FileFormat::kJson), "line 2: unexpected content after the array");
}

TEST(FileRecords, JsonRejectsRecordNestedDeeperThanLimit) {
  std::string deep = "[{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}]";
  EXPECT_THAT(Error(deep, FileFormat::kJson), HasSubstr("line 1: record 0:"));
}

TEST(FileRecords, JsonRejectsInvalidUtf8) {
  EXPECT_THAT(Error("[{\"a\":\"\xFF\"}]", FileFormat::kJson), HasSubstr("record 0"));
}

TEST(FileRecords, NdjsonSkipsBlankLinesAndCountsThem) {
  Read read = ReadAll("{\"a\":1}\r\n\n  \n{ \"b\" : 2 }\n", FileFormat::kNdjson);
  EXPECT_THAT(read.json, ElementsAre(R"({"a":1})", R"({"b":2})"));
  EXPECT_THAT(read.lines, ElementsAre(1, 4));
}

TEST(FileRecords, NdjsonEmptyFileHasNoRecords) {
  EXPECT_TRUE(ReadAll("", FileFormat::kNdjson).json.empty());
}

TEST(FileRecords, NdjsonRejectsLineThatIsNotAnObject) {
  EXPECT_EQ(Error("{}\n\n\"x\"\n", FileFormat::kNdjson),
            "line 3: record 1: expected a JSON object, got a string");
}

TEST(FileRecords, NdjsonRejectsObjectSpanningLines) {
  EXPECT_THAT(Error("{\"a\":\n1}\n", FileFormat::kNdjson),
              HasSubstr("line 1: record 0: malformed"));
}

TEST(FileRecords, CsvRowsBecomeObjectsOfStrings) {
  Read read = ReadAll("id,note\n1,\"a\nb\"\n2,x\n", FileFormat::kCsv);
  EXPECT_THAT(read.json, ElementsAre(R"({"id":"1","note":"a\nb"})", R"({"id":"2","note":"x"})"));
  EXPECT_THAT(read.lines, ElementsAre(2, 4));
}

TEST(FileRecords, CsvRejectsEmptyFileAndBadRows) {
  EXPECT_THAT(Error("", FileFormat::kCsv), HasSubstr("no header row"));
  EXPECT_EQ(Error("a,b\n1,2\n3\n", FileFormat::kCsv), "line 3: 1 field, but the header names 2");
}

TEST(FileRecords, CountMatchesRecordsRead) {
  EXPECT_EQ(CountFileRecords("a\n1\n2\n3\n", FileFormat::kCsv).value(), 3u);
  EXPECT_EQ(CountFileRecords("[{},{}]", FileFormat::kJson).value(), 2u);
}

TEST(FileFormats, AutoGoesByExtensionCaseInsensitively) {
  EXPECT_EQ(ResolveFileFormat(FileFormat::kAuto, "a.json"), FileFormat::kJson);
  EXPECT_EQ(ResolveFileFormat(FileFormat::kAuto, "a.NDJSON"), FileFormat::kNdjson);
  EXPECT_EQ(ResolveFileFormat(FileFormat::kAuto, "a.b.jsonl"), FileFormat::kNdjson);
  EXPECT_EQ(ResolveFileFormat(FileFormat::kAuto, "orders.Csv"), FileFormat::kCsv);
  EXPECT_EQ(ResolveFileFormat(FileFormat::kAuto, "readme.txt"), std::nullopt);
  EXPECT_EQ(ResolveFileFormat(FileFormat::kAuto, "json"), std::nullopt);
  EXPECT_EQ(ResolveFileFormat(FileFormat::kCsv, "data.txt"), FileFormat::kCsv);
}

}  // namespace
}  // namespace eventlake::ingest
