// A lean HTTP/1.1 server on Boost.Beast, written the way DESIGN.md measured
// to be fast: one io_context per thread, each thread with its own acceptor on
// the same port (SO_REUSEPORT; one shared acceptor when the OS refuses), a
// 64 KiB read buffer per connection, no strands, no per-operation timeouts
// (one coarse timer per io_context closes connections idle longer than
// idle_timeout), keep-alive, and responses serialised by hand.
//
// Limits: bodies over max_body_bytes are answered 413, headers over 16 KiB
// 431, malformed requests 400 (problem+json, then the connection closes);
// connections beyond max_connections are answered 503 and closed.
//
// Handlers run on the connection's io thread and must not block it. A
// handler gets the request and a Responder that it must call exactly once,
// at once or later from any thread; the response is posted back to the
// connection's io_context. Requests of one connection are handled one at a
// time (the next is read after the response is written).
#pragma once

// <utility> before any Boost.Asio header: Boost 1.74 with g++ 12 misses it.
// clang-format off
#include <utility>
// clang-format on

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "core/status.h"
#include "server/http_message.h"
#include "server/http_stream.h"

namespace eventlake::server {

class HttpConnection;
class HttpListener;

struct HttpServerOptions {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free port
  unsigned threads = 1;                   // io threads (>= 1)
  uint64_t max_body_bytes = 16u << 20;
  uint32_t max_header_bytes = 16u << 10;
  std::chrono::milliseconds idle_timeout{60000};
  uint64_t max_connections = 10000;
  // Spare capacity reserved behind every request body whose length is
  // known, so that a handler can parse it in place (simdjson reads up to
  // 64 bytes past the end) instead of copying it.
  size_t body_slack_bytes = 0;
  MetricsRegistry* metrics = nullptr;  // optional: connection and refusal metrics
};

// Told when a response is sent: the HTTP status and the time since the
// request was read. Called on the connection's io thread; must be cheap.
class ResponseObserver {
 public:
  virtual ~ResponseObserver() = default;
  virtual void OnResponse(unsigned status, double seconds) = 0;
};

// The right and duty to answer one request. Move-only. Destroying a
// Responder that was never called answers 500 (a handler bug, logged).
class Responder {
 public:
  explicit Responder(std::shared_ptr<HttpConnection> connection);
  Responder(Responder&&) noexcept = default;
  Responder& operator=(Responder&&) noexcept;
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  ~Responder();

  // Sends the response. Call exactly once, from any thread.
  void Send(HttpResponse response);
  void operator()(HttpResponse response) { Send(std::move(response)); }
  // Instead of Send: an answer whose body comes in pieces from a thread
  // that may block (http_stream.h). `head` gives the status, content type
  // and header fields. Call once, from any thread; the writer answers.
  std::unique_ptr<StreamWriter> Stream(HttpResponse head, StreamOptions options = {});

  // The connection's io executor, for timers of handlers that wait (long polls).
  boost::asio::any_io_executor executor() const;
  // True once the server is stopping: waiting handlers should answer now.
  bool stopping() const;
  // Who to tell about the response (the router's per-route metrics). The
  // observer must outlive the server.
  void set_observer(ResponseObserver* observer);

 private:
  std::shared_ptr<HttpConnection> connection_;
};

using HttpHandler = std::function<void(HttpRequest request, Responder responder)>;

// State shared by the server and its connections. Internal.
struct HttpServerShared {
  HttpServerOptions options;
  HttpHandler handler;
  std::atomic<bool> stopping{false};
  std::atomic<bool> io_stopped{false};  // responses handed over now are dropped
  std::atomic<uint64_t> connections{0};
  std::atomic<uint64_t> in_flight{0};  // requests handed to the handler, not yet answered
  Gauge* connections_gauge = nullptr;
  Counter* rejected_connections = nullptr;
  // Requests refused before a handler saw them: 400, 413, 431.
  Counter* bad_requests = nullptr;
  Counter* bodies_too_large = nullptr;
  Counter* headers_too_large = nullptr;
};

class HttpServer {
 public:
  // Binds `options.listen` and starts the io threads.
  static Result<std::unique_ptr<HttpServer>> Start(HttpServerOptions options, HttpHandler handler);
  // Stop(), then frees the io contexts.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound address, "host:port" (with the real port when options asked for 0).
  const std::string& address() const { return address_; }
  uint64_t connection_count() const { return shared_->connections.load(); }

  // Graceful stop: stops accepting, lets requests in flight finish (up to
  // `grace`), closes every connection and joins the io threads. Responses
  // handed over later are dropped. Idempotent. Responders that outlive
  // Stop() must be destroyed before the HttpServer is.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

 private:
  HttpServer();
  std::unique_ptr<HttpServerShared> shared_;
  std::unique_ptr<HttpListener> listener_;
  std::string address_;
  bool stopped_ = false;
};

// Splits "host:port" (IPv6 as "[::1]:8080"); InvalidArgument when malformed.
Result<std::pair<std::string, uint16_t>> SplitHostPort(std::string_view address);
// True when `host` is a loopback address (127.0.0.0/8, ::1, "localhost").
bool IsLoopbackHost(std::string_view host);

}  // namespace eventlake::server
