// The io threads, the acceptors and the idle sweep.
#include "server/http_listener.h"

#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>

#include "core/logging.h"
#include "server/problem.h"

namespace eventlake::server {
namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

Result<tcp::endpoint> ResolveListen(const std::string& listen) {
  EL_ASSIGN_OR_RETURN(auto host_port, SplitHostPort(listen));
  auto [host, port] = host_port;
  if (host == "localhost") host = "127.0.0.1";
  error_code ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) {
    return Err(InvalidArgument("listen address '" + listen +
                               "': the host must be an IP address or localhost"));
  }
  return tcp::endpoint(address, port);
}

Status BindError(const tcp::endpoint& endpoint, const error_code& ec) {
  std::string where = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  if (ec == asio::error::address_in_use)
    return Unavailable("cannot listen on " + where + ": address already in use");
  return IOError("cannot listen on " + where + ": " + ec.message());
}

// Opens, binds and listens; `reuse_port` sets SO_REUSEPORT first.
Result<std::unique_ptr<tcp::acceptor>> OpenAcceptor(asio::io_context& context,
                                                    const tcp::endpoint& endpoint,
                                                    bool reuse_port) {
  auto acceptor = std::make_unique<tcp::acceptor>(context);
  error_code ec;
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && reuse_port) acceptor->set_option(ReusePort(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Err(BindError(endpoint, ec));
  return acceptor;
}

}  // namespace

// ---- IoWorker ----

IoWorker::IoWorker(HttpServerShared* shared) : shared_(shared) {}

void IoWorker::Add(HttpConnection* connection) {
  std::lock_guard lock(mu_);
  connections_.insert(connection);
  shared_->connections.fetch_add(1, std::memory_order_relaxed);
  if (shared_->connections_gauge != nullptr) shared_->connections_gauge->Add(1);
}

void IoWorker::Remove(HttpConnection* connection) {
  std::lock_guard lock(mu_);
  if (connections_.erase(connection) == 0) return;
  shared_->connections.fetch_sub(1, std::memory_order_relaxed);
  if (shared_->connections_gauge != nullptr) shared_->connections_gauge->Add(-1);
}

void IoWorker::StartSweep() {
  auto interval = std::clamp<std::chrono::milliseconds>(shared_->options.idle_timeout / 4,
                                                        std::chrono::milliseconds(100),
                                                        std::chrono::milliseconds(1000));
  sweep_timer_.expires_after(interval);
  sweep_timer_.async_wait([this](error_code ec) {
    if (ec) return;
    Sweep();
    StartSweep();
  });
}

void IoWorker::Sweep() {
  int64_t now = NowNanos();
  std::vector<std::shared_ptr<HttpConnection>> expired;
  {
    std::lock_guard lock(mu_);
    for (HttpConnection* c : connections_) {
      if (!c->ExpiredAt(now)) continue;
      if (auto alive = c->weak_from_this().lock()) expired.push_back(std::move(alive));
    }
  }
  for (auto& c : expired) c->Close();
}

void IoWorker::CloseConnections(bool all) {
  std::vector<std::shared_ptr<HttpConnection>> closing;
  {
    std::lock_guard lock(mu_);
    for (HttpConnection* c : connections_) {
      if (!all && c->handling()) continue;
      if (auto alive = c->weak_from_this().lock()) closing.push_back(std::move(alive));
    }
  }
  for (auto& c : closing) c->Close();
  if (all) sweep_timer_.cancel();
}

// ---- HttpListener ----

HttpListener::HttpListener(HttpServerShared* shared) : shared_(shared) {}

HttpListener::~HttpListener() { Join(); }

Result<std::unique_ptr<HttpListener>> HttpListener::Bind(HttpServerShared* shared) {
  std::unique_ptr<HttpListener> listener(new HttpListener(shared));
  unsigned threads = std::max(1u, shared->options.threads);
  for (unsigned i = 0; i < threads; ++i) {
    listener->workers_.push_back(std::make_unique<IoWorker>(shared));
  }
  EL_ASSIGN_OR_RETURN(tcp::endpoint endpoint, ResolveListen(shared->options.listen));
  EL_RETURN_IF_ERROR(listener->BindAll(endpoint));
  return listener;
}

Status HttpListener::BindAll(const tcp::endpoint& requested) {
  // A probe without SO_REUSEPORT fails while anyone listens on the port, so a
  // second server on the same port is refused instead of sharing its traffic.
  tcp::endpoint endpoint = requested;
  {
    EL_ASSIGN_OR_RETURN(auto probe, OpenAcceptor(workers_[0]->context(), endpoint, false));
    endpoint.port(probe->local_endpoint().port());
  }
  for (size_t i = 0; i < workers_.size(); ++i) {
    auto acceptor = OpenAcceptor(workers_[i]->context(), endpoint, /*reuse_port=*/true);
    if (!acceptor && i == 0) {  // no SO_REUSEPORT here: one plain acceptor
      EL_ASSIGN_OR_RETURN(auto plain, OpenAcceptor(workers_[0]->context(), endpoint, false));
      acceptors_.push_back({std::move(plain), 0, nullptr});
      break;
    }
    if (!acceptor) {
      LogWarn("http", "SO_REUSEPORT refused; one acceptor serves every thread",
              {{"error", acceptor.error().message()}});
      acceptors_.resize(1);
      break;
    }
    acceptors_.push_back({std::move(*acceptor), i, nullptr});
  }
  for (Acceptor& a : acceptors_) {
    a.retry = std::make_unique<asio::steady_timer>(workers_[a.worker]->context());
  }
  address_ = (endpoint.address().is_v6() ? "[" + endpoint.address().to_string() + "]"
                                         : endpoint.address().to_string()) +
             ":" + std::to_string(endpoint.port());
  return Status::Ok();
}

void HttpListener::Run() {
  for (auto& worker : workers_) guards_.push_back(asio::make_work_guard(worker->context()));
  for (auto& worker : workers_) {
    asio::post(worker->context(), [w = worker.get()] { w->StartSweep(); });
  }
  for (Acceptor& a : acceptors_) {
    asio::post(workers_[a.worker]->context(), [this, a = &a] { Accept(a); });
  }
  for (auto& worker : workers_) {
    threads_.emplace_back([w = worker.get()] { w->context().run(); });
  }
}

void HttpListener::Accept(Acceptor* acceptor) {
  IoWorker* target = workers_[acceptor->worker].get();
  if (acceptors_.size() == 1) target = workers_[next_worker_++ % workers_.size()].get();
  acceptor->socket->async_accept(target->context(),
                                 [this, acceptor, target](error_code ec, tcp::socket socket) {
                                   OnAccept(acceptor, ec, std::move(socket), target);
                                 });
}

void HttpListener::OnAccept(Acceptor* acceptor, error_code ec, tcp::socket socket,
                            IoWorker* target) {
  if (ec == asio::error::operation_aborted || shared_->stopping.load()) return;
  if (ec) {  // out of descriptors or the like: back off instead of spinning
    LogWarn("http", "accept failed", {{"error", ec.message()}});
    acceptor->retry->expires_after(std::chrono::milliseconds(100));
    acceptor->retry->async_wait([this, acceptor](error_code e) {
      if (!e) Accept(acceptor);
    });
    return;
  }
  if (shared_->connections.load(std::memory_order_relaxed) >= shared_->options.max_connections) {
    Reject(std::move(socket));
  } else {
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto connection = std::make_shared<HttpConnection>(std::move(socket), target);
    if (target == workers_[acceptor->worker].get()) {
      connection->Start();
    } else {
      asio::post(target->context(), [connection] { connection->Start(); });
    }
  }
  Accept(acceptor);
}

void HttpListener::Reject(tcp::socket socket) {
  if (shared_->rejected_connections != nullptr) shared_->rejected_connections->Increment();
  HttpResponse problem =
      ProblemResponse(503, "unavailable", "too many connections (server.max_connections)");
  std::string text =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\n"
      "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
      std::to_string(problem.body.size()) + "\r\n\r\n" + problem.body;
  error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(asio::buffer(text), ignored);  // best effort: never block the acceptor
  socket.close(ignored);
}

void HttpListener::StopAccepting() {
  for (Acceptor& a : acceptors_) {
    asio::post(workers_[a.worker]->context(), [a = &a] {
      error_code ignored;
      a->socket->close(ignored);
      a->retry->cancel();
    });
  }
}

void HttpListener::CloseConnections(bool all) {
  for (auto& worker : workers_) {
    asio::post(worker->context(), [w = worker.get(), all] { w->CloseConnections(all); });
  }
}

void HttpListener::Join() {
  if (threads_.empty()) return;
  shared_->io_stopped.store(true);
  guards_.clear();
  for (auto& worker : workers_) worker->context().stop();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

}  // namespace eventlake::server
