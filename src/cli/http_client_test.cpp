// Tests of the CLI's HTTP client: URL parsing and problem+json mapping
// without a network, then keep-alive, reconnects, refused connections,
// deadlines and interruption against a tiny raw-socket server on loopback.
#include "cli/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace eventlake::cli {
namespace {

TEST(ParseServerUrl, AcceptsHostAndPortWithOrWithoutScheme) {
  auto a = ParseServerUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8080);
  EXPECT_EQ(a->path_prefix, "");
  auto b = ParseServerUrl("localhost:9000/");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->host, "localhost");
  EXPECT_EQ(b->port, 9000);
  EXPECT_EQ(b->ToString(), "http://localhost:9000");
}

TEST(ParseServerUrl, DefaultsToPort80AndKeepsPathPrefix) {
  auto a = ParseServerUrl("http://lake.internal/eventlake/");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->port, 80);
  EXPECT_EQ(a->path_prefix, "/eventlake");
}

TEST(ParseServerUrl, AcceptsBracketedIpv6) {
  auto a = ParseServerUrl("http://[::1]:8080");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->ToString(), "http://[::1]:8080");
}

TEST(ParseServerUrl, RejectsHttpsBadPortsAndEmptyHosts) {
  for (const char* url : {"https://x:1", "ftp://x", "http://:8080", "http://x:0", "http://x:70000",
                          "http://x:8o", "http://x:", "http://[::1", "::1:8080", "http://x/?a"}) {
    auto a = ParseServerUrl(url);
    ASSERT_FALSE(a.has_value()) << url;
    EXPECT_EQ(a.error().code(), StatusCode::kInvalidArgument) << url;
  }
}

TEST(UrlEncode, EscapesReservedCharacters) {
  EXPECT_EQ(UrlEncode("2026-11-25T02:06:55+01:00"), "2026-11-25T02%3A06%3A55%2B01%3A00");
  EXPECT_EQ(UrlEncode("a b/c~_.-"), "a%20b%2Fc~_.-");
}

TEST(StatusFromHttpError, UsesProblemTypeAndDetail) {
  Status s = StatusFromHttpError(
      409, "application/problem+json",
      R"({"type":"https://eventlake.dev/problems/already_exists","title":"Conflict",)"
      R"("status":409,"detail":"stream 'x' exists"})");
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(s.message(), "stream 'x' exists");
}

TEST(StatusFromHttpError, FallsBackToHttpStatusWhenTypeIsUnknown) {
  Status s = StatusFromHttpError(429, "application/problem+json",
                                 R"({"type":"about:blank","title":"Too Many Requests"})");
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(), "Too Many Requests");
  EXPECT_EQ(StatusFromHttpError(400, "", "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusFromHttpError(404, "", "").code(), StatusCode::kNotFound);
  EXPECT_EQ(StatusFromHttpError(409, "", "").code(), StatusCode::kConflict);
  EXPECT_EQ(StatusFromHttpError(503, "", "").code(), StatusCode::kUnavailable);
  EXPECT_EQ(StatusFromHttpError(500, "", "").code(), StatusCode::kInternal);
  EXPECT_EQ(StatusFromHttpError(418, "", "").code(), StatusCode::kIOError);
}

TEST(StatusFromHttpError, NonJsonBodyGivesItsFirstLineOrTheStatus) {
  EXPECT_EQ(StatusFromHttpError(502, "text/html", "Bad gateway\n<html>").message(), "Bad gateway");
  EXPECT_EQ(StatusFromHttpError(500, "application/json", "{broken").message(), "{broken");
  EXPECT_EQ(StatusFromHttpError(500, "", "").message(), "the server answered HTTP 500");
}

// A one-connection-at-a-time HTTP server on 127.0.0.1 with canned answers.
// The handler returns the raw response for a request ("" to never answer)
// and may ask for the connection to be closed after it.
class TestServer {
 public:
  using Handler = std::function<std::string(const std::string& request, bool* close)>;

  explicit TestServer(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(listen(listen_fd_, 8), 0);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TestServer() {
    shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    close(listen_fd_);
  }
  uint16_t port() const { return port_; }
  int accepted() const { return accepted_; }
  ServerAddress address() const { return *ParseServerUrl("127.0.0.1:" + std::to_string(port_)); }

 private:
  void Serve() {
    for (;;) {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      ++accepted_;
      ServeConnection(fd);
      close(fd);
    }
  }
  // Requests here have no body (GET) or a Content-Length body that fits in one read.
  void ServeConnection(int fd) {
    char buffer[65536];
    for (;;) {
      ssize_t n = read(fd, buffer, sizeof buffer);
      if (n <= 0) return;
      bool close_after = false;
      std::string response = handler_(std::string(buffer, n), &close_after);
      if (!response.empty() && write(fd, response.data(), response.size()) < 0) return;
      if (close_after) return;
    }
  }

  Handler handler_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

std::string Answer(int status, std::string_view content_type, std::string_view body) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + std::string(content_type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

TEST(HttpClient, ReusesTheKeepAliveConnection) {
  TestServer server([](const std::string& request, bool*) {
    return Answer(200, "application/json", request.starts_with("GET /a ") ? "1" : "2");
  });
  HttpClient client(server.address());
  auto a = client.Get("/a");
  auto b = client.Get("/b");
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  ASSERT_TRUE(b.has_value()) << b.error().ToString();
  EXPECT_EQ(a->body, "1");
  EXPECT_EQ(b->body, "2");
  EXPECT_EQ(client.connections_opened(), 1u);
  EXPECT_EQ(server.accepted(), 1);
}

TEST(HttpClient, ReconnectsWhenTheServerClosedAnIdleConnection) {
  TestServer server([](const std::string&, bool* close) {
    *close = true;  // closes without saying "Connection: close", as an idle sweep would
    return Answer(200, "application/json", "{}");
  });
  HttpClient client(server.address());
  ASSERT_TRUE(client.Get("/a").has_value());
  auto b = client.Get("/b");
  ASSERT_TRUE(b.has_value()) << b.error().ToString();
  EXPECT_EQ(client.connections_opened(), 2u);
}

TEST(HttpClient, PostSendsBodyAndProblemBecomesStatus) {
  std::string seen;
  TestServer server([&](const std::string& request, bool*) {
    seen = request;
    return Answer(400, "application/problem+json",
                  R"({"type":"https://eventlake.dev/problems/invalid_argument",)"
                  R"("title":"Bad Request","status":400,"detail":"partitions: must be >= 1"})");
  });
  HttpClient client(server.address());
  auto r = client.Post("/v1/streams", R"({"name":"x"})");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.error().message(), "partitions: must be >= 1");
  EXPECT_NE(seen.find("POST /v1/streams HTTP/1.1\r\n"), std::string::npos);
  EXPECT_NE(seen.find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_TRUE(seen.ends_with(R"({"name":"x"})"));
}

TEST(HttpClient, ConnectionRefusedAsksWhetherTheServerRuns) {
  uint16_t port;
  {
    TestServer closed([](const std::string&, bool*) { return std::string(); });
    port = closed.port();
  }
  HttpClient client(*ParseServerUrl("http://127.0.0.1:" + std::to_string(port)));
  auto r = client.Get("/healthz");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.error().message(), "cannot reach eventlake at http://127.0.0.1:" +
                                     std::to_string(port) + ": is `eventlake serve` running?");
}

TEST(HttpClient, GivesUpWhenTheServerNeverAnswers) {
  TestServer server([](const std::string&, bool*) { return std::string(); });
  HttpClientOptions options;
  options.request_timeout = std::chrono::milliseconds(200);
  HttpClient client(server.address(), options);
  auto r = client.Get("/v1/streams");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kDeadlineExceeded) << r.error().ToString();
}

TEST(HttpClient, CancelFlagAbandonsTheRequest) {
  TestServer server([](const std::string&, bool*) { return std::string(); });
  std::atomic<bool> cancel{true};
  HttpClientOptions options;
  options.cancel = &cancel;
  HttpClient client(server.address(), options);
  auto r = client.Get("/v1/streams/x/records?wait_ms=30000");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), "interrupted");
}

}  // namespace
}  // namespace eventlake::cli
