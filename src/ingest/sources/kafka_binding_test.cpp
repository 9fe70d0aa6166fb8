// Tests for the Kafka protocol binding (records to events) and for the
// commit plan of a batch, without a broker.
#include "ingest/sources/kafka_binding.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ingest/sources/kafka_progress.h"

namespace eventlake::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

class KafkaBindingTest : public ::testing::Test {
 protected:
  MessageEventResult ToEvent(const KafkaRecord& record,
                             MessageFormat format = MessageFormat::kAuto) {
    return KafkaRecordToEvent(decoder_, record,
                              {.source = "/eventlake/sources/orders",
                               .type = "eventlake.kafka.record",
                               .format = format,
                               .now = 1'700'000'000'000'000});
  }
  static KafkaRecord Record(std::string_view value, std::vector<KafkaHeader> headers = {}) {
    return KafkaRecord{.topic = "orders",
                       .partition = 3,
                       .offset = 41,
                       .key = "customer-7",
                       .value = value,
                       .headers = std::move(headers),
                       .timestamp = 1'764'036'415'123'000};
  }
  static std::string PartitionKey(const CloudEvent& event) {
    const ExtensionValue* value = event.FindExtension("partitionkey");
    return value == nullptr ? "<none>" : std::get<std::string>(*value);
  }

  MessageEventDecoder decoder_{IngestLimits{}};
};

TEST_F(KafkaBindingTest, PlainJsonIsWrappedWithTopicPartitionOffsetId) {
  MessageEventResult event = ToEvent(Record("{\"total\": 12.5}"));
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_EQ(event->id, "orders-3-41");
  EXPECT_EQ(event->source, "/eventlake/sources/orders");
  EXPECT_EQ(event->type, "eventlake.kafka.record");
  EXPECT_EQ(event->subject, "orders");
  EXPECT_EQ(event->time, 1'764'036'415'123'000);
  EXPECT_EQ(event->data, R"({"total":12.5})");
  EXPECT_EQ(PartitionKey(*event), "customer-7");
}

TEST_F(KafkaBindingTest, RecordWithoutTimestampGetsTheTimeItWasRead) {
  KafkaRecord record = Record("{}");
  record.timestamp.reset();
  record.key.reset();
  MessageEventResult event = ToEvent(record);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->time, 1'700'000'000'000'000);
  EXPECT_EQ(PartitionKey(*event), "<none>");
}

TEST_F(KafkaBindingTest, BinaryModeMapsCeHeadersToAttributes) {
  MessageEventResult event = ToEvent(Record("{ \"a\": 1 }", {{"ce_specversion", "1.0"},
                                                             {"ce_id", "order-1"},
                                                             {"ce_source", "/shop"},
                                                             {"ce_type", "order.created"},
                                                             {"ce_time", "2026-11-25T02:06:55Z"},
                                                             {"ce_subject", "50% off"},
                                                             {"ce_tenant", "acme"},
                                                             {"content-type", "application/json"},
                                                             {"traceparent", "00-ab-cd-01"}}));
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_EQ(event->id, "order-1");
  EXPECT_EQ(event->source, "/shop");
  EXPECT_EQ(event->type, "order.created");
  EXPECT_EQ(event->time, *ParseRfc3339("2026-11-25T02:06:55Z"));
  EXPECT_EQ(event->subject, "50% off");  // header values are not percent-encoded in Kafka
  EXPECT_EQ(event->data_content_type, "application/json");
  EXPECT_EQ(event->data, R"({"a":1})");
  EXPECT_EQ(std::get<std::string>(*event->FindExtension("tenant")), "acme");
  EXPECT_EQ(event->FindExtension("traceparent"), nullptr);
  EXPECT_EQ(PartitionKey(*event), "customer-7");
}

TEST_F(KafkaBindingTest, BinaryModeKeepsAPartitionKeyHeaderOverTheRecordKey) {
  MessageEventResult event = ToEvent(Record("x", {{"ce_specversion", "1.0"},
                                                  {"ce_id", "1"},
                                                  {"ce_source", "/s"},
                                                  {"ce_type", "t"},
                                                  {"ce_partitionkey", "explicit"}}));
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(PartitionKey(*event), "explicit");
  EXPECT_FALSE(event->data_content_type.has_value());
  EXPECT_EQ(event->data, "x");
}

TEST_F(KafkaBindingTest, BinaryModeProblemsNameTheKafkaHeader) {
  MessageEventResult missing =
      ToEvent(Record("{}", {{"ce_specversion", "1.0"}, {"ce_source", "/s"}, {"ce_type", "t"}}));
  ASSERT_FALSE(missing.has_value());
  EXPECT_THAT(missing.error().detail, HasSubstr("'id' is required"));
  MessageEventResult bad_time = ToEvent(Record("{}", {{"ce_specversion", "1.0"},
                                                      {"ce_id", "1"},
                                                      {"ce_source", "/s"},
                                                      {"ce_type", "t"},
                                                      {"ce_time", "yesterday"}}));
  ASSERT_FALSE(bad_time.has_value());
  EXPECT_EQ(bad_time.error().pointer, "/time");
  MessageEventResult null_header =
      ToEvent(Record("{}", {{"ce_specversion", "1.0"}, {"ce_id", std::nullopt}}));
  ASSERT_FALSE(null_header.has_value());
  EXPECT_THAT(null_header.error().detail, HasSubstr("header ce_id is null"));
}

TEST_F(KafkaBindingTest, StructuredModeByContentType) {
  MessageEventResult event =
      ToEvent(Record(R"({"specversion":"1.0","id":"e1","source":"/x","type":"y","data":[1]})",
                     {{"Content-Type", "application/cloudevents+json; charset=UTF-8"}}));
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_EQ(event->id, "e1");
  EXPECT_EQ(event->data, "[1]");
  EXPECT_EQ(PartitionKey(*event), "customer-7");
  MessageEventResult broken =
      ToEvent(Record("{\"id\":1}", {{"content-type", "application/cloudevents+json"}}));
  EXPECT_EQ(broken.error().type, ProblemType::kInvalidEvent);
}

TEST_F(KafkaBindingTest, BatchAndNonJsonStructuredModesAreRefused) {
  EXPECT_THAT(ToEvent(Record("[]", {{"content-type", "application/cloudevents-batch+json"}}))
                  .error()
                  .detail,
              HasSubstr("batches are not part of the Kafka binding"));
  EXPECT_EQ(ToEvent(Record("<e/>", {{"content-type", "application/cloudevents+xml"}})).error().type,
            ProblemType::kUnsupportedMediaType);
}

TEST_F(KafkaBindingTest, JsonAndRawFormatsIgnoreCeHeaders) {
  std::vector<KafkaHeader> headers = {{"ce_specversion", "1.0"}, {"ce_id", "from-header"}};
  MessageEventResult json = ToEvent(Record("{\"v\":1}", headers), MessageFormat::kJson);
  ASSERT_TRUE(json.has_value());
  EXPECT_EQ(json->id, "orders-3-41");
  MessageEventResult raw = ToEvent(Record("{\"v\":1}", headers), MessageFormat::kRaw);
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(raw->data, "{\"v\":1}");
  EXPECT_EQ(raw->data_content_type, "text/plain; charset=utf-8");
}

TEST_F(KafkaBindingTest, CloudEventsFormatReadsTheValueWithoutAContentType) {
  EXPECT_TRUE(ToEvent(Record(R"({"specversion":"1.0","id":"1","source":"s","type":"t"})"),
                      MessageFormat::kCloudEvents)
                  .has_value());
  EXPECT_FALSE(ToEvent(Record("{\"v\":1}"), MessageFormat::kCloudEvents).has_value());
}

TEST_F(KafkaBindingTest, BinaryKeyBecomesAHashedPartitionKey) {
  KafkaRecord record = Record("{}");
  record.key = std::string_view("\x00\xff", 2);
  MessageEventResult event = ToEvent(record);
  ASSERT_TRUE(event.has_value());
  EXPECT_TRUE(PartitionKey(*event).starts_with("sha256:"));
}

TEST(KafkaProgress, CommitsAfterTheLastDoneRecordOfEachPartition) {
  TopicPartition p0{"orders", 0};
  TopicPartition p1{"orders", 1};
  std::vector<ConsumedRecord> batch = {
      {p0, 10, true}, {p1, 5, true}, {p0, 11, true}, {p1, 6, true}, {p1, 7, true}};
  BatchProgress progress = PlanProgress(batch);
  EXPECT_THAT(progress.commit, ElementsAre(Pair(p0, 12), Pair(p1, 8)));
  EXPECT_TRUE(progress.rewind.empty());
}

TEST(KafkaProgress, NeverCommitsPastARetryRecord) {
  TopicPartition p0{"orders", 0};
  TopicPartition p1{"orders", 1};
  std::vector<ConsumedRecord> batch = {{p0, 10, true}, {p0, 11, false}, {p0, 12, true},
                                       {p1, 3, false}, {p1, 4, true},   {p0, 13, false}};
  BatchProgress progress = PlanProgress(batch);
  EXPECT_THAT(progress.commit, ElementsAre(Pair(p0, 11)));  // p1 does not move at all
  EXPECT_THAT(progress.rewind, ElementsAre(Pair(p0, 11), Pair(p1, 3)));
}

TEST(KafkaProgress, RejectedRecordsCountAsDone) {
  // A rejected record is done: it never holds its partition back.
  TopicPartition p{"t", 0};
  std::vector<ConsumedRecord> batch = {{p, 0, true}, {p, 1, true}};
  EXPECT_THAT(PlanProgress(batch).commit, ElementsAre(Pair(p, 2)));
  EXPECT_TRUE(PlanProgress({}).commit.empty());
}

}  // namespace
}  // namespace eventlake::ingest
