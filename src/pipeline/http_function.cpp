#include "pipeline/http_function.h"

#include <curl/curl.h>
#include <sys/socket.h>

#include <chrono>
#include <mutex>

#include "core/config_table.h"
#include "pipeline/ssrf_guard.h"

namespace eventlake::pipeline {
namespace {

constexpr size_t kMaxResponseBytes = 6u << 20;
constexpr size_t kExcerpt = 200;
std::once_flag g_curl_init;

struct Download {
  std::string body;
  bool too_large = false;
};

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  auto* d = static_cast<Download*>(user);
  if (d->body.size() + size * n > kMaxResponseBytes) {
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

}  // namespace

HttpFunction::HttpFunction(HttpFunctionOptions options, MetricsRegistry* metrics)
    : options_(std::move(options)) {
  auto outcome = [&](const char* name) {
    return &metrics->GetCounter("eventlake_function_invocations_total",
                                "Invocations of external functions, by outcome.",
                                {{"function", options_.name}, {"outcome", name}});
  };
  success_ = outcome("success");
  http_error_ = outcome("http_error");
  timeout_ = outcome("timeout");
  refused_ = outcome("refused");
  error_ = outcome("error");
  duration_ = &metrics->GetHistogram("eventlake_function_duration_seconds",
                                     "From an invocation's delivery to its answer.",
                                     LatencyBuckets(), {{"function", options_.name}});
}

Result<std::unique_ptr<HttpFunction>> HttpFunction::Create(HttpFunctionOptions options,
                                                           MetricsRegistry* metrics) {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURLU, void (*)(CURLU*)> url(curl_url(), curl_url_cleanup);
  if (curl_url_set(url.get(), CURLUPART_URL, options.url.c_str(), 0) != CURLUE_OK) {
    return Err(InvalidArgument("http function: not a URL: " + options.url));
  }
  char* scheme = nullptr;
  char* host = nullptr;
  char* port = nullptr;
  curl_url_get(url.get(), CURLUPART_SCHEME, &scheme, 0);
  curl_url_get(url.get(), CURLUPART_HOST, &host, 0);
  curl_url_get(url.get(), CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
  std::string s = scheme ? scheme : "", h = host ? host : "", p = port ? port : "";
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  if (s != "http" && s != "https")
    return Err(InvalidArgument("http function: only http and https URLs"));
  if (h.empty()) return Err(InvalidArgument("http function: no host in " + options.url));
  for (const auto& [name, value] : options.headers) {
    if (HasLineBreak(name) || HasLineBreak(value) || name.find(':') != std::string::npos) {
      return Err(InvalidArgument("http function: header " + name + " has a line break or a colon"));
    }
  }
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (options.name.empty()) options.name = h;
  std::unique_ptr<HttpFunction> f(new HttpFunction(std::move(options), metrics));
  f->host_ = h;
  f->port_ = std::strtol(p.c_str(), nullptr, 10);
  return f;
}

Result<std::string> HttpFunction::Invoke(std::string payload) {
  const auto start = std::chrono::steady_clock::now();
  auto observe = [&] {
    duration_->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  };
  auto address = ResolveAllowedAddress(host_, options_.allow_private);
  if (!address.has_value()) {
    (address.error().code() == StatusCode::kPermissionDenied ? refused_ : error_)->Increment();
    return Err(address.error().WithContext("http function " + options_.name));
  }
  const bool v6 = address->find(':') != std::string::npos;
  const std::string pin = (v6 && host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_) +
                          ":" + std::to_string(port_) + ":" +
                          (v6 ? "[" + *address + "]" : *address);
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Err(ResourceExhausted("http function: curl_easy_init failed"));
  curl_slist* resolve = curl_slist_append(nullptr, pin.c_str());
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Expect:");
  for (const auto& [name, value] : options_.headers)
    headers = curl_slist_append(headers, std::string(name).append(": ").append(value).c_str());
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> own_resolve(resolve, curl_slist_free_all);
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> own_headers(headers, curl_slist_free_all);
  Download download;
  SocketCheck check{.allow_private = options_.allow_private};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, &OpenSocket);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &check);
  curl_easy_setopt(c, CURLOPT_PROXY, "");  // no proxy from the environment
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &download);
  const CURLcode rc = curl_easy_perform(c);
  observe();
  const std::string who = "http function " + options_.name;
  if (check.refused) {
    refused_->Increment();
    return Err(PermissionDenied(who + ": the connection would reach a non-public address"));
  }
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    timeout_->Increment();
    return Err(
        DeadlineExceeded(who + " timed out after " + config::FormatDuration(options_.timeout)));
  }
  if (download.too_large) {
    error_->Increment();
    return Err(ResourceExhausted(who + ": the answer is larger than 6 MB"));
  }
  if (rc != CURLE_OK) {
    error_->Increment();
    return Err(Unavailable(who + ": " + curl_easy_strerror(rc)));
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status > 299) {
    http_error_->Increment();
    std::string excerpt = download.body.substr(0, kExcerpt);
    return Err(Unavailable(who + " answered HTTP " + std::to_string(status) +
                           (excerpt.empty() ? "" : ": " + excerpt)));
  }
  success_->Increment();
  return std::move(download.body);
}

}  // namespace eventlake::pipeline
