// Tests of the CloudEvents attribute value rules (media types, URIs,
// extension names, disallowed characters, header percent-decoding), the
// JSON span scanner, the problem type table and the limits' config table.
#include "ingest/attribute_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include "ingest/ingest_limits.h"
#include "ingest/json_spans.h"
#include "ingest/problem_type.h"

namespace eventlake::ingest {
namespace {

TEST(IsValidMediaType, AcceptsRfc2046TypesWithParameters) {
  for (std::string_view good :
       {"text/plain", "application/json", "application/vnd.apache.thrift.binary",
        "text/plain; charset=utf-8", " text/plain ;charset=\"utf-8\" ; format=flowed",
        "multipart/form-data; boundary=\"a b;c\"", "application/geo+json", "text/plain;"}) {
    EXPECT_TRUE(IsValidMediaType(good)) << good;
  }
  for (std::string_view bad :
       {"xyz", "", "text/", "/plain", "text/plain/x", "text plain", "text/plain; charset",
        "text/plain; =x", "text/plain; a=\"open", "te(t/plain", "text/pl@in"}) {
    EXPECT_FALSE(IsValidMediaType(bad)) << bad;
  }
}

TEST(IsJsonMediaType, MatchesJsonSubtypeAndSuffix) {
  for (std::string_view json : {"application/json", "text/json", "application/cloudevents+json",
                                "Application/JSON; charset=utf-8"}) {
    EXPECT_TRUE(IsJsonMediaType(json)) << json;
  }
  for (std::string_view other :
       {"application/jsonl", "application/xjson", "text/plain", "json", "application/x-ndjson"}) {
    EXPECT_FALSE(IsJsonMediaType(other)) << other;
  }
}

TEST(IsAbsoluteUri, RequiresAScheme) {
  EXPECT_TRUE(IsAbsoluteUri("https://example.com/s.json"));
  EXPECT_TRUE(IsAbsoluteUri("urn:uuid:6e8bc430"));
  EXPECT_TRUE(IsAbsoluteUri("a+b.c-d:x"));
  for (std::string_view bad : {"", "/path", "//authority", "1http://x", ":x", "http://a b"}) {
    EXPECT_FALSE(IsAbsoluteUri(bad)) << bad;
  }
}

TEST(IsExtensionName, AllowsOneToTwentyLowerAlnum) {
  EXPECT_TRUE(IsExtensionName("a"));
  EXPECT_TRUE(IsExtensionName("ext2"));
  EXPECT_TRUE(IsExtensionName(std::string(20, 'z')));
  for (std::string_view bad : {"", "Ext", "my.ext", "my_ext", "my-ext", "abcdefghijklmnopqrstu"}) {
    EXPECT_FALSE(IsExtensionName(bad)) << bad;
  }
}

TEST(FindDisallowedCharacter, FindsControlsAndNoncharacters) {
  EXPECT_EQ(FindDisallowedCharacter("plain é ✓ 😀"), std::nullopt);
  EXPECT_EQ(FindDisallowedCharacter(std::string_view("a\0b", 3)), U'\0');
  EXPECT_EQ(FindDisallowedCharacter("\x7f"), U'\x7f');
  EXPECT_EQ(FindDisallowedCharacter("\xc2\x9f"), U'\x9f');
  EXPECT_EQ(FindDisallowedCharacter("\xef\xb7\x90"), U'\xfdd0');
  EXPECT_EQ(FindDisallowedCharacter("\xf0\x9f\xbf\xbe"), U'\x1fffe');
  EXPECT_EQ(CodePointName(U'\n'), "U+000A");
  EXPECT_EQ(CodePointName(U'\x1fffe'), "U+1FFFE");
}

TEST(DecodeHeaderValue, UnquotesThenPercentDecodes) {
  EXPECT_EQ(DecodeHeaderValue("Euro%20%E2%82%AC").value(), "Euro \xE2\x82\xAC");
  EXPECT_EQ(DecodeHeaderValue("%e2%82%ac").value(), "\xE2\x82\xAC");
  EXPECT_EQ(DecodeHeaderValue(R"("a\"b c")").value(), "a\"b c");
  EXPECT_EQ(DecodeHeaderValue(R"("%41")").value(), "A");
  EXPECT_EQ(DecodeHeaderValue("").value(), "");
  for (std::string_view bad : {"%", "%4", "%G0", "%C0%A0", "%ED%A0%80", "\"a", "\"a\"b"}) {
    EXPECT_FALSE(DecodeHeaderValue(bad)) << bad;
  }
}

TEST(JsonSpans, FindsElementsAndMembersInValidJson) {
  std::vector<std::string_view> spans;
  AppendArrayElementSpans(R"( [ 1 , "a\"]" , {"x":[2,"}"]} ,[ ], null ] )", &spans);
  EXPECT_THAT(spans, ::testing::ElementsAre("1", R"("a\"]")", R"({"x":[2,"}"]})", "[ ]", "null"));
  spans.clear();
  AppendArrayElementSpans("[]", &spans);
  EXPECT_TRUE(spans.empty());
  std::string_view object = R"({"a\\":"\\",  "b" : { "c" : "d" } , "e":-1.5e3})";
  spans.clear();
  AppendObjectMemberSpans(object, &spans);
  EXPECT_THAT(spans, ::testing::ElementsAre(R"("\\")", R"({ "c" : "d" })", "-1.5e3"));
  EXPECT_EQ(TrimJsonSpace(" \r\n\t{}\n"), "{}");
}

TEST(ArrayElementCursor, GivesElementsAndTheirMembersInOnePass) {
  ArrayElementCursor cursor(R"([ {"a" : [1,"]"] , "b":"}\""} , 7,{}, "s" ])");
  std::vector<std::string_view> members;
  EXPECT_EQ(cursor.Next(&members), R"({"a" : [1,"]"] , "b":"}\""})");
  EXPECT_THAT(members, ::testing::ElementsAre(R"([1,"]"])", R"("}\"")"));
  EXPECT_EQ(cursor.Next(&members), "7");
  EXPECT_TRUE(members.empty());
  EXPECT_EQ(cursor.Next(&members), "{}");
  EXPECT_EQ(cursor.Next(&members), R"("s")");
  EXPECT_EQ(cursor.Next(&members), "");
  EXPECT_EQ(cursor.Next(&members), "");
}

TEST(JsonSpans, StaysInsideGarbage) {
  std::vector<std::string_view> spans;
  for (std::string_view junk : {"[", "[\"", "[,,]", "[}", "[{\"", "{\"a\"", "[\"\\"}) {
    AppendArrayElementSpans(junk, &spans);
    AppendObjectMemberSpans(junk, &spans);
    ArrayElementCursor cursor(junk);
    std::vector<std::string_view> members;
    for (int i = 0; i < 8; ++i) spans.push_back(cursor.Next(&members));
  }
  for (std::string_view span : spans) EXPECT_LE(span.size(), 4u);
}

TEST(MinifyJsonInto, RemovesWhitespaceOutsideStringsOnly) {
  std::string out;
  MinifyJsonInto("{ \"a b\" : [ 1 ,\n 2 ] ,\"long string with \\\" and spaces\" : \"\\\\\" }",
                 &out);
  EXPECT_EQ(out, R"({"a b":[1,2],"long string with \" and spaces":"\\"})");
}

// Strings of every length up to 40 with escapes anywhere (16-byte blocks
// and their edges): the scanner's member texts must match simdjson's view.
TEST(JsonSpans, AgreesWithSimdjsonOnEscapesAtEveryOffset) {
  simdjson::dom::parser parser;
  for (int length = 0; length <= 40; ++length) {
    for (int at = 0; at < length; ++at) {
      std::string value(static_cast<size_t>(length), 'x');
      value[static_cast<size_t>(at)] = at % 2 ? '"' : '\\';
      std::string escaped;
      for (char c : value)
        escaped += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
      std::string json =
          "{\"k" + escaped + "\": \"" + escaped + "\" , \"n\" : [\"" + escaped + "\", {\"]\":1}] }";
      std::vector<std::string_view> members;
      AppendObjectMemberSpans(json, &members);
      simdjson::dom::element root = parser.parse(json).value();
      std::vector<std::string> expected;
      for (auto field : root.get_object()) expected.push_back(simdjson::minify(field.value));
      ASSERT_EQ(members.size(), expected.size()) << json;
      for (size_t i = 0; i < members.size(); ++i) {
        std::string minified;
        MinifyJsonInto(members[i], &minified);
        EXPECT_EQ(minified, expected[i]) << json;
      }
    }
  }
}

TEST(ProblemType, HasAStableNameAndStatusForEachType) {
  EXPECT_EQ(ProblemTypeName(ProblemType::kBodyTooLarge), "body_too_large");
  EXPECT_EQ(ProblemHttpStatus(ProblemType::kBodyTooLarge), 413u);
  EXPECT_EQ(ProblemTypeName(ProblemType::kHeaderTooLarge), "header_too_large");
  EXPECT_EQ(ProblemHttpStatus(ProblemType::kHeaderTooLarge), 431u);
  EXPECT_EQ(ProblemHttpStatus(ProblemType::kUnsupportedMediaType), 415u);
  EXPECT_EQ(ProblemHttpStatus(ProblemType::kSchemaViolation), 400u);
  EXPECT_EQ(ProblemTypeName(ProblemType::kTooManyEvents), "too_many_events");
  IngestProblem problem{ProblemType::kInvalidEvent, "attribute 'time' is bad", "/3/time"};
  EXPECT_EQ(problem.ToString(), "invalid_event at /3/time: attribute 'time' is bad");
  EXPECT_EQ(ToStatus(problem).code(), StatusCode::kInvalidArgument);
}

TEST(IngestLimitsTable, ParsesByteSizesAndRejectsUnknownKeys) {
  IngestLimits limits;
  auto yaml = config::LoadYaml(
      "max_body_bytes: 1MiB\nmax_decompressed_bytes: 8MiB\nmax_events_per_batch: 500\n", "t");
  ASSERT_TRUE(yaml);
  ASSERT_TRUE(IngestLimitsTable().Parse(*yaml, "limits", &limits).ok());
  EXPECT_EQ(limits.max_body_bytes, 1u << 20);
  EXPECT_EQ(limits.max_decompressed_bytes, 8u << 20);
  EXPECT_EQ(limits.max_events_per_batch, 500u);
  EXPECT_EQ(limits.max_depth, 64u);
  IngestLimits other;
  EXPECT_FALSE(
      IngestLimitsTable().Parse(*config::LoadYaml("max_bytes: 1\n", "t"), "", &other).ok());
  EXPECT_FALSE(
      IngestLimitsTable()
          .Parse(*config::LoadYaml("max_body_bytes: 2MiB\nmax_decompressed_bytes: 1MiB\n", "t"), "",
                 &other)
          .ok());
  EXPECT_THAT(IngestLimitsTable().Reference(), ::testing::HasSubstr("max_header_value_bytes"));
}

}  // namespace
}  // namespace eventlake::ingest
