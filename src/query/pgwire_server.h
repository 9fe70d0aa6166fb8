// PgServer: the Postgres wire protocol's listener (server.pg_listen). One
// thread accepts; each connection gets a thread that reads the socket,
// feeds its PgSession and writes the answers (queries run on that thread).
// At most `max_connections` at once; beyond that a client gets an
// ErrorResponse (53300, too many connections) and is closed. With a
// certificate, a client's SSLRequest starts TLS (pgwire_tls.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "core/metrics.h"
#include "core/status.h"
#include "query/pgwire_tls.h"
#include "query/query_engine.h"
#include "security/access_control.h"

namespace eventlake::query {

struct PgServerOptions {
  std::string listen = "127.0.0.1:5433";  // host:port; port 0 picks one
  QueryEngine* engine = nullptr;
  const security::AccessControl* access = nullptr;
  size_t max_connections = 256;
  MetricsRegistry* metrics = nullptr;
  // PEM files; both set: TLS is offered (SSLRequest answered 'S').
  std::string tls_cert_file;
  std::string tls_key_file;
};

class PgServer {
 public:
  static Result<std::unique_ptr<PgServer>> Start(PgServerOptions options);
  ~PgServer();  // Stop()
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // Closes the listener and every connection; joins their threads.
  void Stop();
  std::string address() const { return address_; }

 private:
  explicit PgServer(PgServerOptions options) : options_(std::move(options)) {}
  void AcceptLoop();
  void Serve(int fd, bool loopback, uint64_t id);

  PgServerOptions options_;
  std::unique_ptr<TlsContext> tls_;  // null: no TLS
  int listen_fd_ = -1;
  std::string address_;
  std::thread acceptor_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::unordered_map<uint64_t, int> connections_;     // guarded by mu_: id -> fd
  std::unordered_map<uint64_t, std::thread> threads_; // guarded by mu_
  std::vector<std::thread> finished_;                 // guarded by mu_: to join
  uint64_t next_id_ = 1;
  Counter* accepted_ = nullptr;
  Gauge* open_ = nullptr;
  Counter* tls_handshakes_ = nullptr;
  Counter* scram_logins_ = nullptr;
  Counter* scram_plus_logins_ = nullptr;
  Counter* cleartext_logins_ = nullptr;
};

}  // namespace eventlake::query
