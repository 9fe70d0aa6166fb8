// Tests of the HTTP server over real loopback sockets: keep-alive, limits
// answered with problem+json, handlers that answer later from other threads,
// the connection limit, idle connections closed, and stopping with requests
// in flight.
#include "server/http_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "server/http_test_util.h"
#include "server/problem.h"

namespace eventlake::server {
namespace {

using namespace testing_util;  // Client, TestOptions, http
using ::testing::HasSubstr;

HttpHandler Echo() {
  return [](HttpRequest request, Responder respond) {
    HttpResponse response;
    response.content_type = "text/plain";
    response.body = std::string(request.target()) + ":" + request.body();
    respond(std::move(response));
  };
}

TEST(HttpServer, ServesManyRequestsOnOneKeepAliveConnection) {
  auto server = HttpServer::Start(TestOptions(), Echo()).value();
  Client client(server->address());
  for (int i = 0; i < 20; ++i) {
    auto response = client.Request("POST", "/x" + std::to_string(i), "body");
    EXPECT_EQ(response.result_int(), 200);
    EXPECT_EQ(response.body(), "/x" + std::to_string(i) + ":body");
    EXPECT_TRUE(response.keep_alive());
    EXPECT_FALSE(response[http::field::date].empty());
  }
}

TEST(HttpServer, AnswersPipelinedRequestsInOrder) {
  auto server = HttpServer::Start(TestOptions(), Echo()).value();
  Client client(server->address());
  client.SendRaw("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(client.Read().body(), "/a:");
  EXPECT_EQ(client.Read().body(), "/b:");
}

TEST(HttpServer, ClosesAfterConnectionClose) {
  auto server = HttpServer::Start(TestOptions(), Echo()).value();
  Client client(server->address());
  auto response = client.Request("GET", "/", "", "Connection: close\r\n");
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(client.ClosedByServer());
}

TEST(HttpServer, RejectsBodyOverLimitWith413Problem) {
  MetricsRegistry metrics;
  HttpServerOptions options = TestOptions();
  options.max_body_bytes = 1024;
  options.metrics = &metrics;
  auto server = HttpServer::Start(options, Echo()).value();
  Client client(server->address());
  auto response = client.Request("POST", "/", std::string(4096, 'x'));
  EXPECT_EQ(response.result_int(), 413);
  EXPECT_EQ(response[http::field::content_type], "application/problem+json");
  EXPECT_THAT(response.body(), HasSubstr("payload_too_large"));
  EXPECT_TRUE(client.ClosedByServer());
  EXPECT_THAT(metrics.RenderPrometheus(),
              HasSubstr(R"(eventlake_http_refused_requests_total{reason="body_too_large"} 1)"));
}

TEST(HttpServer, RejectsChunkedBodyOverLimitWith413) {
  HttpServerOptions options = TestOptions();
  options.max_body_bytes = 1024;
  auto server = HttpServer::Start(options, Echo()).value();
  Client client(server->address());
  client.SendRaw("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
                 std::string(2048, 'x') + "\r\n0\r\n\r\n");
  EXPECT_EQ(client.Read().result_int(), 413);
}

TEST(HttpServer, RejectsHugeHeaderWith431) {
  auto server = HttpServer::Start(TestOptions(), Echo()).value();
  Client client(server->address());
  auto response = client.Request("GET", "/", "", "X-Big: " + std::string(20000, 'a') + "\r\n");
  EXPECT_EQ(response.result_int(), 431);
  EXPECT_THAT(response.body(), HasSubstr("request_header_fields_too_large"));
}

TEST(HttpServer, RejectsMalformedRequestWith400) {
  auto server = HttpServer::Start(TestOptions(), Echo()).value();
  Client client(server->address());
  client.SendRaw("NOT A REQUEST\r\n\r\n");
  auto response = client.Read();
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_THAT(response.body(), HasSubstr("bad_request"));
}

TEST(HttpServer, SendsContinueBeforeReadingBody) {
  auto server = HttpServer::Start(TestOptions(), Echo()).value();
  Client client(server->address());
  client.SendRaw(
      "POST /c HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
  auto interim = client.Read();
  EXPECT_EQ(interim.result_int(), 100);
  client.SendRaw("abc");
  EXPECT_EQ(client.Read().body(), "/c:abc");
}

// body_slack_bytes leaves spare capacity behind a body of known length, for
// the sources API to parse it in place; a chunked body gets none promised.
TEST(HttpServer, ReservesSlackBehindABodyOfKnownLength) {
  HttpServerOptions options = TestOptions();
  options.body_slack_bytes = 64;
  auto server = HttpServer::Start(options, [](HttpRequest request, Responder respond) {
                  const std::string& body = request.body();
                  respond(JsonResponse(std::to_string(body.capacity() - body.size())));
                }).value();
  Client client(server->address());
  for (size_t size : {1, 100, 5000, 100000}) {
    auto response = client.Request("POST", "/", std::string(size, 'x'));
    EXPECT_GE(std::stoul(response.body()), 64u) << size;
  }
}

TEST(HttpServer, DeliversResponseGivenLaterOnAnotherThread) {
  std::vector<std::thread> threads;
  std::mutex mu;
  auto server = HttpServer::Start(TestOptions(), [&](HttpRequest, Responder respond) {
                  std::lock_guard lock(mu);
                  threads.emplace_back([r = std::move(respond)]() mutable {
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
                    r(JsonResponse(R"({"late":true})"));
                  });
                }).value();
  Client client(server->address());
  EXPECT_EQ(client.Request("GET", "/").body(), R"({"late":true})");
  EXPECT_EQ(client.Request("GET", "/").body(), R"({"late":true})");
  for (auto& t : threads) t.join();
}

TEST(HttpServer, AnswersInternalErrorWhenHandlerDropsResponder) {
  auto server = HttpServer::Start(TestOptions(), [](HttpRequest, Responder) {}).value();
  Client client(server->address());
  auto response = client.Request("GET", "/");
  EXPECT_EQ(response.result_int(), 500);
  EXPECT_THAT(response.body(), HasSubstr("internal"));
}

TEST(HttpServer, RefusesConnectionsOverLimit) {
  HttpServerOptions options = TestOptions();
  options.max_connections = 1;
  auto server = HttpServer::Start(options, Echo()).value();
  Client first(server->address());
  EXPECT_EQ(first.Request("GET", "/").result_int(), 200);  // the first is registered
  Client second(server->address());
  auto response = second.Read();
  EXPECT_EQ(response.result_int(), 503);
  EXPECT_EQ(first.Request("GET", "/").result_int(), 200);
}

TEST(HttpServer, ClosesIdleConnections) {
  HttpServerOptions options = TestOptions();
  options.idle_timeout = std::chrono::milliseconds(100);
  auto server = HttpServer::Start(options, Echo()).value();
  Client client(server->address());
  EXPECT_EQ(client.Request("GET", "/").result_int(), 200);
  EXPECT_TRUE(client.ClosedByServer());  // blocks until the sweep closes it
}

TEST(HttpServer, RefusesAddressInUse) {
  auto server = HttpServer::Start(TestOptions(), Echo()).value();
  HttpServerOptions options = TestOptions();
  options.listen = server->address();
  auto second = HttpServer::Start(options, Echo());
  ASSERT_FALSE(second);
  EXPECT_THAT(second.error().message(), HasSubstr("in use"));
}

TEST(HttpServer, StopLetsRequestInFlightFinish) {
  std::promise<Responder> pending;
  auto server = HttpServer::Start(TestOptions(), [&](HttpRequest, Responder respond) {
                  pending.set_value(std::move(respond));
                }).value();
  Client client(server->address());
  client.SendRaw("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  Responder responder = pending.get_future().get();
  std::thread stopper([&] { server->Stop(std::chrono::seconds(10)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  responder(JsonResponse("{}"));
  auto response = client.Read();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_FALSE(response.keep_alive());
  stopper.join();
}

TEST(SplitHostPort, ParsesIpv4Ipv6AndRejectsGarbage) {
  EXPECT_EQ(SplitHostPort("127.0.0.1:8080").value(),
            std::make_pair(std::string("127.0.0.1"), uint16_t{8080}));
  EXPECT_EQ(SplitHostPort("[::1]:9").value(), std::make_pair(std::string("::1"), uint16_t{9}));
  for (std::string_view bad : {"", "8080", "host:", ":80", "h:99999", "h:8x", "::1:80", "[::1]"}) {
    EXPECT_FALSE(SplitHostPort(bad)) << bad;
  }
}

TEST(IsLoopbackHost, AcceptsOnlyLoopback) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.5.0.1"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_TRUE(IsLoopbackHost("::ffff:127.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("::"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("example.com"));
}

}  // namespace
}  // namespace eventlake::server
