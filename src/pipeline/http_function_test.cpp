// The `http` step: the SQS-shaped POST and its answers against a loopback
// server (allowed explicitly), and the SSRF guard's address classes.
#include "pipeline/http_function.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "pipeline/function_step.h"
#include "pipeline/fake_http_server.h"
#include "pipeline/function_test_util.h"
#include "pipeline/ssrf_guard.h"

namespace eventlake::pipeline {
namespace {

using testing::HasSubstr;
using namespace testing_util;

std::unique_ptr<FunctionStep> HttpStep(
    const std::string& url, bool allow_private, MetricsRegistry* metrics,
    std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
  HttpFunctionOptions o;
  o.name = "hook";
  o.url = url;
  o.allow_private = allow_private;
  o.timeout = timeout;
  o.headers = {{"Authorization", "Bearer t"}};
  auto step = FunctionStep::CreateHttp(o, {.stream = "clicks"}, metrics);
  EXPECT_TRUE(step.has_value()) << step.error().ToString();
  return step.has_value() ? std::move(*step) : nullptr;
}

TEST(HttpFunction, PostsTheSqsEventAndHonoursBatchItemFailures) {
  FakeServer server(200, R"({"batchItemFailures":[{"itemIdentifier":"b"}]})");
  MetricsRegistry metrics;
  auto step = HttpStep(server.url(), /*allow_private=*/true, &metrics);
  ASSERT_NE(step, nullptr);
  const std::vector<BatchRecord> batch = {Record("a", "1"), Record("b", "2")};
  StepResult r = step->Run(batch);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.failed.size(), 1u);
  EXPECT_EQ(r.failed[0].index, 1u);
  ASSERT_EQ(r.out.size(), 1u);
  EXPECT_EQ(r.Event(0, batch).id, "a");
  std::string request = server.last_request();
  EXPECT_THAT(request, HasSubstr("POST /hook HTTP/1.1"));
  EXPECT_THAT(request, HasSubstr("Content-Type: application/json"));
  EXPECT_THAT(request, HasSubstr("Authorization: Bearer t"));
  auto body = nlohmann::json::parse(request.substr(request.find("\r\n\r\n") + 4));
  EXPECT_EQ(body["Records"][1]["messageId"], "b");
  EXPECT_EQ(
      MetricValue(metrics,
                  R"(eventlake_function_invocations_total{function="hook",outcome="success"})"),
      1);
}

TEST(HttpFunction, BatchesReuseOneConnectionWhenTheServerKeepsItOpen) {
  FakeServer server({{200, ""}}, {}, /*keep_alive=*/true);
  MetricsRegistry metrics;
  auto step = HttpStep(server.url(), /*allow_private=*/true, &metrics);
  ASSERT_NE(step, nullptr);
  for (int i = 0; i < 5; ++i) {
    StepResult r = step->Run(std::vector<BatchRecord>{Record("a" + std::to_string(i), "1")});
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  }
  EXPECT_EQ(server.requests().size(), 5u);
  EXPECT_EQ(server.connections(), 1);
  // One that closes each connection: a new one each time, as before.
  FakeServer closing(200, "");
  auto again = HttpStep(closing.url(), /*allow_private=*/true, &metrics);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(again->Run(std::vector<BatchRecord>{Record("b", "1")}).status.ok());
  EXPECT_EQ(closing.connections(), 3);
}

TEST(HttpFunction, Non2xxFailsTheBatchWithTheStatusAndAnExcerpt) {
  FakeServer server(502, "upstream is down");
  MetricsRegistry metrics;
  auto step = HttpStep(server.url(), true, &metrics);
  ASSERT_NE(step, nullptr);
  StepResult r = step->Run(std::vector<BatchRecord>{Record("a", "1")});
  EXPECT_FALSE(r.status.ok());
  EXPECT_THAT(r.status.message(), HasSubstr("HTTP 502: upstream is down"));
}

TEST(HttpFunction, RedirectsAreNotFollowed) {
  FakeServer server(302, "");
  MetricsRegistry metrics;
  auto step = HttpStep(server.url(), true, &metrics);
  ASSERT_NE(step, nullptr);
  StepResult r = step->Run(std::vector<BatchRecord>{Record("a", "1")});
  EXPECT_THAT(r.status.message(), HasSubstr("HTTP 302"));
}

TEST(HttpFunction, TimeoutFailsTheBatch) {
  FakeServer server(200, "{}", std::chrono::milliseconds(1500));
  MetricsRegistry metrics;
  auto step = HttpStep(server.url(), true, &metrics, std::chrono::milliseconds(200));
  ASSERT_NE(step, nullptr);
  StepResult r = step->Run(std::vector<BatchRecord>{Record("a", "1")});
  EXPECT_EQ(r.status.code(), StatusCode::kDeadlineExceeded);
  EXPECT_THAT(r.status.message(), HasSubstr("timed out after 200ms"));
}

TEST(HttpFunction, LoopbackIsRefusedUnlessAllowed) {
  FakeServer server(200, "{}");
  MetricsRegistry metrics;
  for (std::string host : {"127.0.0.1", "localhost", "[::ffff:127.0.0.1]"}) {
    auto step = HttpStep(server.url(host), /*allow_private=*/false, &metrics);
    ASSERT_NE(step, nullptr);
    StepResult r = step->Run(std::vector<BatchRecord>{Record("a", "1")});
    EXPECT_EQ(r.status.code(), StatusCode::kPermissionDenied) << host;
    EXPECT_THAT(r.status.message(), HasSubstr("loopback")) << host;
  }
  EXPECT_TRUE(server.last_request().empty());
  EXPECT_EQ(
      MetricValue(metrics,
                  R"(eventlake_function_invocations_total{function="hook",outcome="refused"})"),
      3);
}

TEST(HttpFunction, CreateRefusesOtherSchemesAndHeaderInjection) {
  MetricsRegistry metrics;
  EXPECT_FALSE(HttpFunction::Create({.url = "file:///etc/passwd"}, &metrics).has_value());
  EXPECT_FALSE(HttpFunction::Create({.url = "gopher://x/"}, &metrics).has_value());
  HttpFunctionOptions o{.url = "https://example.com/"};
  o.headers = {{"X-A", "v\r\nHost: evil"}};
  EXPECT_FALSE(HttpFunction::Create(o, &metrics).has_value());
}

AddressClass Class(std::string_view ip) {
  auto c = ClassifyAddress(ip);
  EXPECT_TRUE(c.has_value()) << ip;
  return c.value_or(AddressClass::kReserved);
}

TEST(HttpFunctionSsrf, AddressClasses) {
  EXPECT_EQ(Class("127.0.0.1"), AddressClass::kLoopback);
  EXPECT_EQ(Class("127.255.1.2"), AddressClass::kLoopback);
  EXPECT_EQ(Class("::1"), AddressClass::kLoopback);
  EXPECT_EQ(Class("169.254.169.254"), AddressClass::kLinkLocal);
  EXPECT_EQ(Class("fe80::1"), AddressClass::kLinkLocal);
  EXPECT_EQ(Class("febf::1"), AddressClass::kLinkLocal);
  EXPECT_EQ(Class("10.0.0.1"), AddressClass::kPrivate);
  EXPECT_EQ(Class("172.16.0.1"), AddressClass::kPrivate);
  EXPECT_EQ(Class("172.31.255.255"), AddressClass::kPrivate);
  EXPECT_EQ(Class("192.168.1.1"), AddressClass::kPrivate);
  EXPECT_EQ(Class("100.64.0.1"), AddressClass::kPrivate);
  EXPECT_EQ(Class("fc00::1"), AddressClass::kPrivate);
  EXPECT_EQ(Class("fd12:3456::1"), AddressClass::kPrivate);
  EXPECT_EQ(Class("0.0.0.0"), AddressClass::kUnspecified);
  EXPECT_EQ(Class("::"), AddressClass::kUnspecified);
  EXPECT_EQ(Class("224.0.0.1"), AddressClass::kMulticast);
  EXPECT_EQ(Class("ff02::1"), AddressClass::kMulticast);
  EXPECT_EQ(Class("255.255.255.255"), AddressClass::kReserved);
  EXPECT_EQ(Class("::ffff:127.0.0.1"), AddressClass::kLoopback);
  EXPECT_EQ(Class("::ffff:10.1.2.3"), AddressClass::kPrivate);
  EXPECT_EQ(Class("::ffff:169.254.169.254"), AddressClass::kLinkLocal);
  EXPECT_EQ(Class("::127.0.0.1"), AddressClass::kLoopback);
  // Public, including the neighbours of the ranges.
  EXPECT_EQ(Class("8.8.8.8"), AddressClass::kPublic);
  EXPECT_EQ(Class("172.15.255.255"), AddressClass::kPublic);
  EXPECT_EQ(Class("172.32.0.0"), AddressClass::kPublic);
  EXPECT_EQ(Class("11.0.0.1"), AddressClass::kPublic);
  EXPECT_EQ(Class("2606:4700::1111"), AddressClass::kPublic);
  EXPECT_EQ(Class("::ffff:8.8.8.8"), AddressClass::kPublic);
  EXPECT_FALSE(ClassifyAddress("example.com").has_value());
}

TEST(HttpFunctionSsrf, ResolvedNamesAreChecked) {
  auto refused = ResolveAllowedAddress("localhost", false);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), StatusCode::kPermissionDenied);
  auto allowed = ResolveAllowedAddress("localhost", true);
  ASSERT_TRUE(allowed.has_value()) << allowed.error().ToString();
  EXPECT_EQ(ClassifyAddress(*allowed).value(), AddressClass::kLoopback);
  EXPECT_TRUE(ResolveAllowedAddress("8.8.8.8", false).has_value());
}

}  // namespace
}  // namespace eventlake::pipeline
