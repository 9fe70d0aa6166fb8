// HttpServer's lifecycle and the Responder.
#include "server/http_server.h"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/status.hpp>
#include <charconv>
#include <thread>

#include "core/logging.h"
#include "server/http_connection.h"
#include "server/http_listener.h"
#include "server/problem.h"

namespace eventlake::server {

std::string_view ReasonPhrase(unsigned status) {
  auto known = boost::beast::http::int_to_status(status);
  if (known == boost::beast::http::status::unknown) return "Unknown";
  auto phrase = boost::beast::http::obsolete_reason(known);
  return std::string_view(phrase.data(), phrase.size());
}

// ---- Responder ----

Responder::Responder(std::shared_ptr<HttpConnection> connection)
    : connection_(std::move(connection)) {}

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    this->~Responder();
    new (this) Responder(std::move(other));
  }
  return *this;
}

Responder::~Responder() {
  if (connection_ == nullptr) return;
  if (!connection_->shared()->stopping.load()) {
    LogError("http", "a handler dropped its request without answering");
  }
  Send(ProblemResponse(Internal("the request was dropped without an answer")));
}

void Responder::Send(HttpResponse response) {
  if (connection_ == nullptr) {
    LogError("http", "a handler answered one request twice");
    return;
  }
  std::shared_ptr<HttpConnection> connection = std::move(connection_);
  connection_ = nullptr;
  HttpServerShared* shared = connection->shared();
  if (shared->io_stopped.load()) {  // the server has stopped: nobody will write it
    shared->in_flight.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  connection->PostResponse(std::move(response));
}

std::unique_ptr<StreamWriter> Responder::Stream(HttpResponse head, StreamOptions options) {
  std::shared_ptr<HttpConnection> connection = std::move(connection_);
  connection_ = nullptr;
  if (connection == nullptr) {
    LogError("http", "a handler answered one request twice");
  } else if (connection->shared()->io_stopped.load()) {
    connection->shared()->in_flight.fetch_sub(1, std::memory_order_relaxed);
    connection = nullptr;
  }
  return std::make_unique<StreamWriter>(std::move(connection), std::move(head), std::move(options));
}

boost::asio::any_io_executor Responder::executor() const { return connection_->executor(); }

bool Responder::stopping() const { return connection_->shared()->stopping.load(); }

void Responder::set_observer(ResponseObserver* observer) { connection_->set_observer(observer); }

// ---- HttpServer ----

HttpServer::HttpServer() : shared_(std::make_unique<HttpServerShared>()) {}

HttpServer::~HttpServer() { Stop(std::chrono::milliseconds(0)); }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                      HttpHandler handler) {
  std::unique_ptr<HttpServer> server(new HttpServer());
  HttpServerShared& shared = *server->shared_;
  shared.options = std::move(options);
  shared.handler = std::move(handler);
  if (MetricsRegistry* metrics = shared.options.metrics) {
    shared.connections_gauge =
        &metrics->GetGauge("eventlake_http_connections", "Open HTTP connections.");
    shared.rejected_connections =
        &metrics->GetCounter("eventlake_http_rejected_connections_total",
                             "HTTP connections refused because server.max_connections were open.");
    auto refused = [&](const char* reason) {
      return &metrics->GetCounter("eventlake_http_refused_requests_total",
                                  "HTTP requests refused before routing, by reason.",
                                  {{"reason", reason}});
    };
    shared.bad_requests = refused("malformed");
    shared.bodies_too_large = refused("body_too_large");
    shared.headers_too_large = refused("header_too_large");
  }
  EL_ASSIGN_OR_RETURN(server->listener_, HttpListener::Bind(&shared));
  server->address_ = server->listener_->address();
  server->listener_->Run();
  LogInfo("http", "listening",
          {{"address", server->address_},
           {"threads", std::max(1u, shared.options.threads)},
           {"reuse_port", server->listener_->reuse_port()}});
  return server;
}

namespace {

// Waits until `done()` or `deadline`, checking every 5 ms.
template <typename Done>
void WaitUntil(Done done, std::chrono::steady_clock::time_point deadline) {
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

void HttpServer::Stop(std::chrono::milliseconds grace) {
  if (stopped_ || listener_ == nullptr) return;
  stopped_ = true;
  shared_->stopping.store(true);
  listener_->StopAccepting();
  auto deadline = std::chrono::steady_clock::now() + grace;
  WaitUntil([&] { return shared_->in_flight.load() == 0; }, deadline);
  listener_->CloseConnections(/*all=*/false);  // those writing close once written
  WaitUntil([&] { return shared_->connections.load() == 0; },
            std::max(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(500)));
  listener_->CloseConnections(/*all=*/true);
  WaitUntil([&] { return shared_->connections.load() == 0; },
            std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
  listener_->Join();
  if (shared_->in_flight.load() != 0) {
    LogWarn("http", "stopped with requests unanswered", {{"requests", shared_->in_flight.load()}});
  }
}

// ---- Addresses ----

Result<std::pair<std::string, uint16_t>> SplitHostPort(std::string_view address) {
  std::string_view host;
  std::string_view port;
  if (address.starts_with('[')) {
    size_t close = address.find("]:");
    if (close == std::string_view::npos) {
      return Err(InvalidArgument("address '" + std::string(address) + "' must be [ipv6]:port"));
    }
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    size_t colon = address.rfind(':');
    if (colon == std::string_view::npos || address.find(':') != colon) {
      return Err(InvalidArgument("address '" + std::string(address) +
                                 "' must be host:port (IPv6 as [::1]:port)"));
    }
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (host.empty() || port.empty() || ec != std::errc() || end != port.data() + port.size() ||
      value > 65535) {
    return Err(InvalidArgument("address '" + std::string(address) +
                               "' needs a host and a port from 0 to 65535"));
  }
  return std::pair<std::string, uint16_t>(std::string(host), static_cast<uint16_t>(value));
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(std::string(host), ec);
  if (ec) return false;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6())
        .is_loopback();
  }
  return address.is_loopback();
}

}  // namespace eventlake::server
