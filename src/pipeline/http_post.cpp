// PostGuarded: libcurl with the SSRF guard's resolve-check-pin; why each
// option is set is next to it.
#include "pipeline/http_post.h"

#include <curl/curl.h>
#include <sys/socket.h>

#include <memory>
#include <mutex>

#include "core/config_table.h"
#include "pipeline/ssrf_guard.h"

namespace eventlake::pipeline {
namespace {

constexpr size_t kExcerpt = 200;
std::once_flag g_curl_init;

struct Download {
  std::string body;
  size_t limit = 0;
  bool too_large = false;
};

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  auto* d = static_cast<Download*>(user);
  if (d->body.size() + size * n > d->limit) {
    d->too_large = true;
    return 0;  // aborts the transfer
  }
  d->body.append(data, size * n);
  return size * n;
}

struct SocketCheck {
  bool allow_private = false;
  bool refused = false;
};

// The last word on where curl connects: even a pinned address is checked
// again here, so nothing curl does on its own (another address family, a
// happy-eyeballs fallback) reaches a refused address.
curl_socket_t OpenSocket(void* user, curlsocktype, curl_sockaddr* address) {
  auto* check = static_cast<SocketCheck*>(user);
  if (!check->allow_private && ClassifyAddress(&address->addr) != AddressClass::kPublic) {
    check->refused = true;
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

bool HasLineBreak(const std::string& s) { return s.find_first_of("\r\n") != std::string::npos; }

using SlistPtr = std::unique_ptr<curl_slist, void (*)(curl_slist*)>;

}  // namespace

Result<HttpTarget> ParseHttpTarget(std::string url,
                                   std::vector<std::pair<std::string, std::string>> headers,
                                   std::chrono::milliseconds timeout, bool allow_private,
                                   std::string_view who) {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  const std::string w(who);
  std::unique_ptr<CURLU, void (*)(CURLU*)> parsed(curl_url(), curl_url_cleanup);
  if (curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return Err(InvalidArgument(w + ": not a URL: " + url));
  }
  char* scheme = nullptr;
  char* host = nullptr;
  char* port = nullptr;
  curl_url_get(parsed.get(), CURLUPART_SCHEME, &scheme, 0);
  curl_url_get(parsed.get(), CURLUPART_HOST, &host, 0);
  curl_url_get(parsed.get(), CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
  std::string s = scheme ? scheme : "", h = host ? host : "", p = port ? port : "";
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  if (s != "http" && s != "https") return Err(InvalidArgument(w + ": only http and https URLs"));
  if (h.empty()) return Err(InvalidArgument(w + ": no host in " + url));
  for (const auto& [name, value] : headers) {
    if (HasLineBreak(name) || HasLineBreak(value) || name.find(':') != std::string::npos) {
      return Err(InvalidArgument(w + ": header " + name + " has a line break or a colon"));
    }
  }
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  return HttpTarget{.url = std::move(url),
                    .host = std::move(h),
                    .port = std::strtol(p.c_str(), nullptr, 10),
                    .allow_private = allow_private,
                    .timeout = timeout,
                    .headers = std::move(headers)};
}

HttpConnections::~HttpConnections() {
  for (void* handle : idle_) curl_easy_cleanup(static_cast<CURL*>(handle));
}

void* HttpConnections::Take() {
  std::lock_guard lock(mu_);
  if (idle_.empty()) return nullptr;
  void* handle = idle_.back();
  idle_.pop_back();
  return handle;
}

void HttpConnections::Give(void* handle) {
  constexpr size_t kMaxIdle = 16;  // a pipeline's partitions post at once
  {
    std::lock_guard lock(mu_);
    if (idle_.size() < kMaxIdle) {
      idle_.push_back(handle);
      return;
    }
  }
  curl_easy_cleanup(static_cast<CURL*>(handle));
}

Result<HttpAnswer> PostGuarded(const HttpTarget& target, std::string_view content_type,
                               std::string_view body, size_t max_answer, std::string_view who,
                               HttpConnections* connections) {
  const std::string w(who);
  auto address = ResolveAllowedAddress(target.host, target.allow_private);
  if (!address.has_value()) return Err(address.error().WithContext(w));
  const bool v6 = address->find(':') != std::string::npos;
  const std::string& host = target.host;
  const std::string pin = (v6 && host.find(':') != std::string::npos ? "[" + host + "]" : host) +
                          ":" + std::to_string(target.port) + ":" +
                          (v6 ? "[" + *address + "]" : *address);
  CURL* reused = connections != nullptr ? static_cast<CURL*>(connections->Take()) : nullptr;
  std::unique_ptr<CURL, void (*)(CURL*)> curl(reused != nullptr ? reused : curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Err(ResourceExhausted(w + ": curl_easy_init failed"));
  SlistPtr resolve(curl_slist_append(nullptr, pin.c_str()), curl_slist_free_all);
  curl_slist* headers =
      curl_slist_append(nullptr, ("Content-Type: " + std::string(content_type)).c_str());
  headers = curl_slist_append(headers, "Expect:");
  for (const auto& [name, value] : target.headers)
    headers = curl_slist_append(headers, std::string(name).append(": ").append(value).c_str());
  SlistPtr own_headers(headers, curl_slist_free_all);
  Download download{.limit = max_answer};
  SocketCheck check{.allow_private = target.allow_private};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, target.url.c_str());
  curl_easy_setopt(c, CURLOPT_RESOLVE, resolve.get());
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, &OpenSocket);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &check);
  curl_easy_setopt(c, CURLOPT_PROXY, "");  // no proxy from the environment
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(target.timeout.count()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &download);
  const CURLcode rc = curl_easy_perform(c);
  if (check.refused)
    return Err(PermissionDenied(w + ": the connection would reach a non-public address"));
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return Err(DeadlineExceeded(w + " timed out after " + config::FormatDuration(target.timeout)));
  }
  if (download.too_large) {
    return Err(
        ResourceExhausted(w + ": the answer is larger than " + config::FormatByteSize(max_answer)));
  }
  if (rc != CURLE_OK) return Err(Unavailable(w + ": " + curl_easy_strerror(rc)));
  HttpAnswer answer{.status = 0, .body = std::move(download.body)};
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &answer.status);
  if (connections != nullptr) {
    // Nothing of this call may outlive it in the handle kept.
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(c, CURLOPT_RESOLVE, nullptr);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, nullptr);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, nullptr);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, nullptr);
    connections->Give(curl.release());
  }
  return answer;
}

std::string AnswerExcerpt(const std::string& body) { return body.substr(0, kExcerpt); }

}  // namespace eventlake::pipeline
