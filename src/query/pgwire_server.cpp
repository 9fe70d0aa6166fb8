// PgServer: POSIX sockets, an accept thread and a thread per connection.
#include "query/pgwire_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "core/logging.h"
#include "query/pgwire_session.h"

namespace eventlake::query {
namespace {

bool IsLoopback(const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) return in6->sin6_addr.s6_addr[12] == 127;
  }
  return false;
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<PgServer>> PgServer::Start(PgServerOptions options) {
  if (options.engine == nullptr) return Err(InvalidArgument("the Postgres listener needs the query engine"));
  const size_t colon = options.listen.rfind(':');
  if (colon == std::string::npos) return Err(InvalidArgument("pg_listen: expected host:port"));
  std::string host = options.listen.substr(0, colon);
  const std::string port = options.listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return Err(InvalidArgument("pg_listen " + options.listen + ": " + gai_strerror(rc)));
  }
  auto server = std::unique_ptr<PgServer>(new PgServer(std::move(options)));
  if (server->options_.tls_cert_file.empty() != server->options_.tls_key_file.empty()) {
    ::freeaddrinfo(found);
    return Err(InvalidArgument("pg_tls_cert and pg_tls_key go together"));
  }
  if (!server->options_.tls_cert_file.empty()) {
    auto tls = TlsContext::Load(server->options_.tls_cert_file, server->options_.tls_key_file);
    if (!tls.has_value()) {
      ::freeaddrinfo(found);
      return Err(tls.error());
    }
    server->tls_ = std::move(*tls);
    if (server->tls_->server_end_point().empty()) {
      LogWarn("pgwire", "SCRAM-SHA-256-PLUS is not offered: the signature algorithm of pg_tls_cert names no "
                        "hash for tls-server-end-point (RFC 5929)", {{"cert", server->options_.tls_cert_file}});
    }
  }
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ::freeaddrinfo(found);
    return Err(ErrnoError("socket", errno));
  }
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, found->ai_addr, found->ai_addrlen) != 0 || ::listen(fd, 128) != 0) {
    const int e = errno;
    ::close(fd);
    ::freeaddrinfo(found);
    return Err(ErrnoError("listening on " + server->options_.listen + " (pg_listen)", e));
  }
  ::freeaddrinfo(found);
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  char text[INET6_ADDRSTRLEN] = {};
  uint16_t bound_port = 0;
  if (bound.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&bound);
    ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    bound_port = ntohs(in->sin_port);
    server->address_ = std::string(text) + ":" + std::to_string(bound_port);
  } else {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&bound);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    bound_port = ntohs(in6->sin6_port);
    server->address_ = "[" + std::string(text) + "]:" + std::to_string(bound_port);
  }
  server->listen_fd_ = fd;
  if (MetricsRegistry* m = server->options_.metrics) {
    server->accepted_ = &m->GetCounter("eventlake_pg_connections_total", "Postgres connections accepted.");
    server->open_ = &m->GetGauge("eventlake_pg_connections_open", "Postgres connections open.");
    server->tls_handshakes_ = &m->GetCounter("eventlake_pg_tls_connections_total",
                                             "Postgres connections that switched to TLS.");
    server->scram_logins_ = &m->GetCounter("eventlake_pg_logins_total", "Postgres logins with an API key.",
                                           {{"method", "scram-sha-256"}});
    server->scram_plus_logins_ = &m->GetCounter("eventlake_pg_logins_total", "Postgres logins with an API key.",
                                                {{"method", "scram-sha-256-plus"}});
    server->cleartext_logins_ = &m->GetCounter("eventlake_pg_logins_total", "Postgres logins with an API key.",
                                               {{"method", "cleartext"}});
  }
  server->acceptor_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  LogInfo("pgwire", "listening", {{"address", server->address_}, {"tls", server->tls_ != nullptr}});
  return server;
}

PgServer::~PgServer() { Stop(); }

void PgServer::Stop() {
  if (stopping_.exchange(true)) return;
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  std::unordered_map<uint64_t, std::thread> threads;
  std::vector<std::thread> finished;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, fd] : connections_) ::shutdown(fd, SHUT_RDWR);
    threads.swap(threads_);
    finished.swap(finished_);
  }
  for (auto& [id, t] : threads) t.join();
  for (auto& t : finished) t.join();
}

void PgServer::AcceptLoop() {
  while (!stopping_) {
    pollfd p{.fd = listen_fd_, .events = POLLIN, .revents = 0};
    const int ready = ::poll(&p, 1, 200);
    if (ready <= 0) continue;
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lock(mu_);
    for (auto& t : finished_) t.join();
    finished_.clear();
    if (connections_.size() >= options_.max_connections) {
      PgWriter w;
      w.Error("53300", "sorry, too many clients already");
      SendAll(fd, w.buffer());
      ::close(fd);
      continue;
    }
    const uint64_t id = next_id_++;
    connections_[id] = fd;
    if (accepted_ != nullptr) {
      accepted_->Increment();
      open_->Add(1);
    }
    threads_[id] = std::thread([this, fd, loopback = IsLoopback(peer), id] { Serve(fd, loopback, id); });
  }
}

void PgServer::Serve(int fd, bool loopback, uint64_t id) {
  std::random_device random;
  PgSession session({.engine = options_.engine,
                     .access = options_.access,
                     .peer_is_loopback = loopback,
                     .tls_available = tls_ != nullptr,
                     .scram_logins = scram_logins_,
                     .scram_plus_logins = scram_plus_logins_,
                     .cleartext_logins = cleartext_logins_,
                     .process_id = static_cast<int32_t>(id & 0x7FFFFFFF),
                     .secret = static_cast<int32_t>(random())});
  char buffer[64 * 1024];
  std::string out;
  std::unique_ptr<TlsConnection> tls;
  while (!stopping_) {
    const ssize_t n = tls != nullptr ? tls->Read(buffer, sizeof buffer) : ::recv(fd, buffer, sizeof buffer, 0);
    if (n == 0) break;
    if (n < 0) {
      if (tls == nullptr && errno == EINTR) continue;
      break;
    }
    out.clear();
    const bool open = session.Feed(std::string_view(buffer, static_cast<size_t>(n)), &out);
    if (!out.empty() && !(tls != nullptr ? tls->WriteAll(out) : SendAll(fd, out))) break;
    if (!open) break;
    if (session.StartTls()) {
      auto accepted = TlsConnection::Accept(*tls_, fd);
      if (!accepted.has_value()) {
        LogWarn("pgwire", "a TLS handshake failed", {{"error", accepted.error().message()}});
        break;
      }
      tls = std::move(*accepted);
      session.Encrypted(tls_->server_end_point());
      if (tls_handshakes_ != nullptr) tls_handshakes_->Increment();
    }
  }
  tls.reset();  // close_notify before the socket closes
  std::lock_guard lock(mu_);
  ::close(fd);
  connections_.erase(id);
  if (open_ != nullptr) open_->Add(-1);
  if (auto it = threads_.find(id); it != threads_.end()) {
    finished_.push_back(std::move(it->second));  // joined by the acceptor or Stop
    threads_.erase(it);
  }
}

}  // namespace eventlake::query
