// TLS for the Postgres port (server.pg_tls_cert / pg_tls_key): OpenSSL over
// a blocking socket, for the thread-per-connection PgServer. After the
// client's SSLRequest is answered 'S', the connection's bytes go through a
// TlsConnection instead of the socket (pgwire_session.h: StartTls).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

typedef struct ssl_ctx_st SSL_CTX;  // NOLINT
typedef struct ssl_st SSL;          // NOLINT

namespace eventlake::query {

// A certificate chain and its private key (PEM files), TLS 1.2 and later.
class TlsContext {
 public:
  // InvalidArgument naming the file when one does not load or the key does
  // not match the certificate.
  static Result<std::unique_ptr<TlsContext>> Load(const std::string& cert_file, const std::string& key_file);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* get() const { return ctx_; }
  // RFC 5929's tls-server-end-point for the certificate this context
  // presents: its DER hashed with the hash of its signature algorithm
  // (SHA-256 when that is MD5 or SHA-1), raw bytes; what SCRAM-SHA-256-PLUS
  // binds to (security/scram.h). Empty when the signature algorithm names
  // no single hash (Ed25519, say): then -PLUS is not offered.
  const std::string& server_end_point() const { return server_end_point_; }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
  std::string server_end_point_;
};

// One server-side TLS connection over `fd` (which it does not own).
class TlsConnection {
 public:
  // Runs the handshake; Unavailable when it fails (the client's problem:
  // logged by the caller, the connection closed).
  static Result<std::unique_ptr<TlsConnection>> Accept(const TlsContext& context, int fd);
  ~TlsConnection();
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  // Like recv: > 0 bytes read, 0 at the end, < 0 on an error.
  long Read(char* buffer, size_t size);
  bool WriteAll(std::string_view data);

 private:
  explicit TlsConnection(SSL* ssl) : ssl_(ssl) {}
  SSL* ssl_;
};

}  // namespace eventlake::query
