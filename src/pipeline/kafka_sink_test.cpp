// The kafka sink against librdkafka's mock cluster (an in-process Kafka
// protocol implementation): what it produced is consumed back (keys,
// values, headers), records refused for themselves become failed items,
// and a cluster that does not answer fails the batch.
#include "pipeline/kafka_sink.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>

#include "pipeline/function_test_util.h"

namespace eventlake::pipeline {
namespace {

using nlohmann::json;
using testing::HasSubstr;
using testing_util::MetricValue;

struct Consumed {
  std::optional<std::string> key;
  std::string value;
  std::map<std::string, std::string> headers;
  int64_t timestamp = 0;
};

rd_kafka_conf_t* Conf(std::initializer_list<std::pair<const char*, std::string>> settings) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [key, value] : settings) {
    EXPECT_EQ(rd_kafka_conf_set(conf, key, value.c_str(), error, sizeof error), RD_KAFKA_CONF_OK)
        << key << error;
  }
  return conf;
}

// A mock cluster of one broker (owned by an idle producer handle) and a
// consumer that reads a topic from its beginning.
class KafkaSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char error[512];
    owner_ =
        rd_kafka_new(RD_KAFKA_PRODUCER, Conf({{"test.mock.num.brokers", "1"}, {"log_level", "3"}}),
                     error, sizeof error);
    ASSERT_NE(owner_, nullptr) << error;
    cluster_ = rd_kafka_handle_mock_cluster(owner_);
    ASSERT_NE(cluster_, nullptr);
    ASSERT_EQ(rd_kafka_mock_topic_create(cluster_, "clicks", 1, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  void TearDown() override {
    if (owner_ != nullptr) rd_kafka_destroy(owner_);
  }

  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }

  std::unique_ptr<KafkaSink> MakeSink(const std::string& more = "") {
    auto options = ParseKafkaSinkOptions(
        json::parse(R"({"brokers": ")" + bootstraps() +
                    R"(", "topic": "clicks", "delivery_timeout": "10s")" + more + "}"),
        "sinks[0].kafka");
    EXPECT_TRUE(options.has_value()) << options.error().ToString();
    if (!options.has_value()) return nullptr;
    auto sink = KafkaSink::Create(std::move(*options), "p", &metrics_);
    EXPECT_TRUE(sink.has_value()) << sink.error().ToString();
    return sink.has_value() ? std::move(*sink) : nullptr;
  }

  // The topic's records from the start, until `count` came or `wait` passed.
  std::vector<Consumed> Consume(size_t count,
                                std::chrono::milliseconds wait = std::chrono::seconds(10)) {
    char error[512];
    rd_kafka_t* consumer = rd_kafka_new(
        RD_KAFKA_CONSUMER,
        Conf({{"bootstrap.servers", bootstraps()}, {"group.id", "check"}, {"log_level", "3"}}),
        error, sizeof error);
    EXPECT_NE(consumer, nullptr) << error;
    if (consumer == nullptr) return {};
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, "clicks", 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    EXPECT_EQ(rd_kafka_assign(consumer, list), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(list);
    std::vector<Consumed> out;
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 100);
      if (m == nullptr) continue;
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        Consumed c;
        if (m->key != nullptr) c.key = std::string(static_cast<const char*>(m->key), m->key_len);
        c.value.assign(static_cast<const char*>(m->payload), m->len);
        c.timestamp = rd_kafka_message_timestamp(m, nullptr);
        rd_kafka_headers_t* headers = nullptr;
        if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
          const char* name;
          const void* value;
          size_t size;
          for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                             RD_KAFKA_RESP_ERR_NO_ERROR;
               ++i) {
            c.headers[name] = std::string(static_cast<const char*>(value), size);
          }
        }
        out.push_back(std::move(c));
      }
      rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    return out;
  }

  static CloudEvent Event(const std::string& id, const std::string& data) {
    CloudEvent e = testing_util::Record(id, data).event;
    e.subject = "s-" + id;
    e.time = 1'700'000'000'123'000;
    e.SetExtension(std::string(kPartitionKeyExtension), "user-" + id);
    return e;
  }

  static SinkBatch Batch(const std::vector<CloudEvent>& events) {
    return {.origin = "in",
            .partition = 0,
            .first_offset = 0,
            .next_offset = events.size(),
            .events = events};
  }

  rd_kafka_t* owner_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  MetricsRegistry metrics_;
};

TEST_F(KafkaSinkTest, ProducesStructuredEventsKeyedByPartitionKey) {
  auto sink = MakeSink();
  ASSERT_NE(sink, nullptr);
  const std::vector<CloudEvent> events = {Event("a", R"({"n":1})"), Event("b", R"({"n":2})")};
  auto refused = sink->Deliver(Batch(events));
  ASSERT_TRUE(refused.has_value()) << refused.error().ToString();
  EXPECT_TRUE(refused->empty());
  const std::vector<Consumed> records = Consume(2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].key, "user-a");
  EXPECT_EQ(records[1].key, "user-b");
  EXPECT_EQ(records[0].headers.at("content-type"), "application/cloudevents+json");
  const json value = json::parse(records[1].value);
  EXPECT_EQ(value["id"], "b");
  EXPECT_EQ(value["subject"], "s-b");
  EXPECT_EQ(value["data"]["n"], 2);
  EXPECT_EQ(records[0].timestamp, 1'700'000'000'123);
  EXPECT_EQ(
      MetricValue(
          metrics_,
          R"(eventlake_kafka_sink_records_total{outcome="delivered",pipeline="p",topic="clicks"})"),
      2);
}

TEST_F(KafkaSinkTest, BinaryModePutsTheDataInTheValueAndAttributesInHeaders) {
  auto sink = MakeSink(R"(, "format": "binary", "key": "user.id")");
  ASSERT_NE(sink, nullptr);
  const std::vector<CloudEvent> events = {Event("a", R"({"user":{"id":42},"n":1})"),
                                          Event("b", R"({"n":2})")};
  ASSERT_TRUE(sink->Deliver(Batch(events)).has_value());
  const std::vector<Consumed> records = Consume(2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].key, "42");
  EXPECT_EQ(records[1].key, std::nullopt);  // no user.id: a null key
  EXPECT_EQ(records[0].value, R"({"user":{"id":42},"n":1})");
  const std::map<std::string, std::string>& h = records[0].headers;
  EXPECT_EQ(h.at("ce_specversion"), "1.0");
  EXPECT_EQ(h.at("ce_id"), "a");
  EXPECT_EQ(h.at("ce_source"), "/test");
  EXPECT_EQ(h.at("ce_type"), "test.event");
  EXPECT_EQ(h.at("ce_subject"), "s-a");
  EXPECT_EQ(h.at("ce_time"), "2023-11-14T22:13:20.123000Z");
  EXPECT_EQ(h.at("ce_partitionkey"), "user-a");
  EXPECT_EQ(h.at("content-type"), "application/json");
}

TEST_F(KafkaSinkTest, ARecordTooLargeIsAFailedItemAndTheRestIsDelivered) {
  auto sink = MakeSink(R"(, "properties": {"message.max.bytes": 2000})");
  ASSERT_NE(sink, nullptr);
  const std::vector<CloudEvent> events = {
      Event("a", "1"), Event("big", "\"" + std::string(5000, 'x') + "\""), Event("c", "3")};
  auto refused = sink->Deliver(Batch(events));
  ASSERT_TRUE(refused.has_value()) << refused.error().ToString();
  ASSERT_EQ(refused->size(), 1u);
  EXPECT_EQ((*refused)[0].index, 1u);
  EXPECT_THAT((*refused)[0].error.message(), HasSubstr("kafka clicks"));
  const std::vector<Consumed> records = Consume(2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(json::parse(records[1].value)["id"], "c");
}

TEST_F(KafkaSinkTest, RetriableBrokerErrorsAreRetriedWithoutDuplicates) {
  auto sink = MakeSink();
  ASSERT_NE(sink, nullptr);
  // Produce (API key 0) answered "not leader" twice: librdkafka retries,
  // and the idempotent producer keeps one copy of each record.
  rd_kafka_mock_push_request_errors(cluster_, 0, 2, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                    RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
  const std::vector<CloudEvent> events = {Event("a", "1"), Event("b", "2"), Event("c", "3")};
  auto refused = sink->Deliver(Batch(events));
  ASSERT_TRUE(refused.has_value()) << refused.error().ToString();
  EXPECT_TRUE(refused->empty());
  const std::vector<Consumed> records =
      Consume(4, std::chrono::seconds(3));  // a fourth must not come
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(json::parse(records[2].value)["id"], "c");
}

TEST(KafkaSink, AClusterThatDoesNotAnswerFailsTheBatchAsUnavailable) {
  MetricsRegistry metrics;
  auto options = ParseKafkaSinkOptions(json::parse(R"({"brokers": "127.0.0.1:1", "topic": "t",
                                                       "delivery_timeout": "1s"})"),
                                       "k");
  ASSERT_TRUE(options.has_value());
  auto sink = KafkaSink::Create(std::move(*options), "p", &metrics);
  ASSERT_TRUE(sink.has_value()) << sink.error().ToString();
  CloudEvent e = testing_util::Record("a", "1").event;
  const std::vector<CloudEvent> events = {e};
  auto r = (*sink)->Deliver(
      {.origin = "in", .partition = 0, .first_offset = 0, .next_offset = 1, .events = events});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kUnavailable);
}

TEST(KafkaSink, RecordKeys) {
  CloudEvent e = testing_util::Record("id1", R"({"user":{"id":"u7"},"n":3})").event;
  e.subject = "sub";
  EXPECT_EQ(KafkaSink::RecordKey(e, "id"), "id1");
  EXPECT_EQ(KafkaSink::RecordKey(e, "subject"), "sub");
  EXPECT_EQ(KafkaSink::RecordKey(e, "partitionkey"), std::nullopt);
  EXPECT_EQ(KafkaSink::RecordKey(e, "user.id"), "u7");
  EXPECT_EQ(KafkaSink::RecordKey(e, "n"), "3");
  EXPECT_EQ(KafkaSink::RecordKey(e, "missing"), std::nullopt);
  e.SetExtension(std::string(kPartitionKeyExtension), int64_t{5});
  EXPECT_EQ(KafkaSink::RecordKey(e, "partitionkey"), "5");
}

TEST(KafkaSinkOptions, DefaultsAndMistakes) {
  auto plain =
      ParseKafkaSinkOptions(json::parse(R"({"topic": "t"})"), "pipelines[0].sinks[0].kafka");
  ASSERT_TRUE(plain.has_value()) << plain.error().ToString();
  EXPECT_EQ(plain->brokers, "127.0.0.1:9092");
  EXPECT_EQ(plain->key, "partitionkey");
  EXPECT_EQ(plain->format, KafkaSinkFormat::kJson);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"brokers": "h:1"})", "pipelines[0].sinks[0].kafka.topic"},
      {R"({"topic": "t", "format": "avro"})", "pipelines[0].sinks[0].kafka.format"},
      {R"({"topic": "t", "key": "a..b"})", "pipelines[0].sinks[0].kafka.key"},
      {R"({"topic": "t", "properties": {"enable.idempotence": false}})",
       "pipelines[0].sinks[0].kafka.properties.enable.idempotence: set by the sink"},
      {R"({"topic": "t", "properties": {"linger.ms": [1]}})",
       "pipelines[0].sinks[0].kafka.properties.linger.ms"},
      {R"({"topic": "t", "delivery_timeout": "10ms"})",
       "pipelines[0].sinks[0].kafka.delivery_timeout"},
  };
  for (const auto& [spec, message] : cases) {
    auto parsed = ParseKafkaSinkOptions(json::parse(spec), "pipelines[0].sinks[0].kafka");
    ASSERT_FALSE(parsed.has_value()) << spec;
    EXPECT_THAT(parsed.error().message(), HasSubstr(message)) << spec;
  }
  MetricsRegistry metrics;
  auto bad = ParseKafkaSinkOptions(
      json::parse(R"({"topic": "t", "properties": {"linger.ms": "soon"}})"), "k");
  ASSERT_TRUE(bad.has_value());
  EXPECT_FALSE(KafkaSink::Create(std::move(*bad), "p", &metrics).has_value());
}

}  // namespace
}  // namespace eventlake::pipeline
