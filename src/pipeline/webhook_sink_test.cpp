// The webhook sink against a loopback server (allowed explicitly): the
// bodies and headers it sends, what each kind of answer makes of a batch,
// and the SSRF guard's refusal of loopback without allow_private.
#include "pipeline/webhook_sink.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "pipeline/fake_http_server.h"
#include "pipeline/function_test_util.h"
#include "pipeline/sink_options.h"

namespace eventlake::pipeline {
namespace {

using testing::HasSubstr;
using namespace testing_util;
using nlohmann::json;

std::vector<CloudEvent> Events(size_t n) {
  std::vector<CloudEvent> events;
  for (size_t i = 0; i < n; ++i)
    events.push_back(Record("e" + std::to_string(i), R"({"n":)" + std::to_string(i) + "}").event);
  return events;
}

SinkBatch Batch(const std::vector<CloudEvent>& events) {
  return {.origin = "clicks",
          .partition = 0,
          .first_offset = 0,
          .next_offset = events.size(),
          .events = events};
}

std::unique_ptr<WebhookSink> MakeSink(const std::string& spec, MetricsRegistry* metrics) {
  auto options = ParseWebhookSinkOptions(json::parse(spec), "sinks[0].webhook");
  EXPECT_TRUE(options.has_value()) << options.error().ToString();
  if (!options.has_value()) return nullptr;
  auto sink = WebhookSink::Create(std::move(*options), "p", metrics);
  EXPECT_TRUE(sink.has_value()) << sink.error().ToString();
  return sink.has_value() ? std::move(*sink) : nullptr;
}

std::string Spec(const FakeServer& server, const std::string& more = "") {
  return R"({"url": ")" + server.url() + R"(", "allow_private": true)" + more + "}";
}

// `n` events through a new sink of `spec`, once.
Result<std::vector<FailedItem>> DeliverOnce(const std::string& spec, size_t n,
                                            MetricsRegistry* metrics) {
  auto sink = MakeSink(spec, metrics);
  if (sink == nullptr) return Err(Internal("no sink"));
  const std::vector<CloudEvent> events = Events(n);
  return sink->Deliver(Batch(events));
}

TEST(WebhookSink, PostsACloudEventsBatchWithTheHeaders) {
  FakeServer server(200, "ok");
  MetricsRegistry metrics;
  auto sink =
      MakeSink(Spec(server, R"(, "headers": {"X-Token": "t0k", "X-Version": 2})"), &metrics);
  ASSERT_NE(sink, nullptr);
  const std::vector<CloudEvent> events = Events(3);
  auto refused = sink->Deliver(Batch(events));
  ASSERT_TRUE(refused.has_value()) << refused.error().ToString();
  EXPECT_TRUE(refused->empty());
  ASSERT_EQ(server.requests().size(), 1u);
  const std::string request = server.last_request();
  EXPECT_THAT(request, HasSubstr("POST /hook HTTP/1.1"));
  EXPECT_THAT(request, HasSubstr("Content-Type: application/cloudevents-batch+json"));
  EXPECT_THAT(request, HasSubstr("X-Token: t0k"));
  EXPECT_THAT(request, HasSubstr("X-Version: 2"));
  const json body = json::parse(FakeServer::BodyOf(request));
  ASSERT_TRUE(body.is_array());
  ASSERT_EQ(body.size(), 3u);
  EXPECT_EQ(body[1]["id"], "e1");
  EXPECT_EQ(body[1]["specversion"], "1.0");
  EXPECT_EQ(body[1]["data"]["n"], 1);
  EXPECT_EQ(
      MetricValue(
          metrics,
          R"(eventlake_webhook_events_total{outcome="delivered",pipeline="p",sink="127.0.0.1"})"),
      3);
}

TEST(WebhookSink, SplitsBatchesAtMaxBatchAndWritesNdjson) {
  FakeServer server(204, "");
  MetricsRegistry metrics;
  auto sink = MakeSink(Spec(server, R"(, "max_batch": 2, "format": "ndjson")"), &metrics);
  ASSERT_NE(sink, nullptr);
  const std::vector<CloudEvent> events = Events(5);
  ASSERT_TRUE(sink->Deliver(Batch(events)).has_value());
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_THAT(requests[0], HasSubstr("Content-Type: application/x-ndjson"));
  const std::string last = FakeServer::BodyOf(requests[2]);
  EXPECT_EQ(json::parse(last.substr(0, last.find('\n')))["id"], "e4");
  const std::string first = FakeServer::BodyOf(requests[0]);
  EXPECT_EQ(std::count(first.begin(), first.end(), '\n'), 2);
}

TEST(WebhookSink, A5xxFailsTheBatchAsUnavailableAndTheRetryDelivers) {
  FakeServer server({{500, "busy"}, {200, ""}});
  MetricsRegistry metrics;
  auto sink = MakeSink(Spec(server), &metrics);
  ASSERT_NE(sink, nullptr);
  const std::vector<CloudEvent> events = Events(2);
  auto first = sink->Deliver(Batch(events));
  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(first.error().code(), StatusCode::kUnavailable);
  EXPECT_THAT(first.error().message(), HasSubstr("HTTP 500: busy"));
  auto second = sink->Deliver(Batch(events));
  ASSERT_TRUE(second.has_value()) << second.error().ToString();
  EXPECT_TRUE(second->empty());
  EXPECT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(FakeServer::BodyOf(server.requests()[0]), FakeServer::BodyOf(server.requests()[1]));
  EXPECT_EQ(
      MetricValue(
          metrics,
          R"(eventlake_webhook_requests_total{outcome="retry",pipeline="p",sink="127.0.0.1"})"),
      1);
}

TEST(WebhookSink, TheSameBatchAgainSkipsTheRequestsAnsweredBefore) {
  FakeServer server({{200, ""}, {503, ""}, {200, ""}});
  MetricsRegistry metrics;
  auto sink = MakeSink(Spec(server, R"(, "max_batch": 2)"), &metrics);
  ASSERT_NE(sink, nullptr);
  const std::vector<CloudEvent> events = Events(4);
  ASSERT_FALSE(sink->Deliver(Batch(events)).has_value());
  ASSERT_TRUE(sink->Deliver(Batch(events)).has_value());
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);  // e0 e1, e2 e3 (503), e2 e3
  EXPECT_EQ(json::parse(FakeServer::BodyOf(requests[2]))[0]["id"], "e2");
  // Another batch (other offsets) is sent whole.
  ASSERT_TRUE(sink->Deliver({.origin = "clicks",
                             .partition = 0,
                             .first_offset = 4,
                             .next_offset = 8,
                             .events = events})
                  .has_value());
  EXPECT_EQ(server.requests().size(), 5u);
}

TEST(WebhookSink, A408Or429IsRetriedToo) {
  for (int status : {408, 429}) {
    FakeServer server(status, "slow down");
    MetricsRegistry metrics;
    auto r = DeliverOnce(Spec(server), 1, &metrics);
    ASSERT_FALSE(r.has_value()) << status;
    EXPECT_EQ(r.error().code(), StatusCode::kUnavailable) << status;
  }
}

TEST(WebhookSink, A4xxRefusesTheRequestsEventsAsFailedItems) {
  FakeServer server({{200, ""}, {400, R"({"error":"bad event"})"}});
  MetricsRegistry metrics;
  auto refused = DeliverOnce(Spec(server, R"(, "max_batch": 2)"), 4, &metrics);
  ASSERT_TRUE(refused.has_value()) << refused.error().ToString();
  ASSERT_EQ(refused->size(), 2u);
  EXPECT_EQ((*refused)[0].index, 2u);
  EXPECT_EQ((*refused)[1].index, 3u);
  EXPECT_THAT((*refused)[0].error.message(), HasSubstr(R"(HTTP 400: {"error":"bad event"})"));
}

TEST(WebhookSink, ATimeoutFailsTheBatchAsUnavailable) {
  FakeServer server(200, "", std::chrono::milliseconds(1500));
  MetricsRegistry metrics;
  auto r = DeliverOnce(Spec(server, R"(, "timeout": "200ms")"), 1, &metrics);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.error().message(), HasSubstr("timed out after 200ms"));
}

TEST(WebhookSink, LoopbackIsRefusedWithoutAllowPrivate) {
  FakeServer server(200, "");
  MetricsRegistry metrics;
  auto r = DeliverOnce(R"({"url": ")" + server.url() + R"("})", 1, &metrics);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(r.error().message(), HasSubstr("loopback"));
  EXPECT_TRUE(server.requests().empty());
}

TEST(WebhookSinkOptions, AUrlAloneTakesTheDefaultsAndMistakesNameTheirPath) {
  auto plain =
      ParseWebhookSinkOptions(json("https://example.com/hook"), "pipelines[0].sinks[1].webhook");
  ASSERT_TRUE(plain.has_value()) << plain.error().ToString();
  EXPECT_EQ(plain->url, "https://example.com/hook");
  EXPECT_EQ(plain->timeout, std::chrono::seconds(5));
  EXPECT_EQ(plain->max_batch, 500u);
  EXPECT_EQ(plain->format, WebhookFormat::kCloudEventsBatch);
  EXPECT_FALSE(plain->allow_private);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"url": "https://h/", "timeout": "soon"})", "pipelines[0].sinks[1].webhook.timeout"},
      {R"({"url": "ftp://h/"})", "pipelines[0].sinks[1].webhook.url"},
      {R"({"url": "https://h/", "format": "xml"})", "pipelines[0].sinks[1].webhook.format"},
      {R"({"url": "https://h/", "max_batch": 0})", "pipelines[0].sinks[1].webhook.max_batch"},
      {R"({"url": "https://h/", "headers": {"X": ["a"]}})",
       "pipelines[0].sinks[1].webhook.headers.X"},
      {R"({"url": "https://h/", "verb": "PUT"})",
       "pipelines[0].sinks[1].webhook.verb: unknown key"},
      {R"({"timeout": "1s"})", "pipelines[0].sinks[1].webhook.url"},
  };
  for (const auto& [spec, message] : cases) {
    auto parsed = ParseWebhookSinkOptions(json::parse(spec), "pipelines[0].sinks[1].webhook");
    ASSERT_FALSE(parsed.has_value()) << spec;
    EXPECT_THAT(parsed.error().message(), HasSubstr(message)) << spec;
  }
}

}  // namespace
}  // namespace eventlake::pipeline
