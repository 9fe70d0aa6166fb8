// Tests of binary content mode (CloudEvents HTTP protocol binding 3.1):
// attributes from ce-* headers, percent-decoding, extensions, and the body
// as data under its Content-Type.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ingest/event_decoder.h"

namespace eventlake::ingest {
namespace {

using ::testing::HasSubstr;

std::vector<HeaderField> Required() {
  return {{"ce-specversion", "1.0"},
          {"ce-id", "1234-1234-1234"},
          {"ce-source", "/mycontext/subcontext"},
          {"ce-type", "com.example.someevent"}};
}

TEST(DecodeBinary, ReadsEveryAttributeFromHeaders) {
  EventDecoder decoder;
  auto headers = Required();
  headers.push_back({"CE-Time", "2018-04-05T03:56:24Z"});
  headers.push_back({"ce-subject", "orders/7"});
  headers.push_back({"ce-dataschema", "https://example.com/s.json"});
  headers.push_back({"Content-Type", "application/json; charset=utf-8"});
  headers.push_back({"Ce-TraceParent", "00-abc"});
  headers.push_back({"Host", "example.com"});
  auto event = decoder.DecodeBinary(headers, "{\n  \"a\" : 1\n}");
  ASSERT_TRUE(event) << event.error().ToString();
  EXPECT_EQ(event->spec_version, "1.0");
  EXPECT_EQ(event->id, "1234-1234-1234");
  EXPECT_EQ(event->source, "/mycontext/subcontext");
  EXPECT_EQ(event->type, "com.example.someevent");
  EXPECT_EQ(event->time, ParseRfc3339("2018-04-05T03:56:24Z").value());
  EXPECT_EQ(event->subject, "orders/7");
  EXPECT_EQ(event->data_schema, "https://example.com/s.json");
  EXPECT_EQ(event->data_content_type, "application/json; charset=utf-8");
  ASSERT_EQ(event->extensions.size(), 1u);
  EXPECT_EQ(event->extensions[0], (Extension{"traceparent", std::string("00-abc")}));
  EXPECT_EQ(event->data, R"({"a":1})");
}

TEST(DecodeBinary, PercentDecodesValues) {
  EventDecoder decoder;
  auto headers = Required();
  headers.push_back({"ce-subject", "Euro%20%E2%82%ac%20%F0%9F%98%80"});
  headers.push_back({"ce-note", "%41%62c"});  // needlessly encoded: accepted
  headers.push_back({"ce-quoted", R"("a \"b\" %25")"});
  auto event = decoder.DecodeBinary(headers, "");
  ASSERT_TRUE(event) << event.error().ToString();
  EXPECT_EQ(event->subject, "Euro \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(event->extensions[0].value, ExtensionValue(std::string("Abc")));
  EXPECT_EQ(event->extensions[1].value, ExtensionValue(std::string("a \"b\" %")));
}

TEST(DecodeBinary, RejectsBadEscapesAndInvalidUtf8AfterDecoding) {
  EventDecoder decoder;
  for (std::string_view bad : {"%zz", "50%", "%4", "%C0%A0", "%FF", "\"unterminated"}) {
    auto headers = Required();
    headers.push_back({"ce-subject", bad});
    auto event = decoder.DecodeBinary(headers, "");
    ASSERT_FALSE(event) << bad;
    EXPECT_EQ(event.error().type, ProblemType::kInvalidEvent) << bad;
    EXPECT_EQ(event.error().pointer, "/subject") << bad;
    EXPECT_THAT(event.error().detail, HasSubstr("ce-subject")) << bad;
  }
  auto headers = Required();
  headers.push_back({"ce-subject", "a%0Ab"});  // decodes to a control character
  EXPECT_THAT(decoder.DecodeBinary(headers, "").error().detail, HasSubstr("U+000A"));
}

TEST(DecodeBinary, RejectsMissingOrRepeatedAttributesAndBadNames) {
  EventDecoder decoder;
  auto headers = Required();
  headers.erase(headers.begin() + 1);
  EXPECT_EQ(decoder.DecodeBinary(headers, "").error().pointer, "/id");
  headers = Required();
  headers.push_back({"CE-ID", "again"});
  EXPECT_THAT(decoder.DecodeBinary(headers, "").error().detail, HasSubstr("twice"));
  for (std::string_view name :
       {"ce-my-ext", "ce-datacontenttype", "ce-data", "ce-", "ce-abcdefghijklmnopqrstu"}) {
    headers = Required();
    headers.push_back({name, "x"});
    EXPECT_FALSE(decoder.DecodeBinary(headers, "")) << name;
  }
  headers = Required();
  headers[0].value = "0.3";
  EXPECT_EQ(decoder.DecodeBinary(headers, "").error().pointer, "/specversion");
}

TEST(DecodeBinary, AnswersLongHeaderValuesWith431) {
  IngestLimits limits;
  limits.max_header_value_bytes = 100;
  EventDecoder decoder(limits);
  auto headers = Required();
  headers.push_back({"ce-subject", std::string(101, 'a')});
  auto event = decoder.DecodeBinary(headers, "");
  ASSERT_FALSE(event);
  EXPECT_EQ(event.error().type, ProblemType::kHeaderTooLarge);
  EXPECT_EQ(ProblemHttpStatus(event.error().type), 431u);
}

TEST(DecodeBinary, KeepsNonJsonBodiesAsBytes) {
  EventDecoder decoder;
  auto headers = Required();
  headers.push_back({"content-type", "application/octet-stream"});
  std::string bytes("\x00\xff\n{", 4);
  auto event = decoder.DecodeBinary(headers, bytes);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->data, bytes);
  EXPECT_EQ(event->data_content_type, "application/octet-stream");
  auto untyped = decoder.DecodeBinary(Required(), "plain words");
  ASSERT_TRUE(untyped);
  EXPECT_EQ(untyped->data, "plain words");
  EXPECT_FALSE(untyped->data_content_type.has_value());
}

TEST(DecodeBinary, RejectsMalformedJsonBodiesAndBadContentTypes) {
  EventDecoder decoder;
  auto headers = Required();
  headers.push_back({"content-type", "application/cloudevents-ish+json"});
  EXPECT_EQ(decoder.DecodeBinary(headers, "{nope}").error().type, ProblemType::kMalformedJson);
  headers.back().value = "notamediatype";
  EXPECT_EQ(decoder.DecodeBinary(headers, "x").error().pointer, "/datacontenttype");
}

TEST(DecodeBinary, VisitsJsonBodies) {
  EventDecoder decoder;
  int visits = 0;
  decoder.SetJsonDataVisitor([&](const JsonData& data) {
    ++visits;
    EXPECT_EQ(data.pointer, "");
    EXPECT_TRUE(data.value.is_array());
  });
  auto headers = Required();
  headers.push_back({"content-type", "text/json"});
  ASSERT_TRUE(decoder.DecodeBinary(headers, "[1, 2]"));
  EXPECT_EQ(visits, 1);
}

TEST(DecodeRequest, DecodesBinaryModeFromHeaders) {
  EventDecoder decoder;
  auto headers = Required();
  headers.push_back({"Content-Type", "text/plain"});
  auto decoded = decoder.DecodeRequest(headers, "hello", {});
  ASSERT_TRUE(decoded) << decoded.error().ToString();
  EXPECT_EQ(decoded->mode, BodyMode::kBinary);
  EXPECT_EQ(decoded->items.at(0).result->data, "hello");
}

}  // namespace
}  // namespace eventlake::ingest
