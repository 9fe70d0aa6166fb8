// Tests of `eventlake send`'s input: format names and detection, sniffing,
// and the NDJSON, JSON and CSV readers (positions, CloudEvent marking, and
// errors that name the line).
#include "cli/send_input.h"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

namespace eventlake::cli {
namespace {

struct ReadAll {
  std::vector<InputRecord> records;
  std::optional<Status> error;
};

ReadAll Read(RecordReader& reader) {
  ReadAll out;
  for (;;) {
    InputRecord record;
    auto more = reader.Next(&record);
    if (!more.has_value()) {
      out.error = more.error();
      return out;
    }
    if (!*more) return out;
    out.records.push_back(record);
  }
}

ReadAll ReadText(const std::string& text, InputFormat format) {
  std::istringstream in(text);
  auto reader = OpenRecordReader(in, format);
  return Read(*reader);
}

TEST(ParseInputFormat, NamesRoundTripAndUnknownNamesAreRejected) {
  for (const char* name : {"auto", "json", "ndjson", "csv", "cloudevents"}) {
    auto format = ParseInputFormat(name);
    ASSERT_TRUE(format.has_value()) << name;
    EXPECT_EQ(InputFormatName(*format), name);
  }
  auto bad = ParseInputFormat("xml");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), StatusCode::kInvalidArgument);
}

TEST(FormatFromExtension, KnowsJsonNdjsonJsonlAndCsvInAnyCase) {
  EXPECT_EQ(FormatFromExtension("a/b.json"), InputFormat::kJson);
  EXPECT_EQ(FormatFromExtension("b.NDJSON"), InputFormat::kNdjson);
  EXPECT_EQ(FormatFromExtension("b.jsonl"), InputFormat::kNdjson);
  EXPECT_EQ(FormatFromExtension("b.Csv"), InputFormat::kCsv);
  EXPECT_EQ(FormatFromExtension("b.txt"), InputFormat::kAuto);
  EXPECT_EQ(FormatFromExtension("events"), InputFormat::kAuto);
  EXPECT_EQ(FormatFromExtension("dir.json/events"), InputFormat::kAuto);
}

TEST(SniffFormat, ArraysAndMultiLineObjectsAreJsonOneLineObjectsAreNdjson) {
  EXPECT_EQ(SniffFormat("  [{\"a\":1},\n"), InputFormat::kJson);
  EXPECT_EQ(SniffFormat("\n{\n  \"a\": 1\n}\n"), InputFormat::kJson);
  EXPECT_EQ(SniffFormat("{\"a\":1}\n{\"a\":2}\n"), InputFormat::kNdjson);
  EXPECT_EQ(SniffFormat("{\"a\":1}"), InputFormat::kNdjson);
  EXPECT_EQ(SniffFormat(""), InputFormat::kNdjson);
  EXPECT_EQ(SniffFormat("hello\n"), InputFormat::kNdjson);
}

TEST(NdjsonReader, KeepsTextAndLinesSkipsBlankLinesAndMarksCloudEvents) {
  auto got = ReadText("{\"a\":1.50}\r\n\n   \n{\"specversion\":\"1.0\",\"id\":\"x\"}\n{\"b\":[1]}",
                      InputFormat::kNdjson);
  ASSERT_FALSE(got.error) << got.error->ToString();
  ASSERT_EQ(got.records.size(), 3u);
  EXPECT_EQ(got.records[0].json, "{\"a\":1.50}");
  EXPECT_EQ(got.records[0].line, 1u);
  EXPECT_FALSE(got.records[0].cloudevent);
  EXPECT_EQ(got.records[1].line, 4u);
  EXPECT_EQ(got.records[1].index, 1u);
  EXPECT_TRUE(got.records[1].cloudevent);
  EXPECT_EQ(got.records[2].json, "{\"b\":[1]}");
  EXPECT_EQ(got.records[2].line, 5u);
}

TEST(NdjsonReader, MalformedLineIsAnErrorNamingItsLine) {
  auto got = ReadText("{\"a\":1}\n{\"a\":2}\n{\"a\":\n{\"a\":4}\n", InputFormat::kNdjson);
  EXPECT_EQ(got.records.size(), 2u);
  ASSERT_TRUE(got.error);
  EXPECT_EQ(got.error->code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(got.error->message().starts_with("line 3: not valid JSON")) << got.error->message();
}

TEST(NdjsonReader, NonObjectLineIsAnError) {
  auto got = ReadText("{\"a\":1}\n[1,2]\n", InputFormat::kNdjson);
  ASSERT_TRUE(got.error);
  EXPECT_TRUE(got.error->message().starts_with("line 2: not a JSON object"))
      << got.error->message();
}

TEST(NdjsonReader, StripsAByteOrderMark) {
  auto got = ReadText("\xEF\xBB\xBF{\"a\":1}\n", InputFormat::kAuto);
  ASSERT_FALSE(got.error) << got.error->ToString();
  ASSERT_EQ(got.records.size(), 1u);
  EXPECT_EQ(got.records[0].json, "{\"a\":1}");
}

TEST(NdjsonReader, ReadsLinesLongerThanItsBufferChunk) {
  std::string big(200000, 'x');
  auto got = ReadText("{\"s\":\"" + big + "\"}\n{\"t\":1}\n", InputFormat::kNdjson);
  ASSERT_FALSE(got.error) << got.error->ToString();
  ASSERT_EQ(got.records.size(), 2u);
  EXPECT_EQ(got.records[0].json.size(), big.size() + 8);
  EXPECT_EQ(got.records[1].line, 2u);
}

TEST(JsonReader, ArrayOfObjectsGivesOneRecordEachWithItsLine) {
  auto got = ReadText(
      "[\n  {\"a\": \"x]}\\\"\"},\n  {\"b\": {\"c\": [1, 2]}},\n  "
      "{\"specversion\": \"1.0\"}\n]\n",
      InputFormat::kAuto);
  ASSERT_FALSE(got.error) << got.error->ToString();
  ASSERT_EQ(got.records.size(), 3u);
  EXPECT_EQ(got.records[0].json, "{\"a\": \"x]}\\\"\"}");
  EXPECT_EQ(got.records[0].line, 2u);
  EXPECT_EQ(got.records[1].json, "{\"b\": {\"c\": [1, 2]}}");
  EXPECT_EQ(got.records[1].line, 3u);
  EXPECT_EQ(got.records[2].index, 2u);
  EXPECT_TRUE(got.records[2].cloudevent);
}

TEST(JsonReader, OneObjectSpreadOverLinesIsOneRecord) {
  auto got = ReadText("{\n  \"a\": 1,\n  \"b\": 2\n}\n", InputFormat::kAuto);
  ASSERT_FALSE(got.error) << got.error->ToString();
  ASSERT_EQ(got.records.size(), 1u);
  EXPECT_EQ(got.records[0].line, 1u);
}

TEST(JsonReader, EmptyArrayAndEmptyInputHaveNoRecords) {
  for (const char* text : {"[]", " [ ]\n", "", "\n\n"}) {
    auto got = ReadText(text, InputFormat::kJson);
    EXPECT_FALSE(got.error) << text;
    EXPECT_TRUE(got.records.empty()) << text;
  }
}

TEST(JsonReader, StructuralErrorsNameTheLine) {
  struct Case {
    const char* text;
    const char* message_start;
  };
  for (const Case& c : std::vector<Case>{
           {"[{\"a\":1},\n{\"a\":2}\n{\"a\":3}]", "line 3: expected ',' or ']' after item 1"},
           {"[{\"a\":1},\n{\"a\":", "line 2: item 1 does not end"},
           {"[{\"a\":1},\n\n", "line 3: the array does not end"},
           {"[{\"a\":1}]\n\nx", "line 3: unexpected text after the array"},
           {"{\"a\":1}\n{\"a\":2}", "line 2: unexpected text after the object"},
           {"[{\"a\":1},\n 7]", "line 2: item 1: not a JSON object"},
           {"[{\"a\":1},\n {\"a\":tru}]", "line 2: item 1: not valid JSON"},
           {"\"text\"", "line 1: a JSON document must be"},
       }) {
    auto got = ReadText(c.text, InputFormat::kJson);
    ASSERT_TRUE(got.error) << c.text;
    EXPECT_EQ(got.error->code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(got.error->message().starts_with(c.message_start))
        << c.text << " -> " << got.error->message();
  }
}

TEST(JsonReader, SingleObjectWithTrailingTextYieldsNoRecord) {
  auto got = ReadText("{\"a\":1} {\"a\":2}", InputFormat::kJson);
  EXPECT_TRUE(got.records.empty());
  ASSERT_TRUE(got.error);
}

TEST(CloudEventsFormat, MarksEveryRecordAsACloudEvent) {
  auto got = ReadText("{\"id\":\"a\"}\n{\"id\":\"b\"}\n", InputFormat::kCloudEvents);
  ASSERT_FALSE(got.error);
  ASSERT_EQ(got.records.size(), 2u);
  EXPECT_TRUE(got.records[0].cloudevent);
  EXPECT_TRUE(got.records[1].cloudevent);
  auto array = ReadText("[{\"id\":\"a\"}]", InputFormat::kCloudEvents);
  ASSERT_EQ(array.records.size(), 1u);
  EXPECT_TRUE(array.records[0].cloudevent);
}

// CSV rows as the ingest room's reader hands them over.
class FakeCsv final : public CsvSource {
 public:
  explicit FakeCsv(std::vector<std::vector<std::string>> rows) : rows_(std::move(rows)) {}
  Result<bool> Next(ingest::CsvRow* row) override {
    if (next_ == rows_.size()) return false;
    row->fields = rows_[next_++];
    row->line = next_ * 2 - 1;  // pretend every row spans two lines
    return true;
  }

 private:
  std::vector<std::vector<std::string>> rows_;
  size_t next_ = 0;
};

ReadAll ReadCsv(std::vector<std::vector<std::string>> rows) {
  auto reader = MakeCsvRecordReader(std::make_unique<FakeCsv>(std::move(rows)));
  return Read(*reader);
}

TEST(CsvRecordReader, RowsBecomeObjectsOfStringsInColumnOrder) {
  auto got = ReadCsv({{"user", "page", "n"}, {"u-1", "/a \"b\"", "7"}, {"u-2", "", "8"}});
  ASSERT_FALSE(got.error) << got.error->ToString();
  ASSERT_EQ(got.records.size(), 2u);
  EXPECT_EQ(got.records[0].json, R"({"user":"u-1","page":"/a \"b\"","n":"7"})");
  EXPECT_EQ(got.records[0].line, 3u);
  EXPECT_EQ(got.records[1].index, 1u);
  EXPECT_FALSE(got.records[0].cloudevent);
}

TEST(CsvRecordReader, ASpecversionColumnMakesCloudEvents) {
  auto got = ReadCsv({{"specversion", "id", "source", "type"}, {"1.0", "e1", "/s", "t"}});
  ASSERT_EQ(got.records.size(), 1u);
  EXPECT_TRUE(got.records[0].cloudevent);
}

TEST(CsvRecordReader, RowWithWrongFieldCountIsAnErrorNamingItsLine) {
  auto got = ReadCsv({{"a", "b"}, {"1", "2"}, {"1"}});
  EXPECT_EQ(got.records.size(), 1u);
  ASSERT_TRUE(got.error);
  EXPECT_TRUE(got.error->message().starts_with("line 5: 1 field")) << got.error->message();
}

TEST(CsvRecordReader, RejectsMissingEmptyOrRepeatedColumnNames) {
  auto empty = ReadCsv({});
  ASSERT_TRUE(empty.error);
  EXPECT_EQ(empty.error->message(), "line 1: no header row (the input is empty)");
  EXPECT_TRUE(ReadCsv({{"a", ""}, {"1", "2"}}).error);
  auto repeated = ReadCsv({{"a", "b", "a"}, {"1", "2", "3"}});
  ASSERT_TRUE(repeated.error);
  EXPECT_TRUE(repeated.error->message().starts_with("line 1: header field 3"))
      << repeated.error->message();
}

TEST(CsvStream, ReadsQuotedLineEndsCrlfBlankLinesAndABom) {
  auto got =
      ReadText("\xEF\xBB\xBFid,text\r\n1,\"two\nlines\"\r\n\n\n2,plain\n", InputFormat::kCsv);
  ASSERT_FALSE(got.error) << got.error->ToString();
  ASSERT_EQ(got.records.size(), 2u);
  EXPECT_EQ(got.records[0].json, R"({"id":"1","text":"two\nlines"})");
  EXPECT_EQ(got.records[0].line, 2u);
  EXPECT_EQ(got.records[1].json, R"({"id":"2","text":"plain"})");
  EXPECT_EQ(got.records[1].line, 6u);
}

TEST(CsvStream, AQuotedFieldAcrossReadChunksIsOneField) {
  // Far larger than one 64 KiB read, with line ends inside the quotes.
  std::string big;
  for (int i = 0; i < 30000; ++i) big += "line " + std::to_string(i) + "\n";
  auto got = ReadText("a,b\nx,\"" + big + "\"\ny,z\n", InputFormat::kCsv);
  ASSERT_FALSE(got.error) << got.error->ToString();
  ASSERT_EQ(got.records.size(), 2u);
  EXPECT_EQ(got.records[0].json.size(),
            std::string(R"({"a":"x","b":""})").size() + big.size() + 30000 /* each \n as \\n */);
  EXPECT_EQ(got.records[1].json, R"({"a":"y","b":"z"})");
  EXPECT_EQ(got.records[1].line, 30003u);
}

TEST(CsvStream, ManyRowsStreamWithTheirLines) {
  std::string text = "n\n";
  for (int i = 0; i < 20000; ++i) text += std::to_string(i) + "\n";
  auto got = ReadText(text, InputFormat::kCsv);
  ASSERT_FALSE(got.error) << got.error->ToString();
  ASSERT_EQ(got.records.size(), 20000u);
  EXPECT_EQ(got.records[19999].json, R"({"n":"19999"})");
  EXPECT_EQ(got.records[19999].line, 20001u);
}

TEST(CsvStream, MalformedCsvIsAnErrorNamingTheLine) {
  auto unclosed = ReadText("a,b\n1,2\n3,\"never closed\n4,5\n", InputFormat::kCsv);
  EXPECT_EQ(unclosed.records.size(), 1u);
  ASSERT_TRUE(unclosed.error);
  EXPECT_TRUE(unclosed.error->message().starts_with("line 3: ")) << unclosed.error->message();
  auto stray = ReadText("a,b\n1,2\n3,x\"y\n", InputFormat::kCsv);
  ASSERT_TRUE(stray.error);
  EXPECT_TRUE(stray.error->message().starts_with("line 3: a quote inside an unquoted field"))
      << stray.error->message();
}

}  // namespace
}  // namespace eventlake::cli
