// Tests for the kafka options table: every key parsed, defaults kept, bad
// topics and values refused with their path.
#include "ingest/sources/kafka_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace eventlake::ingest {
namespace {

using ::testing::HasSubstr;

Result<KafkaOptions> Parse(std::string_view yaml) {
  Result<YAML::Node> node = config::LoadYaml(yaml, "test.yaml");
  if (!node.has_value()) return Err(node.error());
  KafkaOptions options;
  EL_RETURN_IF_ERROR(KafkaOptionsTable().Parse(*node, "sources[1].kafka", &options));
  return options;
}

std::string ErrorOf(std::string_view yaml) {
  Result<KafkaOptions> options = Parse(yaml);
  return options.has_value() ? "no error" : options.error().message();
}

TEST(KafkaOptions, ParsesEveryKey) {
  Result<KafkaOptions> options = Parse(R"(
brokers: "k1:9092,k2:9092"
topics: [orders, "^payments-.*"]
group: lake
start_from: latest
max_poll_records: 100
session_timeout: 10s
format: cloudevents
max_message_bytes: 4MiB
retry_backoff: 20ms
retry_backoff_max: 1s
drain_timeout: 2s
)");
  ASSERT_TRUE(options.has_value()) << options.error().ToString();
  EXPECT_EQ(options->brokers, "k1:9092,k2:9092");
  EXPECT_EQ(options->topics, (std::vector<std::string>{"orders", "^payments-.*"}));
  EXPECT_EQ(options->group, "lake");
  EXPECT_EQ(options->start_from, KafkaStartFrom::kLatest);
  EXPECT_EQ(options->max_poll_records, 100u);
  EXPECT_EQ(options->session_timeout, std::chrono::seconds(10));
  EXPECT_EQ(options->format, MessageFormat::kCloudEvents);
  EXPECT_EQ(options->max_message_bytes, 4u << 20);
  EXPECT_EQ(options->retry_backoff, std::chrono::milliseconds(20));
  EXPECT_EQ(options->retry_backoff_max, std::chrono::seconds(1));
  EXPECT_EQ(options->drain_timeout, std::chrono::seconds(2));
}

TEST(KafkaOptions, KeepsDefaultsForAbsentKeys) {
  Result<KafkaOptions> options = Parse("{topics: [orders]}");
  ASSERT_TRUE(options.has_value()) << options.error().ToString();
  EXPECT_EQ(options->brokers, "127.0.0.1:9092");
  EXPECT_EQ(options->group, "");
  EXPECT_EQ(options->start_from, KafkaStartFrom::kEarliest);
  EXPECT_EQ(options->max_poll_records, 500u);
  EXPECT_EQ(options->format, MessageFormat::kAuto);
}

TEST(KafkaOptions, RequiresTopicsAndBrokers) {
  EXPECT_THAT(ErrorOf("{brokers: 'k:1'}"), HasSubstr("sources[1].kafka.topics: required"));
  EXPECT_THAT(ErrorOf("{topics: [a], brokers: ''}"), HasSubstr("brokers: must not be empty"));
}

TEST(KafkaOptions, RefusesInvalidTopicNames) {
  EXPECT_THAT(ErrorOf("{topics: [ok, 'bad topic']}"),
              HasSubstr("topics[1]: 'bad topic' is not a Kafka topic name"));
  EXPECT_THAT(ErrorOf("{topics: ['..']}"), HasSubstr("topics[0]"));
  EXPECT_THAT(ErrorOf("{topics: ['^']}"), HasSubstr("topics[0]"));
  EXPECT_THAT(ErrorOf("{topics: [" + std::string(250, 'a') + "]}"), HasSubstr("topics[0]"));
}

TEST(KafkaOptions, RefusesBadValues) {
  EXPECT_THAT(ErrorOf("{topics: [a], start_from: middle}"), HasSubstr("start_from"));
  EXPECT_THAT(ErrorOf("{topics: [a], max_poll_records: 0}"), HasSubstr("max_poll_records"));
  EXPECT_THAT(ErrorOf("{topics: [a], session_timeout: 10ms}"), HasSubstr("session_timeout"));
  EXPECT_THAT(ErrorOf("{topics: [a], retry_backoff: 5s, retry_backoff_max: 1s}"),
              HasSubstr("retry_backoff: is above"));
  EXPECT_THAT(ErrorOf("{topics: [a], properties: {x: y}}"),
              HasSubstr("sources[1].kafka.properties: unknown key"));
}

TEST(KafkaOptions, ReferenceDocumentsEveryKey) {
  std::string reference = KafkaOptionsTable().Reference();
  for (const std::string& key : KafkaOptionsTable().Keys()) {
    EXPECT_THAT(reference, HasSubstr("`" + key + "`")) << key;
  }
}

}  // namespace
}  // namespace eventlake::ingest
