// TlsContext and TlsConnection over OpenSSL.
#include "query/pgwire_tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>

namespace eventlake::query {
namespace {

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

// tls-server-end-point (RFC 5929 section 4.1), as Postgres computes it: the
// certificate's signature hash, raised to SHA-256 from MD5 and SHA-1; ""
// when the signature has no single hash. X509_get_signature_info also
// reads RSA-PSS's hash from its parameters.
std::string ServerEndPoint(X509* certificate) {
  int md_nid = NID_undef;
  if (certificate == nullptr || X509_get_signature_info(certificate, &md_nid, nullptr, nullptr, nullptr) != 1) {
    ERR_clear_error();
    return "";
  }
  if (md_nid == NID_md5 || md_nid == NID_sha1) md_nid = NID_sha256;
  const EVP_MD* md = EVP_get_digestbynid(md_nid);
  unsigned char* der = nullptr;
  const int der_length = i2d_X509(certificate, &der);
  std::string hash;
  if (md != nullptr && der_length > 0) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_length = 0;
    if (EVP_Digest(der, static_cast<size_t>(der_length), digest, &digest_length, md, nullptr) == 1) {
      hash.assign(reinterpret_cast<const char*>(digest), digest_length);
    }
  }
  OPENSSL_free(der);
  ERR_clear_error();
  return hash;
}

}  // namespace

Result<std::unique_ptr<TlsContext>> TlsContext::Load(const std::string& cert_file, const std::string& key_file) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return Err(Internal("TLS: " + OpenSslError()));
  auto context = std::unique_ptr<TlsContext>(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return Err(InvalidArgument("pg_tls_cert " + cert_file + ": " + OpenSslError()));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Err(InvalidArgument("pg_tls_key " + key_file + ": " + OpenSslError()));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return Err(InvalidArgument("pg_tls_key " + key_file + " does not match pg_tls_cert " + cert_file));
  }
  context->server_end_point_ = ServerEndPoint(SSL_CTX_get0_certificate(ctx));
  return context;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

Result<std::unique_ptr<TlsConnection>> TlsConnection::Accept(const TlsContext& context, int fd) {
  SSL* ssl = SSL_new(context.get());
  if (ssl == nullptr) return Err(Internal("TLS: " + OpenSslError()));
  auto connection = std::unique_ptr<TlsConnection>(new TlsConnection(ssl));
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) != 1) return Err(Unavailable("TLS handshake: " + OpenSslError()));
  return connection;
}

TlsConnection::~TlsConnection() {
  SSL_shutdown(ssl_);  // close_notify; the peer's answer is not awaited
  SSL_free(ssl_);
}

long TlsConnection::Read(char* buffer, size_t size) {
  const int n = SSL_read(ssl_, buffer, static_cast<int>(std::min<size_t>(size, 1 << 30)));
  if (n > 0) return n;
  const int error = SSL_get_error(ssl_, n);
  ERR_clear_error();
  return error == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

bool TlsConnection::WriteAll(std::string_view data) {
  while (!data.empty()) {
    const int n = SSL_write(ssl_, data.data(), static_cast<int>(std::min<size_t>(data.size(), 1 << 30)));
    if (n <= 0) {
      ERR_clear_error();
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace eventlake::query
