// Tests of the CloudEvents JSON writer: every attribute and kind of data,
// and that the decoder reads back exactly the event that was written.
#include "ingest/cloudevent_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ingest/event_decoder.h"

namespace eventlake::ingest {
namespace {

using ::testing::HasSubstr;

TEST(CheckJsonLimits, IgnoresBracketsInsideStrings) {
  JsonLimits limits;
  limits.max_depth = 2;
  EXPECT_TRUE(CheckJsonLimits(R"({"a":"[[[[{{{{\"[["})", limits).ok());
  EXPECT_FALSE(CheckJsonLimits(R"({"a":[[1]]})", limits).ok());
}

CloudEvent FullEvent() {
  CloudEvent event;
  event.id = "id-\"1\"";
  event.source = "/s\\x";
  event.type = "t.\"quoted\"";
  event.data_content_type = "application/vnd.x+json; charset=utf-8";
  event.data_schema = "https://s";
  event.subject = "sub é";
  event.time = 1'764'036'415'123'456;
  event.extensions = {{"a", std::string("x")}, {"n", int64_t{-5}}, {"b", true}};
  event.data = R"({"k":[1,2,{"z":null}]})";
  return event;
}

TEST(ToStructuredJson, RoundTripsEveryAttribute) {
  CloudEvent event = FullEvent();
  EventDecoder decoder;
  auto parsed = decoder.DecodeStructured(ToStructuredJson(event));
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(*parsed, event);
}

TEST(ToStructuredJson, EmbedsJsonDataAsJson) {
  CloudEvent event = FullEvent();
  auto json = nlohmann::json::parse(ToStructuredJson(event));
  EXPECT_TRUE(json["data"].is_object());
  EXPECT_EQ(json["time"], "2025-11-25T02:06:55.123456Z");
}

TEST(ToStructuredJson, WritesTextDataAsString) {
  CloudEvent event = FullEvent();
  event.data_content_type = "text/plain";
  event.data = "{not json";
  auto json = nlohmann::json::parse(ToStructuredJson(event));
  EXPECT_EQ(json["data"], "{not json");
  EventDecoder decoder;
  auto parsed = decoder.DecodeStructured(ToStructuredJson(event));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, event);
}

TEST(ToStructuredJson, WritesJsonTextUnderNonJsonTypeAsString) {
  CloudEvent event = FullEvent();
  event.data_content_type = "text/plain";
  event.data = "[1,2]";
  auto json = nlohmann::json::parse(ToStructuredJson(event));
  EXPECT_EQ(json["data"], "[1,2]");
}

TEST(ToStructuredJson, WritesBinaryDataAsBase64) {
  CloudEvent event = FullEvent();
  event.data_content_type = "application/octet-stream";
  event.data = std::string("\x00\x01\xfe", 3);
  event.data_is_binary = true;
  std::string text = ToStructuredJson(event);
  auto json = nlohmann::json::parse(text);
  EXPECT_EQ(json["data_base64"], "AAH+");
  EXPECT_FALSE(json.contains("data"));
  EventDecoder decoder;
  auto parsed = decoder.DecodeStructured(text);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, event);
}

TEST(ToStructuredJson, WritesInvalidUtf8TextAsBase64) {
  CloudEvent event = FullEvent();
  event.data_content_type = "text/plain";
  event.data = "\xff\xfe";
  auto json = nlohmann::json::parse(ToStructuredJson(event));
  EXPECT_EQ(json["data_base64"], "//4=");
}

TEST(ToStructuredJson, ReplacesInvalidUtf8InAttributes) {
  CloudEvent event = FullEvent();
  event.subject = "a\xc3";  // truncated sequence
  auto json = nlohmann::json::parse(ToStructuredJson(event));
  EXPECT_EQ(json["subject"], "a\xEF\xBF\xBD");
}

TEST(ToStructuredJson, OmitsAbsentData) {
  CloudEvent event = FullEvent();
  event.data.clear();
  auto json = nlohmann::json::parse(ToStructuredJson(event));
  EXPECT_FALSE(json.contains("data"));
  EXPECT_FALSE(json.contains("data_base64"));
}

}  // namespace
}  // namespace eventlake::ingest
