// Tests of the CloudEvents JSON format: what is accepted, what is refused
// and why, and that writing then parsing gives the same event back.
#include "ingest/cloudevent_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace eventlake::ingest {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kMinimal =
    R"({"specversion":"1.0","id":"e1","source":"/s","type":"t.created"})";

TEST(ParseStructuredEvent, ReadsEveryAttribute) {
  auto event = ParseStructuredEvent(R"({
    "specversion":"1.0","id":"e1","source":"/shop","type":"order.created",
    "datacontenttype":"application/json","dataschema":"https://x/schema.json",
    "subject":"order/7","time":"2026-11-25T02:06:55.123456Z",
    "tenant":"acme","attempt":3,"replay":false,"data":{"b":1,"a":[true,null]}})");
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_EQ(event->id, "e1");
  EXPECT_EQ(event->source, "/shop");
  EXPECT_EQ(event->type, "order.created");
  EXPECT_EQ(event->data_content_type, "application/json");
  EXPECT_EQ(event->data_schema, "https://x/schema.json");
  EXPECT_EQ(event->subject, "order/7");
  EXPECT_EQ(event->time, ParseRfc3339("2026-11-25T02:06:55.123456Z").value());
  ASSERT_EQ(event->extensions.size(), 3u);
  EXPECT_EQ(event->extensions[0], (Extension{"tenant", std::string("acme")}));
  EXPECT_EQ(event->extensions[1], (Extension{"attempt", int64_t{3}}));
  EXPECT_EQ(event->extensions[2], (Extension{"replay", false}));
  EXPECT_EQ(event->data, R"({"b":1,"a":[true,null]})");  // key order kept
  EXPECT_FALSE(event->data_is_binary);
}

TEST(ParseStructuredEvent, RejectsMissingRequiredAttribute) {
  for (const char* name : {"id", "source", "type", "specversion"}) {
    auto object = nlohmann::json::parse(kMinimal);
    object.erase(name);
    auto event = ParseStructuredEvent(object.dump());
    ASSERT_FALSE(event.has_value()) << name;
    EXPECT_EQ(event.error().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(event.error().message(), HasSubstr(name));
  }
}

TEST(ParseStructuredEvent, RejectsEmptyOrNonStringRequiredAttribute) {
  EXPECT_FALSE(ParseStructuredEvent(R"({"specversion":"1.0","id":"","source":"/s","type":"t"})"));
  EXPECT_FALSE(ParseStructuredEvent(R"({"specversion":"1.0","id":7,"source":"/s","type":"t"})"));
  EXPECT_FALSE(ParseStructuredEvent(R"({"specversion":"1.0","id":"x","source":null,"type":"t"})"));
}

TEST(ParseStructuredEvent, RejectsOtherSpecVersion) {
  auto event = ParseStructuredEvent(R"({"specversion":"0.3","id":"x","source":"/s","type":"t"})");
  ASSERT_FALSE(event);
  EXPECT_THAT(event.error().message(), HasSubstr("specversion"));
}

TEST(ParseStructuredEvent, RejectsBadTime) {
  auto event = ParseStructuredEvent(
      R"({"specversion":"1.0","id":"x","source":"/s","type":"t","time":"yesterday"})");
  ASSERT_FALSE(event);
  EXPECT_THAT(event.error().message(), HasSubstr("time"));
}

TEST(ParseStructuredEvent, RejectsBadExtensionNamesAndValues) {
  auto with = [](std::string_view member) {
    std::string json(kMinimal);
    json.insert(json.size() - 1, std::string(",") + std::string(member));
    return ParseStructuredEvent(json);
  };
  EXPECT_THAT(with(R"("Tenant":"a")").error().message(), HasSubstr("Tenant"));
  EXPECT_FALSE(with(R"("my_ext":"a")"));
  EXPECT_FALSE(with(R"("abcdefghijklmnopqrstu":"a")"));  // 21 characters
  EXPECT_TRUE(with(R"("abcdefghijklmnopqrst":"a")"));    // 20 characters
  EXPECT_FALSE(with(R"("ratio":1.5)"));
  EXPECT_FALSE(with(R"("nested":{"a":1})"));
  EXPECT_FALSE(with(R"("big":18446744073709551615)"));
  auto absent = with(R"("gone":null)");
  ASSERT_TRUE(absent);
  EXPECT_TRUE(absent->extensions.empty());
}

TEST(ParseStructuredEvent, DecodesDataBase64) {
  auto event = ParseStructuredEvent(
      R"({"specversion":"1.0","id":"x","source":"/s","type":"t","data_base64":"AP8Q"})");
  ASSERT_TRUE(event) << event.error().ToString();
  EXPECT_TRUE(event->data_is_binary);
  EXPECT_EQ(event->data, std::string("\x00\xff\x10", 3));
}

TEST(ParseStructuredEvent, RejectsDataAndDataBase64Together) {
  auto event = ParseStructuredEvent(
      R"({"specversion":"1.0","id":"x","source":"/s","type":"t","data":1,"data_base64":"AA=="})");
  ASSERT_FALSE(event);
  EXPECT_THAT(event.error().message(), HasSubstr("mutually exclusive"));
}

TEST(ParseStructuredEvent, RejectsInvalidBase64) {
  EXPECT_FALSE(ParseStructuredEvent(
      R"({"specversion":"1.0","id":"x","source":"/s","type":"t","data_base64":"A*=="})"));
}

TEST(ParseStructuredEvent, KeepsStringDataOfNonJsonContentTypeAsText) {
  auto event = ParseStructuredEvent(
      R"({"specversion":"1.0","id":"x","source":"/s","type":"t","datacontenttype":"text/plain",
          "data":"hello \"world\""})");
  ASSERT_TRUE(event);
  EXPECT_EQ(event->data, "hello \"world\"");
}

TEST(ParseStructuredEvent, KeepsStringDataOfJsonContentTypeAsJsonText) {
  auto event = ParseStructuredEvent(
      R"({"specversion":"1.0","id":"x","source":"/s","type":"t","data":"hello"})");
  ASSERT_TRUE(event);
  EXPECT_EQ(event->data, "\"hello\"");
}

TEST(ParseStructuredEvent, RejectsMalformedJsonWithoutThrowing) {
  for (std::string_view bad : {"", "{", "[1,2", "{\"id\":}", "nul", "\"\xff\"", "{} {}"}) {
    auto event = ParseStructuredEvent(bad);
    ASSERT_FALSE(event) << bad;
    EXPECT_EQ(event.error().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_THAT(ParseStructuredEvent("[]").error().message(), HasSubstr("object"));
}

TEST(ParseStructuredEvent, RejectsNestingDeeperThanLimit) {
  std::string deep(std::string(100000, '[') + std::string(100000, ']'));
  std::string json(kMinimal);
  json.insert(json.size() - 1, ",\"data\":" + deep);
  auto event = ParseStructuredEvent(json);
  ASSERT_FALSE(event);
  EXPECT_THAT(event.error().message(), HasSubstr("nested"));
}

TEST(ParseStructuredEvent, RejectsStringLongerThanLimit) {
  JsonLimits limits;
  limits.max_string = 12;  // "specversion" is 11
  std::string json(kMinimal);
  json.insert(json.size() - 1, R"(,"subject":"1234567890123")");
  EXPECT_FALSE(ParseStructuredEvent(json, limits));
  json = std::string(kMinimal);
  json.insert(json.size() - 1, R"(,"subject":"123456789012")");
  EXPECT_TRUE(ParseStructuredEvent(json, limits));
}

TEST(CheckJsonLimits, IgnoresBracketsInsideStrings) {
  JsonLimits limits;
  limits.max_depth = 2;
  EXPECT_TRUE(CheckJsonLimits(R"({"a":"[[[[{{{{\"[["})", limits).ok());
  EXPECT_FALSE(CheckJsonLimits(R"({"a":[[1]]})", limits).ok());
}

TEST(ParseBatch, ReadsEveryEventInOrder) {
  auto events = ParseBatch(std::string("[") + std::string(kMinimal) + "," +
                           R"({"specversion":"1.0","id":"e2","source":"/s","type":"t"})" + "]");
  ASSERT_TRUE(events) << events.error().ToString();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].id, "e1");
  EXPECT_EQ((*events)[1].id, "e2");
}

TEST(ParseBatch, AcceptsEmptyArray) {
  auto events = ParseBatch("[]");
  ASSERT_TRUE(events);
  EXPECT_TRUE(events->empty());
}

TEST(ParseBatch, NamesIndexOfBadEvent) {
  auto events = ParseBatch(std::string("[") + std::string(kMinimal) + R"(,{"id":"x"}])");
  ASSERT_FALSE(events);
  EXPECT_THAT(events.error().message(), HasSubstr("event [1]"));
}

TEST(ParseBatch, RejectsObjectAndTooManyEvents) {
  EXPECT_FALSE(ParseBatch(kMinimal));
  JsonLimits limits;
  limits.max_events = 1;
  EXPECT_THAT(
      ParseBatch(std::string("[") + std::string(kMinimal) + "," + std::string(kMinimal) + "]",
                 limits)
          .error()
          .message(),
      HasSubstr("at most 1"));
}

CloudEvent FullEvent() {
  CloudEvent event;
  event.id = "id-\"1\"";
  event.source = "/s\\x";
  event.type = "t\n";
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
  auto parsed = ParseStructuredEvent(ToStructuredJson(event));
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
  auto parsed = ParseStructuredEvent(ToStructuredJson(event));
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
  auto parsed = ParseStructuredEvent(text);
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

TEST(IsJsonContentType, RecognisesJsonTypes) {
  EXPECT_TRUE(IsJsonContentType("application/json"));
  EXPECT_TRUE(IsJsonContentType("Application/JSON; charset=utf-8"));
  EXPECT_TRUE(IsJsonContentType("application/cloudevents+json"));
  EXPECT_TRUE(IsJsonContentType("text/json"));
  EXPECT_FALSE(IsJsonContentType("text/plain"));
  EXPECT_FALSE(IsJsonContentType("application/jsonx"));
}

}  // namespace
}  // namespace eventlake::ingest
