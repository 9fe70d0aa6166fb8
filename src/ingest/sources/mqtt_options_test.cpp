// Tests for the mqtt options table: every key parsed, defaults kept, and
// bad topic filters, QoS 2, lone passwords and bad addresses refused with
// their path.
#include "ingest/sources/mqtt_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace eventlake::ingest {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Result<MqttOptions> Parse(std::string_view yaml) {
  Result<YAML::Node> node = config::LoadYaml(yaml, "test.yaml");
  if (!node.has_value()) return Err(node.error());
  MqttOptions options;
  EL_RETURN_IF_ERROR(MqttOptionsTable().Parse(*node, "sources[0].mqtt", &options));
  return options;
}

std::string ErrorOf(std::string_view yaml) {
  Result<MqttOptions> options = Parse(yaml);
  return options.has_value() ? "no error" : options.error().message();
}

TEST(MqttOptions, ParsesEveryKey) {
  Result<MqttOptions> options = Parse(R"(
broker: "[::1]:8883"
topics: ["sensors/+/temp", "alerts/#"]
qos: 0
client_id: lake-1
clean_session: true
username: ingest
password: s3cret
keep_alive: 20s
connect_timeout: 3s
reconnect_backoff_min: 100ms
reconnect_backoff_max: 5s
retry_backoff: 50ms
retry_backoff_max: 2s
max_payload_bytes: 64KiB
format: json
max_inflight: 50
drain_timeout: 1s
)");
  ASSERT_TRUE(options.has_value()) << options.error().ToString();
  EXPECT_EQ(options->broker, "[::1]:8883");
  EXPECT_EQ(options->topics, (std::vector<std::string>{"sensors/+/temp", "alerts/#"}));
  EXPECT_EQ(options->qos, 0u);
  EXPECT_EQ(options->client_id, "lake-1");
  EXPECT_TRUE(options->clean_session);
  EXPECT_EQ(options->username, "ingest");
  EXPECT_EQ(options->password, "s3cret");
  EXPECT_EQ(options->keep_alive, std::chrono::seconds(20));
  EXPECT_EQ(options->connect_timeout, std::chrono::seconds(3));
  EXPECT_EQ(options->reconnect_backoff_min, std::chrono::milliseconds(100));
  EXPECT_EQ(options->reconnect_backoff_max, std::chrono::seconds(5));
  EXPECT_EQ(options->retry_backoff, std::chrono::milliseconds(50));
  EXPECT_EQ(options->retry_backoff_max, std::chrono::seconds(2));
  EXPECT_EQ(options->max_payload_bytes, 64u << 10);
  EXPECT_EQ(options->format, MessageFormat::kJson);
  EXPECT_EQ(options->max_inflight, 50u);
  EXPECT_EQ(options->drain_timeout, std::chrono::seconds(1));
}

TEST(MqttOptions, KeepsDefaultsForAbsentKeys) {
  Result<MqttOptions> options = Parse("{topics: [a]}");
  ASSERT_TRUE(options.has_value()) << options.error().ToString();
  EXPECT_EQ(options->broker, "127.0.0.1:1883");
  EXPECT_EQ(options->qos, 1u);
  EXPECT_EQ(options->client_id, "");
  EXPECT_FALSE(options->clean_session);
  EXPECT_EQ(options->keep_alive, std::chrono::seconds(30));
  EXPECT_EQ(options->format, MessageFormat::kAuto);
  EXPECT_EQ(options->max_payload_bytes, 1u << 20);
  EXPECT_EQ(options->max_inflight, 1000u);
}

TEST(MqttOptions, RequiresTopics) {
  EXPECT_THAT(ErrorOf("{broker: 'h:1'}"), HasSubstr("sources[0].mqtt.topics: required"));
  EXPECT_THAT(ErrorOf("{topics: []}"), HasSubstr("sources[0].mqtt.topics"));
}

TEST(MqttOptions, RefusesBadTopicFilters) {
  EXPECT_THAT(ErrorOf("{topics: [ok, 'a/#/b']}"),
              HasSubstr("topics[1]: topic filter 'a/#/b': '#' must be"));
  EXPECT_THAT(ErrorOf("{topics: ['a+']}"), HasSubstr("'+' must be a whole level"));
  EXPECT_THAT(ErrorOf("{topics: ['']}"), HasSubstr("topics[0]: topic filter is empty"));
}

TEST(MqttOptions, RefusesQos2) {
  EXPECT_THAT(ErrorOf("{topics: [a], qos: 2}"), HasSubstr("sources[0].mqtt.qos"));
  MqttOptions options;
  options.topics = {"a"};
  options.qos = 2;
  EXPECT_THAT(ValidateMqttOptions(options).message(), HasSubstr("qos: 2 is not supported"));
}

TEST(MqttOptions, RefusesPasswordWithoutUsernameAndHidesIt) {
  std::string error = ErrorOf("{topics: [a], password: hunter2}");
  EXPECT_THAT(error, HasSubstr("password: needs a username"));
  EXPECT_THAT(error, Not(HasSubstr("hunter2")));
}

TEST(MqttOptions, RefusesBadBrokerAddresses) {
  EXPECT_THAT(ErrorOf("{topics: [a], broker: 'host:0'}"), HasSubstr("broker: port '0'"));
  EXPECT_THAT(ErrorOf("{topics: [a], broker: 'host:'}"), HasSubstr("broker: empty port"));
  EXPECT_THAT(ErrorOf("{topics: [a], broker: ':1883'}"), HasSubstr("broker: empty host"));
  EXPECT_THAT(ErrorOf("{topics: [a], broker: '::1'}"), HasSubstr("in brackets"));
  EXPECT_THAT(ErrorOf("{topics: [a], broker: '[::1'}"), HasSubstr("without ']'"));
}

TEST(MqttOptions, KeepAliveIsWholeSeconds) {
  EXPECT_THAT(ErrorOf("{topics: [a], keep_alive: 1500ms}"), HasSubstr("keep_alive: must be"));
  EXPECT_EQ(ErrorOf("{topics: [a], keep_alive: 0}"), "no error");
}

TEST(MqttOptions, RefusesBackoffMinimumAboveMaximum) {
  EXPECT_THAT(ErrorOf("{topics: [a], reconnect_backoff_min: 10s, reconnect_backoff_max: 1s}"),
              HasSubstr("reconnect_backoff_min: is above"));
  EXPECT_THAT(ErrorOf("{topics: [a], retry_backoff: 10s, retry_backoff_max: 1s}"),
              HasSubstr("retry_backoff: is above"));
}

TEST(MqttOptions, RefusesUnknownKeysAndFormats) {
  EXPECT_THAT(ErrorOf("{topics: [a], tls: true}"), HasSubstr("sources[0].mqtt.tls: unknown key"));
  EXPECT_THAT(ErrorOf("{topics: [a], format: xml}"), HasSubstr("sources[0].mqtt.format"));
}

TEST(MqttOptions, ParsesHostPortForms) {
  EXPECT_EQ(ParseHostPort("broker", 1883)->port, 1883);
  EXPECT_EQ(ParseHostPort("broker:1884", 1)->host, "broker");
  EXPECT_EQ(ParseHostPort("broker:1884", 1)->port, 1884);
  EXPECT_EQ(ParseHostPort("[::1]", 1883)->host, "::1");
  EXPECT_EQ(ParseHostPort("[::1]:9", 1883)->port, 9);
  EXPECT_FALSE(ParseHostPort("h:65536", 1).has_value());
  EXPECT_FALSE(ParseHostPort("h:12x", 1).has_value());
}

TEST(MqttOptions, ReferenceDocumentsEveryKeyAndMarksThePasswordSecret) {
  std::string reference = MqttOptionsTable().Reference();
  for (const std::string& key : MqttOptionsTable().Keys()) {
    EXPECT_THAT(reference, HasSubstr("`" + key + "`")) << key;
  }
  EXPECT_THAT(reference, HasSubstr("(secret)"));
}

}  // namespace
}  // namespace eventlake::ingest
