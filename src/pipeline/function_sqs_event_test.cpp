// The SQS event shape, the response contract of sqs_event.h (Lambda's
// partial batch response rules and the "events" extension), the S3 event
// shape and the steps' options.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "pipeline/function_error.h"
#include "pipeline/function_options.h"
#include "pipeline/function_test_util.h"
#include "pipeline/s3_event.h"
#include "pipeline/sqs_event.h"

namespace eventlake::pipeline {
namespace {

using json = nlohmann::json;
using testing::HasSubstr;
using testing_util::Record;

std::vector<BatchRecord> Batch() {
  return {Record("a", R"({"n":1})"), Record("b", "2"), Record("c", "3")};
}

TEST(FunctionSqsEvent, OneRecordPerEventInBatchOrder) {
  auto batch = Batch();
  batch[1].offset = 7;
  json event = json::parse(
      BuildSqsEvent(batch, {.region = "eu-west-1", .stream = "clicks"}, 1'800'000'000'000'000));
  ASSERT_EQ(event["Records"].size(), 3u);
  const json& m = event["Records"][1];
  EXPECT_EQ(m["messageId"], "b");
  EXPECT_EQ(m["receiptHandle"], "clicks:7");
  EXPECT_EQ(m["eventSource"], "aws:sqs");
  EXPECT_EQ(m["eventSourceARN"], "arn:aws:sqs:eu-west-1:000000000000:clicks");
  EXPECT_EQ(m["awsRegion"], "eu-west-1");
  EXPECT_EQ(m["attributes"]["ApproximateReceiveCount"], "1");
  EXPECT_EQ(m["attributes"]["SentTimestamp"], "1700000000000");
  EXPECT_EQ(m["attributes"]["ApproximateFirstReceiveTimestamp"], "1800000000000");
  EXPECT_EQ(m["md5OfBody"].get<std::string>().size(), 32u);
  EXPECT_TRUE(m["messageAttributes"].is_object());
  json body = json::parse(m["body"].get<std::string>());
  EXPECT_EQ(body["id"], "b");
  EXPECT_EQ(body["specversion"], "1.0");
}

TEST(FunctionSqsEvent, EmptyNullOrNonObjectAnswersPassEveryEvent) {
  auto batch = Batch();
  for (std::string_view answer : {"", "  ", "null", "\"ok\"", "[1,2]", "42",
                                  R"({"batchItemFailures":[]})", R"({"batchItemFailures":null})"}) {
    StepResult r = ApplyBatchResponse(batch, answer, "f");
    ASSERT_TRUE(r.status.ok()) << answer << ": " << r.status.ToString();
    EXPECT_EQ(r.out.size(), 3u) << answer;
    EXPECT_TRUE(r.failed.empty()) << answer;
  }
}

TEST(FunctionSqsEvent, NamedItemsFailAlone) {
  auto batch = Batch();
  StepResult r = ApplyBatchResponse(
      batch, R"({"batchItemFailures":[{"itemIdentifier":"c"},{"itemIdentifier":"a"}]})", "f");
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.failed.size(), 2u);
  EXPECT_EQ(r.failed[0].index, 0u);
  EXPECT_EQ(r.failed[1].index, 2u);
  ASSERT_EQ(r.out.size(), 1u);
  EXPECT_EQ(r.Event(0, batch).id, "b");
}

TEST(FunctionSqsEvent, ASharedMessageIdFailsEveryRecordWithIt) {
  std::vector<BatchRecord> batch = {Record("a", "1"), Record("a", "2"), Record("b", "3")};
  StepResult r =
      ApplyBatchResponse(batch, R"({"batchItemFailures":[{"itemIdentifier":"a"}]})", "f");
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.failed.size(), 2u);
  EXPECT_EQ(r.out.size(), 1u);
}

TEST(FunctionSqsEvent, BadItemIdentifiersFailTheWholeBatch) {
  auto batch = Batch();
  for (std::string_view answer :
       {R"({"batchItemFailures":[{"itemIdentifier":"zz"}]})",
        R"({"batchItemFailures":[{"itemIdentifier":""}]})",
        R"({"batchItemFailures":[{"itemIdentifier":null}]})",
        R"({"batchItemFailures":[{"id":"a"}]})", R"({"batchItemFailures":[{"itemIdentifier":1}]})",
        R"({"batchItemFailures":["a"]})", R"({"batchItemFailures":{"itemIdentifier":"a"}})",
        "not json", "{\"a\":"}) {
    StepResult r = ApplyBatchResponse(batch, answer, "f");
    EXPECT_EQ(r.status.code(), StatusCode::kFailedPrecondition) << answer;
  }
}

TEST(FunctionSqsEvent, EventsReplaceTheOutput) {
  auto batch = Batch();
  StepResult r =
      ApplyBatchResponse(batch, R"({"batchItemFailures":[{"itemIdentifier":"b"}],"events":[
      {"specversion":"1.0","id":"x1","source":"/f","type":"t","data":{"k":1}},
      {"specversion":"1.0","id":"x2","source":"/f","type":"t"}]})",
                         "f");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.failed.size(), 1u);
  ASSERT_EQ(r.out.size(), 2u);
  EXPECT_EQ(r.out[0].id, "x1");
  EXPECT_EQ(r.out[0].data, R"({"k":1})");
  EXPECT_EQ(r.out[1].id, "x2");
  r = ApplyBatchResponse(batch, R"({"events":[]})", "f");
  ASSERT_TRUE(r.status.ok());
  EXPECT_TRUE(r.out.empty());  // the function dropped them all
}

TEST(FunctionSqsEvent, InvalidEventsFailTheWholeBatch) {
  auto batch = Batch();
  StepResult r = ApplyBatchResponse(batch, R"({"events":[{"id":"x"}]})", "f");
  EXPECT_EQ(r.status.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status.message(), HasSubstr("events[0]"));
  EXPECT_FALSE(ApplyBatchResponse(batch, R"({"events":{}})", "f").status.ok());
}

TEST(FunctionSqsEvent, DeepResponsesAreRefusedNotRecursedInto) {
  auto batch = Batch();
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_FALSE(ApplyBatchResponse(batch, deep, "f").status.ok());
  EXPECT_FALSE(ApplyBatchResponse(batch, "{\"a\":" + deep + "}", "f").status.ok());
}

TEST(FunctionSqsEvent, ErrorDocumentsAreDescribedLeniently) {
  EXPECT_EQ(DescribeFunctionError(R"({"errorMessage":"boom","errorType":"ValueError"})", ""),
            "ValueError: boom");
  EXPECT_EQ(DescribeFunctionError(R"({"errorMessage":"boom"})", "Unhandled"), "Unhandled: boom");
  EXPECT_EQ(DescribeFunctionError("plain text", ""), "Unhandled: plain text");
  EXPECT_EQ(DescribeFunctionError("", ""), "Unhandled");
  EXPECT_LT(DescribeFunctionError(std::string(5000, 'x'), "").size(), 300u);
  EXPECT_LT(
      DescribeFunctionError(R"({"errorType":")" + std::string(5000, 't') + R"("})", "").size(),
      310u);
  EXPECT_LT(DescribeFunctionError("", std::string(5000, 'h')).size(), 310u);
}

TEST(FunctionS3Event, ObjectCreatedShape) {
  std::vector<S3ObjectCreated> objects = {{.bucket = "lake",
                                           .key = "raw/web/a b+c.json",
                                           .size = 12,
                                           .etag = "abc",
                                           .sequencer = "0A1",
                                           .event_time = 1'800'000'000'123'456}};
  json event = json::parse(BuildS3Event(objects, "eu-west-1"));
  const json& r = event["Records"][0];
  EXPECT_EQ(r["eventVersion"], "2.1");
  EXPECT_EQ(r["eventSource"], "aws:s3");
  EXPECT_EQ(r["awsRegion"], "eu-west-1");
  EXPECT_EQ(r["eventName"], "ObjectCreated:Put");
  EXPECT_EQ(r["eventTime"], "2027-01-15T08:00:00.123Z");
  EXPECT_EQ(r["s3"]["bucket"]["name"], "lake");
  EXPECT_EQ(r["s3"]["bucket"]["arn"], "arn:aws:s3:::lake");
  EXPECT_EQ(r["s3"]["object"]["key"], "raw/web/a+b%2Bc.json");
  EXPECT_EQ(r["s3"]["object"]["size"], 12);
  EXPECT_EQ(r["s3"]["object"]["eTag"], "abc");
  EXPECT_EQ(r["s3"]["object"]["sequencer"], "0A1");
}

TEST(FunctionOptions, ParsesEveryKey) {
  std::string base = testing_util::FreshDir("options");
  std::filesystem::create_directories(base + "/functions/enrich");
  auto o =
      ParseFunctionStepOptions(json::parse(R"({"command": "python3 -m awslambdaric app.handler",
      "directory": "functions/enrich", "handler": "app.handler", "timeout": "5s", "memory": "256MiB",
      "concurrency": 8, "idle_timeout": "2m", "environment": {"A": "1", "B": 2}})"),
                               "pipelines[0].steps[1].function", base);
  ASSERT_TRUE(o.has_value()) << o.error().ToString();
  EXPECT_EQ(o->command, (std::vector<std::string>{"python3", "-m", "awslambdaric", "app.handler"}));
  EXPECT_EQ(o->directory,
            (std::filesystem::path(base) / "functions/enrich").lexically_normal().string());
  EXPECT_EQ(o->name, "enrich");
  EXPECT_EQ(o->handler, "app.handler");
  EXPECT_EQ(o->timeout, std::chrono::seconds(5));
  EXPECT_EQ(o->memory_bytes, 256u << 20);
  EXPECT_EQ(o->concurrency, 8);
  EXPECT_EQ(o->idle_timeout, std::chrono::minutes(2));
  EXPECT_EQ(o->environment.size(), 2u);
  EXPECT_EQ(o->environment[1].second, "2");
  auto defaults =
      ParseFunctionStepOptions(json::parse(R"({"command": ["./bootstrap"]})"), "f", base);
  ASSERT_TRUE(defaults.has_value());
  EXPECT_EQ(defaults->timeout, std::chrono::seconds(3));
  EXPECT_EQ(defaults->concurrency, 4);
}

TEST(FunctionOptions, ErrorsNameThePath) {
  std::string base = testing_util::FreshDir("options");
  auto error = [&](std::string_view spec) {
    auto o = ParseFunctionStepOptions(json::parse(spec), "pipelines[0].steps[1].function", base);
    return o.has_value() ? std::string("parsed") : o.error().message();
  };
  EXPECT_THAT(error(R"({"command": "x", "timeout": "3"})"),
              HasSubstr("pipelines[0].steps[1].function.timeout: "));
  EXPECT_THAT(error(R"({"command": "x", "bogus": 1})"), HasSubstr("function.bogus: unknown key"));
  EXPECT_THAT(error(R"({})"), HasSubstr("function.command: required"));
  EXPECT_THAT(error(R"({"command": []})"), HasSubstr("function.command: empty"));
  EXPECT_THAT(error(R"({"command": "x", "memory": "lots"})"), HasSubstr("function.memory: "));
  EXPECT_THAT(error(R"({"command": "x", "concurrency": 0})"), HasSubstr("function.concurrency: "));
  EXPECT_THAT(error(R"({"command": "x", "directory": "nowhere"})"),
              HasSubstr("function.directory: "));
  EXPECT_THAT(error(R"({"command": "x", "environment": {"A": []}})"),
              HasSubstr("function.environment.A"));

  auto http = ParseHttpFunctionOptions(json::parse(R"({"url": "https://h/x", "timeout": "1s",
      "allow_private": true, "headers": {"X-K": "v"}})"),
                                       "s.http");
  ASSERT_TRUE(http.has_value()) << http.error().ToString();
  EXPECT_TRUE(http->allow_private);
  EXPECT_EQ(http->timeout, std::chrono::seconds(1));
  EXPECT_THAT(
      ParseHttpFunctionOptions(json::parse(R"({"url": "ftp://h"})"), "s.http").error().message(),
      HasSubstr("s.http.url: "));
  EXPECT_THAT(
      ParseHttpFunctionOptions(json::parse(R"({"url": "http://h", "retries": 1})"), "s.http")
          .error()
          .message(),
      HasSubstr("s.http.retries: unknown key"));
}

}  // namespace
}  // namespace eventlake::pipeline
