// Tests for S3 / MinIO bucket notifications: realistic bodies of both stores
// (written here from their published formats), the test event, the id
// fallbacks, key decoding, limits and errors that name the JSON pointer.
#include "ingest/sources/s3_notifications.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace eventlake::ingest {
namespace {

using ::testing::HasSubstr;

// An AWS S3 notification (event structure version 2.1), as S3 posts it to SQS,
// SNS, Lambda or EventBridge.
constexpr std::string_view kAwsBody = R"({
  "Records": [
    {
      "eventVersion": "2.1",
      "eventSource": "aws:s3",
      "awsRegion": "eu-west-1",
      "eventTime": "2026-03-14T09:26:53.589Z",
      "eventName": "ObjectCreated:Put",
      "userIdentity": {"principalId": "AWS:AIDAEXAMPLEUSER1234"},
      "requestParameters": {"sourceIPAddress": "203.0.113.17"},
      "responseElements": {
        "x-amz-request-id": "7QK2J9ZP3M1RBC4D",
        "x-amz-id-2": "u3Vd9Xq2oLk8Zr0pYt6sWm1EaNbC4fHgJiKlMnOpQrStUvWxYz0123456789ab="
      },
      "s3": {
        "s3SchemaVersion": "1.0",
        "configurationId": "to-eventlake",
        "bucket": {
          "name": "acme-landing",
          "ownerIdentity": {"principalId": "A1B2C3EXAMPLE"},
          "arn": "arn:aws:s3:::acme-landing"
        },
        "object": {
          "key": "orders/2026/03/day+14%2C+batch%C3%A9.csv",
          "size": 48213,
          "eTag": "9b2cf535f27731c974343645a3985328",
          "versionId": "3HL4kqtJlcpXroDTDmjVBH40Nrjfkd",
          "sequencer": "0065F2C4ED8E7A5B21"
        }
      }
    }
  ]
})";

// A MinIO webhook body: the same records with MinIO's fields, plus the
// top-level EventName and Key, and no x-amz-id-2 (older releases).
constexpr std::string_view kMinioBody = R"({
  "EventName": "s3:ObjectCreated:Put",
  "Key": "sensor-data/site-7/readings+01.ndjson",
  "Records": [
    {
      "eventVersion": "2.0",
      "eventSource": "minio:s3",
      "awsRegion": "",
      "eventTime": "2026-03-14T09:30:01.123456789Z",
      "eventName": "s3:ObjectCreated:Put",
      "userIdentity": {"principalId": "minioadmin"},
      "requestParameters": {"principalId": "minioadmin", "region": "", "sourceIPAddress": "10.0.0.5"},
      "responseElements": {
        "x-amz-request-id": "17BC5E4F2A9D0C31",
        "x-minio-deployment-id": "6f1e2d3c-4b5a-4789-9abc-def012345678",
        "x-minio-origin-endpoint": "http://10.0.0.2:9000"
      },
      "s3": {
        "s3SchemaVersion": "1.0",
        "configurationId": "Config",
        "bucket": {
          "name": "sensor-data",
          "ownerIdentity": {"principalId": "minioadmin"},
          "arn": "arn:aws:s3:::sensor-data"
        },
        "object": {
          "key": "site-7%2Freadings+01.ndjson",
          "size": 5120,
          "eTag": "d41d8cd98f00b204e9800998ecf8427e",
          "contentType": "application/x-ndjson",
          "userMetadata": {"content-type": "application/x-ndjson"},
          "sequencer": "17BC5E4F2AA31D77"
        }
      },
      "source": {"host": "10.0.0.5", "port": "", "userAgent": "MinIO (linux; amd64) minio-go/v7.0.70"}
    }
  ]
})";

// What S3 sends once when a notification configuration is saved.
constexpr std::string_view kTestEvent =
    R"({"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-03-14T09:00:00.000Z",)"
    R"("Bucket":"acme-landing","RequestId":"5582815E1AEA5ADF","HostId":"8cLeGAmw098X5cv4Zkw="})";

std::string Error(std::string_view body, const S3NotificationOptions& options = {}) {
  Result<std::vector<CloudEvent>> events = ParseS3Notification(body, options);
  if (events.has_value()) return "no error";
  EXPECT_EQ(events.error().code(), StatusCode::kInvalidArgument);
  return events.error().message();
}

// A minimal valid record with `patch` merged in (null removes a member).
std::string Body(const nlohmann::json& patch = nlohmann::json::object()) {
  nlohmann::json record = nlohmann::json::parse(R"({
    "eventName": "ObjectRemoved:Delete", "eventTime": "2026-01-01T00:00:00Z",
    "s3": {"bucket": {"name": "b"}, "object": {"key": "k", "sequencer": "0A"}}})");
  record.merge_patch(patch);
  return nlohmann::json{{"Records", {record}}}.dump();
}

TEST(S3Notifications, MapsAwsRecordFollowingTheCloudEventsAdapter) {
  Result<std::vector<CloudEvent>> events = ParseS3Notification(kAwsBody);
  ASSERT_TRUE(events.has_value()) << events.error().ToString();
  ASSERT_EQ(events->size(), 1u);
  const CloudEvent& e = (*events)[0];
  EXPECT_EQ(e.id,
            "7QK2J9ZP3M1RBC4D.u3Vd9Xq2oLk8Zr0pYt6sWm1EaNbC4fHgJiKlMnOpQrStUvWxYz0123456789ab=");
  EXPECT_EQ(e.source, "arn:aws:s3:::acme-landing");
  EXPECT_EQ(e.type, "com.amazonaws.s3.ObjectCreated:Put");
  EXPECT_EQ(e.subject, "orders/2026/03/day 14, batch\xC3\xA9.csv");
  EXPECT_EQ(e.time, ParseRfc3339("2026-03-14T09:26:53.589Z").value());
  EXPECT_EQ(e.data_content_type, "application/json");
  nlohmann::json data = nlohmann::json::parse(e.data);
  EXPECT_EQ(data, nlohmann::json::parse(kAwsBody)["Records"][0]);
  EXPECT_TRUE(e.data.starts_with(R"({"eventVersion":"2.1","eventSource":"aws:s3")"));
}

TEST(S3Notifications, MapsMinioRecordWithoutHostIdToSequencerId) {
  Result<std::vector<CloudEvent>> events = ParseS3Notification(kMinioBody);
  ASSERT_TRUE(events.has_value()) << events.error().ToString();
  ASSERT_EQ(events->size(), 1u);
  const CloudEvent& e = (*events)[0];
  EXPECT_EQ(e.type, "com.amazonaws.s3.ObjectCreated:Put");  // "s3:" prefix dropped
  EXPECT_EQ(e.source, "arn:aws:s3:::sensor-data");
  EXPECT_EQ(e.subject, "site-7/readings 01.ndjson");
  EXPECT_TRUE(e.id.starts_with("17BC5E4F2AA31D77-")) << e.id;
  EXPECT_EQ(e.id.size(), 16u + 1 + 16);
  EXPECT_EQ(e.time, ParseRfc3339("2026-03-14T09:30:01.123456Z").value());
}

TEST(S3Notifications, RedeliveredBodyKeepsItsIds) {
  for (std::string_view body : {kAwsBody, kMinioBody}) {
    EXPECT_EQ(ParseS3Notification(body).value()[0].id, ParseS3Notification(body).value()[0].id);
  }
  std::string other_key = Body({{"s3", {{"object", {{"key", "k2"}}}}}});
  EXPECT_NE(ParseS3Notification(Body()).value()[0].id,
            ParseS3Notification(other_key).value()[0].id);
}

TEST(S3Notifications, TestEventGivesNoEvents) {
  Result<std::vector<CloudEvent>> events = ParseS3Notification(kTestEvent);
  ASSERT_TRUE(events.has_value()) << events.error().ToString();
  EXPECT_TRUE(events->empty());
}

TEST(S3Notifications, EmptyRecordsGivesNoEvents) {
  EXPECT_TRUE(ParseS3Notification(R"({"Records":[]})").value().empty());
}

TEST(S3Notifications, SourceFallsBackToBucketArnFromName) {
  EXPECT_EQ(ParseS3Notification(Body()).value()[0].source, "arn:aws:s3:::b");
}

TEST(S3Notifications, IdFallsBackToRecordHashWithoutRequestIdsOrSequencer) {
  std::string body = Body({{"s3", {{"object", {{"sequencer", nullptr}}}}}});
  std::string id = ParseS3Notification(body).value()[0].id;
  EXPECT_TRUE(id.starts_with("s3-")) << id;
  EXPECT_EQ(id.size(), 3u + 32);
}

TEST(S3Notifications, KeepsEveryRecordInOrder) {
  nlohmann::json body = nlohmann::json::parse(Body());
  body["Records"].push_back(body["Records"][0]);
  body["Records"][1]["s3"]["object"]["key"] = "second";
  std::vector<CloudEvent> events = ParseS3Notification(body.dump()).value();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].subject, "k");
  EXPECT_EQ(events[1].subject, "second");
}

TEST(S3Notifications, DecodesKeys) {
  EXPECT_EQ(DecodeS3Key("a+b%2Bc%2fd").value(), "a b+c/d");
  EXPECT_THAT(DecodeS3Key("100%").error().message(), HasSubstr("bad percent-encoding at byte 3"));
  EXPECT_THAT(DecodeS3Key("%zz").error().message(), HasSubstr("bad percent-encoding"));
  EXPECT_THAT(DecodeS3Key("%FF").error().message(), HasSubstr("not valid UTF-8"));
}

TEST(S3Notifications, ErrorsNameTheJsonPointer) {
  EXPECT_EQ(Error(Body({{"eventName", nullptr}})), "/Records/0/eventName: missing");
  EXPECT_EQ(Error(Body({{"eventName", 7}})), "/Records/0/eventName: expected a string");
  EXPECT_EQ(Error(Body({{"eventTime", "yesterday"}})),
            "/Records/0/eventTime: not an RFC 3339 time");
  EXPECT_EQ(Error(Body({{"s3", {{"object", {{"key", "a%2"}}}}}})),
            "/Records/0/s3/object/key: bad percent-encoding at byte 1");
  EXPECT_EQ(Error(Body({{"s3", {{"bucket", "b"}}}})), "/Records/0/s3/bucket: expected an object");
  EXPECT_EQ(Error(Body({{"s3", {{"bucket", {{"name", ""}}}}}})),
            "/Records/0/s3/bucket/name: must not be empty");
  EXPECT_EQ(Error(Body({{"responseElements", {{"x-amz-id-2", 1}}}})),
            "/Records/0/responseElements/x-amz-id-2: expected a string");
  EXPECT_EQ(Error(R"({"Records":[{}, 1]})"), "/Records/0/eventName: missing");
  EXPECT_EQ(Error(R"({"Records":{}})"), "/Records: expected an array");
  EXPECT_EQ(Error(R"({"EventName":1,"Records":[]})"), "/EventName: expected a string");
}

TEST(S3Notifications, RejectsBodiesThatAreNotNotifications) {
  EXPECT_THAT(Error(R"({"Service":"Amazon S3"})"), HasSubstr("/Records: missing"));
  EXPECT_EQ(Error("[]"), "the body is not a JSON object");
  EXPECT_THAT(Error(R"({"Records":[)"), HasSubstr("malformed JSON"));
  EXPECT_THAT(Error("{\"Records\":[],\"x\":\"\xFF\"}"), HasSubstr("malformed JSON"));
  EXPECT_THAT(Error(""), HasSubstr("malformed JSON"));
}

TEST(S3Notifications, EnforcesBodySizeRecordCountAndNesting) {
  S3NotificationOptions options;
  options.max_body_bytes = 64;
  EXPECT_THAT(Error(kAwsBody, options), HasSubstr("more than max_body_bytes (64)"));
  options = {};
  options.max_records = 2;
  nlohmann::json body = nlohmann::json::parse(Body());
  for (int i = 0; i < 2; ++i) body["Records"].push_back(body["Records"][0]);
  EXPECT_EQ(Error(body.dump(), options), "/Records: 3 records, more than max_records (2)");
  std::string deep = "{\"Records\":[],\"x\":" + std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_THAT(Error(deep), HasSubstr("deeper"));
}

TEST(S3Notifications, OptionsTableParsesItsKeys) {
  Result<YAML::Node> node = config::LoadYaml(
      "{name: uploads, stream: objects, max_body_bytes: 2MiB, max_records: 10}", "test.yaml");
  ASSERT_TRUE(node.has_value());
  S3NotificationOptions options;
  ASSERT_TRUE(S3NotificationOptionsTable().Parse(*node, "", &options).ok());
  EXPECT_EQ(options.name, "uploads");
  EXPECT_EQ(options.stream, "objects");
  EXPECT_EQ(options.max_body_bytes, 2u << 20);
  EXPECT_EQ(options.max_records, 10u);
}

}  // namespace
}  // namespace eventlake::ingest
