// One guarded HTTP POST, shared by the `http` step (http_function.h) and
// the `webhook` sink (webhook_sink.h): the URL's host resolved and checked
// by the SSRF guard (ssrf_guard.h) unless allow_private, the connection
// pinned to the address checked (and checked again as the socket opens),
// no redirects, no proxies from the environment, only http and https,
// under a timeout; the answer read up to a size limit.
//
// Threads: Post may be called from several threads at once (a curl handle
// each); an HttpTarget is immutable after ParseHttpTarget.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace eventlake::pipeline {

struct HttpTarget {
  std::string url;
  std::string host;  // as curl parsed it, IPv6 without brackets
  long port = 0;     // the URL's, or the scheme's default
  bool allow_private = false;
  std::chrono::milliseconds timeout{3'000};
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
};

// InvalidArgument, starting with `who`, for a URL curl cannot parse,
// another scheme, no host, or header names and values with line breaks
// (or a colon in a name).
Result<HttpTarget> ParseHttpTarget(std::string url,
                                   std::vector<std::pair<std::string, std::string>> headers,
                                   std::chrono::milliseconds timeout, bool allow_private,
                                   std::string_view who);

struct HttpAnswer {
  long status = 0;
  std::string body;
};

// Connections kept open between POSTs to one target (HTTP keep-alive): the
// idle curl handles, each with its connection cache. A POST takes one (or
// a new one) and gives it back; a connection was checked by the SSRF guard
// when it opened, and a new one is checked again. Thread-safe.
class HttpConnections {
 public:
  HttpConnections() = default;
  ~HttpConnections();
  HttpConnections(const HttpConnections&) = delete;
  HttpConnections& operator=(const HttpConnections&) = delete;

 private:
  friend Result<HttpAnswer> PostGuarded(const HttpTarget&, std::string_view, std::string_view, size_t,
                                        std::string_view, HttpConnections*);
  void* Take();             // a CURL*, nullptr when none is idle
  void Give(void* handle);  // back, for the next POST (at most a few are kept)

  std::mutex mu_;
  std::vector<void*> idle_;  // guarded by mu_
};

// The POST, whatever the answer's status; over a connection of
// `connections` when one is open (and kept there after), else a new one.
// Errors start with `who`: PermissionDenied when an address is refused,
// DeadlineExceeded after the timeout, ResourceExhausted for an answer over
// `max_answer` bytes, Unavailable for a name that does not resolve or a
// connection that fails.
Result<HttpAnswer> PostGuarded(const HttpTarget& target, std::string_view content_type,
                               std::string_view body, size_t max_answer, std::string_view who,
                               HttpConnections* connections = nullptr);

// The first bytes of an answer, for error messages.
std::string AnswerExcerpt(const std::string& body);

}  // namespace eventlake::pipeline
