// Tests for the kafka source against librdkafka's mock cluster (an
// in-process Kafka protocol implementation with consumer groups). Committed
// offsets are read back from the cluster with rd_kafka_committed, so the
// tests see what a restarted consumer would. A first group join takes about
// 3 s in the mock cluster of librdkafka 2.0 (its initial rebalance delay).
#include "ingest/sources/kafka_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <atomic>
#include <set>

#include "ingest/sources/source_test_util.h"

namespace eventlake::ingest {
namespace {

using ::testing::ElementsAre;
using testing::FakeSink;
using ::testing::HasSubstr;
using testing::WaitFor;

constexpr int64_t kNoOffset = RD_KAFKA_OFFSET_INVALID;

struct Header {
  std::string name;
  std::string value;
};

// A mock cluster of one broker, owned by a producer that writes into it.
class MockKafka {
 public:
  MockKafka() {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    Set(conf, "test.mock.num.brokers", "1");
    Set(conf, "log_level", "3");
    char error[512];
    producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
    cluster_ = producer_ != nullptr ? rd_kafka_handle_mock_cluster(producer_) : nullptr;
  }
  ~MockKafka() {
    if (offsets_ != nullptr) rd_kafka_destroy(offsets_);
    if (producer_ != nullptr) rd_kafka_destroy(producer_);
  }

  bool ok() const { return cluster_ != nullptr; }
  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }
  void CreateTopic(const std::string& topic, int partitions) {
    ASSERT_EQ(rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  void Produce(const std::string& topic, int32_t partition, const std::string& key,
               const std::string& value, const std::vector<Header>& headers = {}) {
    rd_kafka_headers_t* hdrs = rd_kafka_headers_new(headers.size());
    for (const Header& h : headers) {
      rd_kafka_header_add(hdrs, h.name.data(), static_cast<ssize_t>(h.name.size()), h.value.data(),
                          static_cast<ssize_t>(h.value.size()));
    }
    rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
    ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR);
    ASSERT_EQ(rd_kafka_flush(producer_, 5000), RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  // The group's committed offset of each partition of `topic` (kNoOffset: none).
  std::vector<int64_t> Committed(const std::string& group, const std::string& topic,
                                 int partitions) {
    if (offsets_ == nullptr) {
      rd_kafka_conf_t* conf = rd_kafka_conf_new();
      Set(conf, "bootstrap.servers", bootstraps());
      Set(conf, "group.id", group);
      Set(conf, "log_level", "3");
      char error[512];
      offsets_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof(error));
    }
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
    std::vector<int64_t> out(partitions, -2);
    if (rd_kafka_committed(offsets_, list, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      for (int i = 0; i < list->cnt; ++i) out[list->elems[i].partition] = list->elems[i].offset;
    }
    rd_kafka_topic_partition_list_destroy(list);
    return out;
  }

 private:
  static void Set(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
    char error[512];
    rd_kafka_conf_set(conf, key, value.c_str(), error, sizeof(error));
  }

  rd_kafka_t* producer_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  rd_kafka_t* offsets_ = nullptr;
};

class KafkaSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(kafka_.ok());
    options_.brokers = kafka_.bootstraps();
    options_.topics = {"orders"};
    options_.group = "lake";
    // The mock cluster rebalances a group a member left after this minus 1 s;
    // below 4 s members time out during its 3 s initial rebalance delay.
    options_.session_timeout = std::chrono::seconds(4);
    options_.retry_backoff = std::chrono::milliseconds(10);
    options_.retry_backoff_max = std::chrono::milliseconds(50);
    options_.drain_timeout = std::chrono::milliseconds(200);
  }

  std::unique_ptr<KafkaSource> Started(FakeSink& sink, MetricsRegistry& metrics) {
    SourceContext context{.name = "orders", .sink = &sink, .metrics = &metrics};
    Result<std::unique_ptr<KafkaSource>> source = KafkaSource::Create(options_, context);
    EXPECT_TRUE(source.has_value()) << source.error().ToString();
    if (!source.has_value()) return nullptr;
    Status started = (*source)->Start();
    EXPECT_TRUE(started.ok()) << started.ToString();
    return std::move(source).value();
  }

  std::vector<int64_t> Committed(int partitions = 1) {
    return kafka_.Committed("lake", "orders", partitions);
  }

  static std::set<std::string> Ids(const std::vector<CloudEvent>& events) {
    std::set<std::string> ids;
    for (const CloudEvent& event : events) ids.insert(event.id);
    return ids;
  }

  static bool HasMetric(MetricsRegistry& metrics, std::string_view line) {
    return metrics.RenderPrometheus().find(line) != std::string::npos;
  }

  MockKafka kafka_;
  KafkaOptions options_;
  FakeSink sink_;
  MetricsRegistry metrics_;
};

TEST_F(KafkaSourceTest, ConsumesRecordsAndCommitsOnlyWhatIsDurable) {
  kafka_.CreateTopic("orders", 2);
  for (int i = 0; i < 6; ++i) {
    kafka_.Produce("orders", i % 2, "customer-" + std::to_string(i % 3),
                   "{\"n\": " + std::to_string(i) + "}");
  }
  sink_.Hold(true);
  auto source = Started(sink_, metrics_);
  ASSERT_TRUE(WaitFor([&] { return sink_.held_count() >= 1; }));
  EXPECT_THAT(Committed(2), ElementsAre(kNoOffset, kNoOffset));  // nothing durable yet
  sink_.Hold(false);
  sink_.Release();
  ASSERT_TRUE(WaitFor([&] { return Committed(2) == std::vector<int64_t>{3, 3}; }));
  source->Stop();

  std::vector<CloudEvent> events = sink_.stored();
  EXPECT_EQ(Ids(events), (std::set<std::string>{"orders-0-0", "orders-0-1", "orders-0-2",
                                                "orders-1-0", "orders-1-1", "orders-1-2"}));
  for (const CloudEvent& event : events) {
    EXPECT_EQ(event.source, "/eventlake/sources/orders");
    EXPECT_EQ(event.type, "eventlake.kafka.record");
    EXPECT_EQ(event.subject, "orders");
    EXPECT_EQ(event.data_content_type, "application/json");
    ASSERT_NE(event.FindExtension("partitionkey"), nullptr);
    EXPECT_THAT(std::get<std::string>(*event.FindExtension("partitionkey")),
                HasSubstr("customer-"));
    EXPECT_TRUE(event.time.has_value());
  }
  EXPECT_TRUE(HasMetric(metrics_, "eventlake_kafka_events_delivered_total{source=\"orders\"} 6"));
}

TEST_F(KafkaSourceTest, RetryableFailureIsReadAgainAndNeverCommittedPast) {
  kafka_.CreateTopic("orders", 1);
  for (int i = 0; i < 5; ++i) kafka_.Produce("orders", 0, "k", std::to_string(i));
  std::atomic<bool> failing = true;
  sink_.SetAnswer([&](const CloudEvent& event, int) -> Result<log::RecordPosition> {
    if (event.id == "orders-0-2" && failing) return Err(ResourceExhausted("over quota"));
    return log::RecordPosition{};
  });
  auto source = Started(sink_, metrics_);
  ASSERT_TRUE(WaitFor([&] { return sink_.attempts("orders-0-2") >= 2; }));
  EXPECT_THAT(Committed(), ElementsAre(2));  // 0 and 1 only: 3 and 4 wait behind 2
  failing = false;
  ASSERT_TRUE(WaitFor([&] { return Committed() == std::vector<int64_t>{5}; }));
  source->Stop();
  EXPECT_EQ(Ids(sink_.stored()), (std::set<std::string>{"orders-0-0", "orders-0-1", "orders-0-2",
                                                        "orders-0-3", "orders-0-4"}));
  EXPECT_FALSE(HasMetric(metrics_, "eventlake_kafka_delivery_retries_total{source=\"orders\"} 0"));
}

TEST_F(KafkaSourceTest, RestartResumesFromTheCommittedOffset) {
  kafka_.CreateTopic("orders", 1);
  for (int i = 0; i < 5; ++i) kafka_.Produce("orders", 0, "k", std::to_string(i));
  sink_.SetAnswer([](const CloudEvent& event, int) -> Result<log::RecordPosition> {
    if (event.data == "3" || event.data == "4") return Err(Unavailable("stream not ready"));
    return log::RecordPosition{};
  });
  auto first = Started(sink_, metrics_);
  ASSERT_TRUE(WaitFor([&] { return Committed() == std::vector<int64_t>{3}; }));
  first->Stop();
  EXPECT_THAT(Committed(), ElementsAre(3));

  FakeSink restarted;
  MetricsRegistry metrics;
  auto second = Started(restarted, metrics);
  ASSERT_TRUE(WaitFor([&] { return Committed() == std::vector<int64_t>{5}; }));
  second->Stop();
  EXPECT_EQ(Ids(restarted.delivered()), (std::set<std::string>{"orders-0-3", "orders-0-4"}));
}

TEST_F(KafkaSourceTest, CloudEventsHeadersMapToAttributesAndBadRecordsDoNotBlock) {
  kafka_.CreateTopic("orders", 1);
  kafka_.Produce("orders", 0, "c1", "{\"total\":3}",
                 {{"ce_specversion", "1.0"},
                  {"ce_id", "order-9"},
                  {"ce_source", "/shop"},
                  {"ce_type", "order.created"},
                  {"ce_tenant", "acme"},
                  {"content-type", "application/json"}});
  kafka_.Produce("orders", 0, "c2",
                 R"({"specversion":"1.0","id":"e-2","source":"/s","type":"t","data":"x"})",
                 {{"content-type", "application/cloudevents+json"}});
  kafka_.Produce("orders", 0, "c3", "{\"ce\":false}");
  kafka_.Produce("orders", 0, "c4", "{}", {{"ce_specversion", "1.0"}, {"ce_type", "t"}});
  kafka_.Produce("orders", 0, "c5", "after");
  auto source = Started(sink_, metrics_);
  ASSERT_TRUE(WaitFor([&] { return Committed() == std::vector<int64_t>{5}; }));
  source->Stop();

  std::vector<CloudEvent> events = sink_.stored();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].id, "order-9");
  EXPECT_EQ(events[0].source, "/shop");
  EXPECT_EQ(events[0].type, "order.created");
  EXPECT_EQ(std::get<std::string>(*events[0].FindExtension("tenant")), "acme");
  EXPECT_EQ(std::get<std::string>(*events[0].FindExtension("partitionkey")), "c1");
  EXPECT_EQ(events[1].id, "e-2");
  EXPECT_EQ(events[2].id, "orders-0-2");
  EXPECT_EQ(events[2].data, R"({"ce":false})");
  EXPECT_EQ(events[3].data, "after");
  EXPECT_TRUE(HasMetric(
      metrics_,
      "eventlake_kafka_messages_rejected_total{reason=\"invalid_event\",source=\"orders\"} 1"));
}

TEST_F(KafkaSourceTest, CreateFillsTheGroupAndRefusesBadOptions) {
  options_.group.clear();
  SourceContext context{.name = "orders", .sink = &sink_, .metrics = &metrics_};
  auto source = KafkaSource::Create(options_, context);
  ASSERT_TRUE(source.has_value()) << source.error().ToString();
  EXPECT_EQ((*source)->options().group, "eventlake-orders");
  EXPECT_EQ((*source)->name(), "orders");
  ASSERT_TRUE((*source)->Start().ok());
  EXPECT_EQ((*source)->Start().code(), StatusCode::kFailedPrecondition);
  (*source)->Stop();
  (*source)->Stop();  // idempotent

  options_.topics = {"bad topic"};
  EXPECT_THAT(KafkaSource::Create(options_, context).error().message(), HasSubstr("topics[0]"));
  options_.topics = {"orders"};
  context.metrics = nullptr;
  EXPECT_FALSE(KafkaSource::Create(options_, context).has_value());
}

}  // namespace
}  // namespace eventlake::ingest
