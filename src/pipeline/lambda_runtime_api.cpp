// The Runtime API's HTTP side: one Beast connection at a time per request
// (a runtime client keeps one or two keep-alive connections), a parked
// GET /next answered when its invocation arrives. Everything here runs on
// the server's io thread; Deliver and Close post there.
#include "pipeline/lambda_runtime_api.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <deque>
#include <optional>
#include <unordered_set>

namespace eventlake::pipeline {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;

constexpr std::string_view kPrefix = "/2018-06-01/runtime/";
constexpr std::string_view kNext = "invocation/next";
constexpr std::string_view kInitError = "init/error";
constexpr std::string_view kInvocation = "invocation/";
constexpr size_t kReadBufferBytes = 64u << 10;
// Per instance: a runtime client keeps one or two.
constexpr size_t kMaxConnections = 16;

int64_t EpochMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using Response = http::response<http::string_body>;

Response JsonAnswer(unsigned status, std::string body) {
  Response r{static_cast<http::status>(status), 11};
  r.set(http::field::content_type, "application/json");
  r.body() = std::move(body);
  return r;
}

Response ErrorAnswer(unsigned status, std::string_view type, std::string_view message) {
  // Types and messages are our constants: no escaping needed.
  return JsonAnswer(status, std::string(R"({"errorType":")") + std::string(type) +
                                R"(","errorMessage":")" + std::string(message) + "\"}");
}

// What a request's target names.
struct Route {
  enum Kind { kUnknown, kNext, kReport } kind = kUnknown;
  RuntimeReport::Kind report = RuntimeReport::Kind::kResponse;
  std::string request_id;
};

Route ParseTarget(boost::beast::string_view full) {
  std::string_view target(full.data(), full.size());
  Route route;
  if (!target.starts_with(kPrefix)) return route;
  target.remove_prefix(kPrefix.size());
  if (target == kNext) {
    route.kind = Route::kNext;
  } else if (target == kInitError) {
    route.kind = Route::kReport;
    route.report = RuntimeReport::Kind::kInitError;
  } else if (target.starts_with(kInvocation)) {
    target.remove_prefix(kInvocation.size());
    const size_t slash = target.find('/');
    if (slash == std::string_view::npos || slash == 0) return route;
    const std::string_view what = target.substr(slash + 1);
    if (what != "response" && what != "error") return route;
    route.kind = Route::kReport;
    route.report =
        what == "response" ? RuntimeReport::Kind::kResponse : RuntimeReport::Kind::kError;
    route.request_id = std::string(target.substr(0, slash));
  }
  return route;
}

class Endpoint;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<Endpoint> endpoint, const RuntimeApiLimits& limits)
      : socket_(std::move(socket)), endpoint_(std::move(endpoint)), limits_(limits) {
    buffer_.reserve(kReadBufferBytes);
  }
  void Read();
  void Write(Response response);
  void Close() {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }
  bool open() const { return socket_.is_open(); }

 private:
  void OnRead(error_code ec);
  void Handle(http::request<http::string_body> request);

  tcp::socket socket_;
  std::shared_ptr<Endpoint> endpoint_;  // released on close (the endpoint drops its set)
  const RuntimeApiLimits& limits_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response out_;
  bool keep_alive_ = true;
};

class Endpoint : public RuntimeEndpoint, public std::enable_shared_from_this<Endpoint> {
 public:
  Endpoint(RuntimeApiServer* server, std::shared_ptr<RuntimeObserver> observer,
           tcp::acceptor acceptor)
      : server_(server), observer_(std::move(observer)), acceptor_(std::move(acceptor)) {
    address_ = "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }

  const std::string& address() const override { return address_; }

  void Deliver(RuntimeInvocation invocation) override {
    asio::post(server_->context(),
               [self = shared_from_this(), inv = std::move(invocation)]() mutable {
                 self->queue_.push_back(std::move(inv));
                 self->Serve();
               });
  }

  void Close() override {
    asio::post(server_->context(), [self = shared_from_this()] { self->CloseNow(); });
  }

  void Accept() {
    acceptor_.async_accept([self = shared_from_this()](error_code ec, tcp::socket socket) {
      if (ec || self->closed_) return;
      if (self->connections_.size() >= kMaxConnections) {
        socket.close(ec);  // an instance has no use for more; each costs a read buffer
        return self->Accept();
      }
      socket.set_option(tcp::no_delay(true), ec);
      auto connection =
          std::make_shared<Connection>(std::move(socket), self, self->server_->limits());
      self->connections_.insert(connection);
      connection->Read();
      self->Accept();
    });
  }

  // GET /next: parks the connection until an invocation is queued.
  void Next(std::shared_ptr<Connection> connection) {
    if (!first_next_seen_) {
      first_next_seen_ = true;
      if (observer_) observer_->OnFirstNext();
    }
    parked_.push_back(std::move(connection));
    Serve();
  }

  Response Report(RuntimeReport report) {
    if (report.kind != RuntimeReport::Kind::kInitError) {
      if (outstanding_.erase(report.request_id) == 0) {
        return ErrorAnswer(400, "InvalidRequestID",
                           "no outstanding invocation has this request id");
      }
    }
    if (observer_) observer_->OnReport(std::move(report));
    return JsonAnswer(202, R"({"status":"OK"})");
  }

  void Forget(const std::shared_ptr<Connection>& connection) { connections_.erase(connection); }

 private:
  // Answers parked /next requests with queued invocations.
  void Serve() {
    while (!closed_ && !queue_.empty() && !parked_.empty()) {
      std::shared_ptr<Connection> connection = std::move(parked_.front());
      parked_.pop_front();
      if (!connection->open()) continue;  // the runtime went away while waiting
      RuntimeInvocation& inv = queue_.front();
      Response r = JsonAnswer(200, std::move(inv.payload));
      r.set("Lambda-Runtime-Aws-Request-Id", inv.request_id);
      r.set("Lambda-Runtime-Deadline-Ms", std::to_string(EpochMillis() + inv.timeout.count()));
      r.set("Lambda-Runtime-Invoked-Function-Arn", inv.function_arn);
      if (!inv.trace_id.empty()) r.set("Lambda-Runtime-Trace-Id", inv.trace_id);
      outstanding_.insert(std::move(inv.request_id));
      queue_.pop_front();
      connection->Write(std::move(r));
    }
  }

  void CloseNow() {
    if (closed_) return;
    closed_ = true;
    error_code ignored;
    acceptor_.close(ignored);
    for (const auto& c : connections_) c->Close();
    connections_.clear();
    parked_.clear();
    queue_.clear();
    observer_.reset();
  }

  RuntimeApiServer* server_;
  std::shared_ptr<RuntimeObserver> observer_;
  tcp::acceptor acceptor_;
  std::string address_;
  bool closed_ = false;
  bool first_next_seen_ = false;
  std::unordered_set<std::shared_ptr<Connection>> connections_;
  std::deque<std::shared_ptr<Connection>> parked_;
  std::deque<RuntimeInvocation> queue_;
  std::unordered_set<std::string> outstanding_;  // delivered, not yet answered
};

void Connection::Read() {
  parser_.emplace();
  parser_->body_limit(limits_.max_body_bytes);
  parser_->header_limit(static_cast<uint32_t>(limits_.max_header_bytes));
  http::async_read(socket_, buffer_, *parser_,
                   [self = shared_from_this()](error_code ec, size_t) { self->OnRead(ec); });
}

void Connection::OnRead(error_code ec) {
  // parser_ is set by Read, which started this operation.
  if (!ec) return Handle(parser_->release());  // NOLINT(bugprone-unchecked-optional-access)
  keep_alive_ = false;
  if (ec == http::error::body_limit) {
    // As Lambda: an answer too large to take fails its invocation at once.
    Route route =
        ParseTarget(parser_->get().target());  // NOLINT(bugprone-unchecked-optional-access)
    if (route.kind == Route::kReport && route.report != RuntimeReport::Kind::kInitError) {
      endpoint_->Report(
          {.kind = RuntimeReport::Kind::kError,
           .request_id = std::move(route.request_id),
           .body = R"({"errorMessage":"the function's answer is larger than the Runtime API's )"
                   R"(limit","errorType":"Function.ResponseSizeTooLarge"})",
           .error_type = "Function.ResponseSizeTooLarge"});
    }
    return Write(
        ErrorAnswer(413, "RequestEntityTooLarge", "the request body is larger than the limit"));
  }
  if (ec == http::error::header_limit) {
    return Write(
        ErrorAnswer(431, "RequestHeaderFieldsTooLarge", "the request header is too large"));
  }
  if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message) {
    return Write(ErrorAnswer(400, "InvalidRequest", "malformed HTTP request"));
  }
  Close();
  endpoint_->Forget(shared_from_this());
}

void Connection::Handle(http::request<http::string_body> request) {
  keep_alive_ = request.keep_alive();
  Route route = ParseTarget(request.target());
  const http::verb wanted = route.kind == Route::kNext ? http::verb::get : http::verb::post;
  if (route.kind == Route::kUnknown) return Write(ErrorAnswer(404, "NotFound", "unknown path"));
  if (request.method() != wanted) {
    return Write(
        ErrorAnswer(405, "MethodNotAllowed", wanted == http::verb::get ? "use GET" : "use POST"));
  }
  if (route.kind == Route::kNext) return endpoint_->Next(shared_from_this());
  RuntimeReport report;
  report.kind = route.report;
  report.request_id = std::move(route.request_id);
  if (auto it = request.find("Lambda-Runtime-Function-Error-Type"); it != request.end()) {
    report.error_type = std::string(it->value());
  }
  report.body = std::move(request.body());
  Write(endpoint_->Report(std::move(report)));
}

void Connection::Write(Response response) {
  out_ = std::move(response);
  out_.keep_alive(keep_alive_);
  out_.prepare_payload();
  http::async_write(socket_, out_, [self = shared_from_this()](error_code ec, size_t) {
    if (!ec && self->keep_alive_) return self->Read();
    self->Close();
    self->endpoint_->Forget(self);
  });
}

}  // namespace

Result<std::unique_ptr<RuntimeApiServer>> RuntimeApiServer::Start(RuntimeApiLimits limits) {
  std::unique_ptr<RuntimeApiServer> server(new RuntimeApiServer(limits));
  server->thread_ = std::thread([s = server.get()] { s->context_.run(); });
  return server;
}

RuntimeApiServer::~RuntimeApiServer() { Shutdown(); }

void RuntimeApiServer::Shutdown() {
  if (!thread_.joinable()) return;
  // Closing breaks the endpoint <-> connection cycles; the aborted
  // operations' handlers run before the stop, which is posted behind them.
  asio::post(context_, [this] {
    std::lock_guard lock(mu_);
    for (const auto& weak : endpoints_) {
      if (auto endpoint = weak.lock()) endpoint->Close();
    }
    asio::post(context_, [this] { asio::post(context_, [this] { context_.stop(); }); });
  });
  guard_.reset();
  thread_.join();
}

Result<std::shared_ptr<RuntimeEndpoint>> RuntimeApiServer::Open(
    std::shared_ptr<RuntimeObserver> observer) {
  error_code ec;
  tcp::acceptor acceptor(context_);
  const tcp::endpoint local(asio::ip::address_v4::loopback(), 0);
  if (acceptor.open(local.protocol(), ec); !ec) acceptor.bind(local, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Err(IOError("binding the Runtime API on 127.0.0.1: " + ec.message()));
  auto endpoint = std::make_shared<Endpoint>(this, std::move(observer), std::move(acceptor));
  {
    std::lock_guard lock(mu_);
    std::erase_if(endpoints_, [](const auto& weak) { return weak.expired(); });
    endpoints_.push_back(endpoint);
  }
  asio::post(context_, [endpoint] { endpoint->Accept(); });
  return endpoint;
}

}  // namespace eventlake::pipeline
