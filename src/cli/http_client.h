// A small synchronous HTTP/1.1 client for the CLI's calls to a running
// eventlake server (plain http://host:port; no TLS yet).
//
// One HttpClient holds at most one keep-alive connection and reuses it for
// consecutive requests; a reused connection that the server closed while idle
// is reopened once, transparently. Every request has a deadline. Answers with
// a non-2xx status become a Status built from the RFC 9457 problem+json body
// (its `detail`), with the code taken from the problem's type or, failing
// that, from the HTTP status.
//
// Not thread-safe: one client per thread. Boost stays inside the .cpp.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace eventlake::cli {

// A parsed base URL: "http://127.0.0.1:8080", "localhost:8080" (http is
// assumed), "http://[::1]:8080/prefix". The path prefix, without a trailing
// slash, is put in front of every request path.
struct ServerAddress {
  std::string host;  // without brackets for IPv6
  uint16_t port = 80;
  std::string path_prefix;
  // "http://host:port" (with the prefix), for messages.
  std::string ToString() const;
};

Result<ServerAddress> ParseServerUrl(std::string_view url);

// Percent-encodes everything but RFC 3986 unreserved characters, for query
// values and path segments.
std::string UrlEncode(std::string_view text);

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;
  std::string retry_after;  // the Retry-After header as sent; empty when absent
};

// Extra request headers (name, value), e.g. {"ce-type", "order.created"}.
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// The Status for a non-2xx answer: the code named by a problem+json `type`
// (".../problems/not_found") when it is one of ours, else by the HTTP status
// (400 invalid_argument, 401 unauthenticated, 403 permission_denied,
// 404 not_found, 409 conflict, 429 resource_exhausted, 503 unavailable,
// 504 deadline_exceeded, other 5xx internal, anything else io_error); the
// message is the problem's detail, else its title, else the body's first line.
Status StatusFromHttpError(int http_status, std::string_view content_type, std::string_view body);

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  // Default deadline of one request (write and read of the answer).
  std::chrono::milliseconds request_timeout{30000};
  // Largest answer body accepted.
  uint64_t max_body_bytes = 256ull << 20;
  // When set and it becomes true, a request in flight is abandoned and fails
  // with Unavailable("interrupted"). Must outlive the client.
  const std::atomic<bool>* cancel = nullptr;
  // Sent as `Authorization: Bearer <api_key>` when not empty.
  std::string api_key;
};

class HttpClient {
 public:
  HttpClient(ServerAddress address, HttpClientOptions options = {});
  ~HttpClient();  // NOLINT(performance-trivially-destructible): Impl is incomplete here
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `path` starts with '/' and may carry a query ("/v1/streams?x=1").
  // Non-2xx answers are errors (see StatusFromHttpError). `timeout` of zero
  // means options.request_timeout.
  Result<HttpResponse> Get(std::string_view path,
                           std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  Result<HttpResponse> Post(std::string_view path, std::string_view body,
                            std::string_view content_type = "application/json",
                            std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  // Sends one request and returns the answer whatever its status; errors are
  // only failures to talk to the server at all. `headers` are added to the
  // request as given.
  Result<HttpResponse> Send(std::string_view method, std::string_view path, std::string_view body,
                            std::string_view content_type, std::chrono::milliseconds timeout,
                            const HttpHeaders& headers = {});

  const ServerAddress& address() const { return address_; }
  // Connections opened so far (for tests of keep-alive reuse).
  uint64_t connections_opened() const;

 private:
  class Impl;
  ServerAddress address_;
  HttpClientOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace eventlake::cli
