// Tests for broker messages to CloudEvents: each format, what auto picks,
// attributes taken as sent (no percent-decoding), and the limits and rules
// of the HTTP gateway applied to the same payloads.
#include "ingest/sources/message_event.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace eventlake::ingest {
namespace {

using ::testing::HasSubstr;

class MessageEventTest : public ::testing::Test {
 protected:
  MessageAttributes Attributes(std::string subject = "sensors/1") {
    return MessageAttributes{.source = "/eventlake/sources/iot",
                             .type = "eventlake.mqtt.message",
                             .subject = std::move(subject),
                             .time = 1'700'000'000'000'000};
  }
  MessageEventResult Decode(MessageFormat format, std::string_view payload) {
    return decoder_.Decode(format, payload, Attributes());
  }

  MessageEventDecoder decoder_{IngestLimits{}};
};

constexpr std::string_view kCloudEvent =
    R"({"specversion":"1.0","id":"e-1","source":"/dev/7","type":"reading","data":{"t": 21}})";

TEST_F(MessageEventTest, AutoTakesAStructuredCloudEventAsItIs) {
  MessageEventResult event = Decode(MessageFormat::kAuto, kCloudEvent);
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_EQ(event->id, "e-1");
  EXPECT_EQ(event->source, "/dev/7");
  EXPECT_EQ(event->type, "reading");
  EXPECT_FALSE(event->subject.has_value());
  EXPECT_FALSE(event->time.has_value());
  EXPECT_EQ(event->data, R"({"t":21})");
}

TEST_F(MessageEventTest, AutoWrapsAJsonObject) {
  MessageEventResult event = Decode(MessageFormat::kAuto, "{ \"t\" : 21.5 }");
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_EQ(event->source, "/eventlake/sources/iot");
  EXPECT_EQ(event->type, "eventlake.mqtt.message");
  EXPECT_EQ(event->subject, "sensors/1");
  EXPECT_EQ(event->time, 1'700'000'000'000'000);
  EXPECT_EQ(event->data_content_type, "application/json");
  EXPECT_EQ(event->data, R"({"t":21.5})");
  EXPECT_EQ(event->id.size(), 36u);  // a UUIDv7
  EXPECT_FALSE(event->data_is_binary);
}

TEST_F(MessageEventTest, AutoWrapsAnyJsonValue) {
  MessageEventResult number = Decode(MessageFormat::kAuto, "23.5");
  ASSERT_TRUE(number.has_value());
  EXPECT_EQ(number->data_content_type, "application/json");
  EXPECT_EQ(number->data, "23.5");
  MessageEventResult array = Decode(MessageFormat::kAuto, "[1, 2]");
  ASSERT_TRUE(array.has_value());
  EXPECT_EQ(array->data, "[1,2]");
}

TEST_F(MessageEventTest, AutoWrapsAnInvalidCloudEventAsJson) {
  MessageEventResult event =
      Decode(MessageFormat::kAuto, R"({"specversion":"1.0","id":"x","temp":3.5})");
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_EQ(event->type, "eventlake.mqtt.message");
  EXPECT_EQ(event->data, R"({"specversion":"1.0","id":"x","temp":3.5})");
}

TEST_F(MessageEventTest, AutoKeepsTextAsTextAndBytesAsBinary) {
  MessageEventResult text = Decode(MessageFormat::kAuto, "21.5 C");
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(text->data, "21.5 C");
  EXPECT_EQ(text->data_content_type, "text/plain; charset=utf-8");
  EXPECT_FALSE(text->data_is_binary);
  const std::string bytes("\xff\x00\x01", 3);
  MessageEventResult binary = Decode(MessageFormat::kAuto, bytes);
  ASSERT_TRUE(binary.has_value());
  EXPECT_EQ(binary->data, bytes);
  EXPECT_EQ(binary->data_content_type, "application/octet-stream");
  EXPECT_TRUE(binary->data_is_binary);
}

TEST_F(MessageEventTest, AutoGivesAnEmptyPayloadNoData) {
  MessageEventResult event = Decode(MessageFormat::kAuto, "");
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->data, "");
  EXPECT_FALSE(event->data_content_type.has_value());
}

TEST_F(MessageEventTest, AutoRejectsJsonOverTheLimitsInsteadOfStoringText) {
  MessageEventDecoder strict(IngestLimits{.max_depth = 3});
  MessageEventResult event =
      strict.Decode(MessageFormat::kAuto, R"({"a":{"b":{"c":{"d":1}}}})", Attributes());
  ASSERT_FALSE(event.has_value());
  EXPECT_EQ(event.error().type, ProblemType::kTooDeep);
}

TEST_F(MessageEventTest, CloudEventsFormatRejectsOtherPayloads) {
  EXPECT_EQ(Decode(MessageFormat::kCloudEvents, "{\"t\":1}").error().type,
            ProblemType::kInvalidEvent);
  EXPECT_EQ(Decode(MessageFormat::kCloudEvents, "hello").error().type, ProblemType::kMalformedJson);
  EXPECT_TRUE(Decode(MessageFormat::kCloudEvents, kCloudEvent).has_value());
}

TEST_F(MessageEventTest, JsonFormatRejectsTextAndEmptyPayloads) {
  EXPECT_EQ(Decode(MessageFormat::kJson, "hello").error().type, ProblemType::kMalformedJson);
  EXPECT_EQ(Decode(MessageFormat::kJson, "").error().type, ProblemType::kMalformedJson);
  EXPECT_EQ(Decode(MessageFormat::kJson, "\xff").error().type, ProblemType::kInvalidUtf8);
  // A CloudEvent is just JSON here: wrapped, not taken apart.
  MessageEventResult wrapped = Decode(MessageFormat::kJson, kCloudEvent);
  ASSERT_TRUE(wrapped.has_value());
  EXPECT_EQ(wrapped->type, "eventlake.mqtt.message");
}

TEST_F(MessageEventTest, RawFormatKeepsJsonBytesAsSent) {
  MessageEventResult event = Decode(MessageFormat::kRaw, "{ \"t\" : 1 }");
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->data, "{ \"t\" : 1 }");
  EXPECT_EQ(event->data_content_type, "text/plain; charset=utf-8");
}

TEST_F(MessageEventTest, GivenIdIsUsed) {
  MessageAttributes attributes = Attributes();
  attributes.id = "orders-0-17";
  EXPECT_EQ(decoder_.Decode(MessageFormat::kJson, "{}", attributes)->id, "orders-0-17");
}

TEST_F(MessageEventTest, SubjectIsTakenVerbatimWithPercentAndQuotes) {
  const std::string topic = "plant/50%25/\"line\"";
  MessageEventResult event = decoder_.Decode(MessageFormat::kJson, "{}", Attributes(topic));
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_EQ(event->subject, topic);
}

TEST_F(MessageEventTest, SubjectBreakingStringRulesRejectsTheMessage) {
  MessageEventResult control = decoder_.Decode(MessageFormat::kJson, "{}", Attributes("a\x01"));
  ASSERT_FALSE(control.has_value());
  EXPECT_EQ(control.error().type, ProblemType::kInvalidEvent);
  MessageEventResult too_long =
      decoder_.Decode(MessageFormat::kJson, "{}", Attributes(std::string(5000, 'a')));
  ASSERT_FALSE(too_long.has_value());
  EXPECT_THAT(too_long.error().detail, HasSubstr("attribute 'subject' is longer than 4096"));
}

TEST_F(MessageEventTest, PartitionKeyIsAddedUnlessTheEventHasOne) {
  MessageAttributes attributes = Attributes();
  attributes.partition_key = "customer-7";
  MessageEventResult wrapped = decoder_.Decode(MessageFormat::kJson, "{}", attributes);
  ASSERT_TRUE(wrapped.has_value());
  ASSERT_NE(wrapped->FindExtension("partitionkey"), nullptr);
  EXPECT_EQ(std::get<std::string>(*wrapped->FindExtension("partitionkey")), "customer-7");
  MessageEventResult own = decoder_.Decode(
      MessageFormat::kCloudEvents,
      R"({"specversion":"1.0","id":"1","source":"s","type":"t","partitionkey":"mine"})",
      attributes);
  ASSERT_TRUE(own.has_value());
  EXPECT_EQ(std::get<std::string>(*own->FindExtension("partitionkey")), "mine");
}

TEST_F(MessageEventTest, BinaryModeMapsAttributesWithoutPercentDecoding) {
  std::vector<MessageAttribute> ce = {
      {"specversion", "1.0"},           {"id", "a%20b"},      {"source", "/s"}, {"type", "t"},
      {"time", "2024-01-02T03:04:05Z"}, {"region", "eu\"1\""}};
  MessageEventResult event =
      decoder_.DecodeBinary(ce, "application/json", "{ \"x\": 1 }", Attributes());
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_EQ(event->id, "a%20b");
  EXPECT_EQ(event->time, *ParseRfc3339("2024-01-02T03:04:05Z"));
  EXPECT_EQ(event->data_content_type, "application/json");
  EXPECT_EQ(event->data, R"({"x":1})");
  EXPECT_EQ(std::get<std::string>(*event->FindExtension("region")), "eu\"1\"");
  EXPECT_FALSE(event->subject.has_value());
}

TEST_F(MessageEventTest, BinaryModeProblemsNameKafkaHeaders) {
  std::vector<MessageAttribute> ce = {
      {"specversion", "1.0"}, {"id", "1"}, {"source", "/s"}, {"type", "t"}, {"Bad-Name", "x"}};
  MessageEventResult event = decoder_.DecodeBinary(ce, std::nullopt, "", Attributes());
  ASSERT_FALSE(event.has_value());
  EXPECT_THAT(event.error().detail, HasSubstr("header ce_bad-name"));
  std::vector<MessageAttribute> typed = {{"specversion", "1.0"},
                                         {"id", "1"},
                                         {"source", "/s"},
                                         {"type", "t"},
                                         {"datacontenttype", "text/plain"}};
  EXPECT_FALSE(decoder_.DecodeBinary(typed, std::nullopt, "", Attributes()).has_value());
  std::vector<MessageAttribute> missing = {{"specversion", "1.0"}, {"source", "/s"}, {"type", "t"}};
  EXPECT_THAT(decoder_.DecodeBinary(missing, std::nullopt, "", Attributes()).error().detail,
              HasSubstr("'id' is required"));
}

TEST(MessagePartitionKey, KeysThatAreNotStringsAreHashed) {
  IngestLimits limits;
  EXPECT_EQ(PartitionKeyFor("", limits), "");
  EXPECT_EQ(PartitionKeyFor("customer-7", limits), "customer-7");
  std::string hashed = PartitionKeyFor(std::string("\xff\x00", 2), limits);
  EXPECT_EQ(hashed.size(), 7u + 64u);
  EXPECT_TRUE(hashed.starts_with("sha256:"));
  EXPECT_EQ(hashed, PartitionKeyFor(std::string("\xff\x00", 2), limits));
  EXPECT_TRUE(PartitionKeyFor(std::string(5000, 'k'), limits).starts_with("sha256:"));
}

}  // namespace
}  // namespace eventlake::ingest
