// Linear route matching: the API has a dozen routes, so a list beats a trie
// in both clarity and speed.
#include "server/router.h"

#include <algorithm>

#include "core/logging.h"
#include "server/problem.h"

namespace eventlake::server {
namespace http = boost::beast::http;

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path.starts_with('/')) path.remove_prefix(1);
  segments.reserve(std::count(path.begin(), path.end(), '/') + 1);
  while (true) {
    size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

bool IsParam(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Decoded query parameters; nullopt when an escape is malformed.
std::optional<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto name = PercentDecode(pair.substr(0, eq), true);
    auto value = PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!name || !value) return std::nullopt;
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

}  // namespace

std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = HexValue(text[i + 1]);
      int lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string_view Request::Param(std::string_view name) const {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return {};
}

std::optional<std::string_view> Request::Query(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

RouteMetrics::RouteMetrics(MetricsRegistry* metrics, std::string route)
    : metrics_(metrics), route_(std::move(route)) {
  if (metrics_ != nullptr) {
    latency_ = &metrics_->GetHistogram("eventlake_http_request_seconds",
                                       "Time from reading a request to sending its response.",
                                       LatencyBuckets(), {{"route", route_}});
  }
}

void RouteMetrics::OnResponse(unsigned status, double seconds) {
  if (metrics_ == nullptr) return;
  latency_->Observe(seconds);
  if (status >= by_status_.size()) status = 599;
  Counter* counter = by_status_[status].load(std::memory_order_acquire);
  if (counter == nullptr) {  // the registry returns the same counter to racing threads
    counter = &metrics_->GetCounter("eventlake_http_requests_total", "HTTP responses sent.",
                                    {{"route", route_}, {"code", std::to_string(status)}});
    by_status_[status].store(counter, std::memory_order_release);
  }
  counter->Increment();
}

Router::Router(MetricsRegistry* metrics, const security::AccessControl* access)
    : metrics_(metrics),
      access_(access),
      unrouted_(std::make_unique<RouteMetrics>(metrics, "unrouted")) {}

void Router::Add(http::verb method, std::string_view pattern, Permission permission,
                 RouteHandler handler) {
  Route route{method,
              std::string(pattern),
              {},
              std::move(permission),
              std::move(handler),
              std::make_unique<RouteMetrics>(metrics_, std::string(pattern))};
  for (std::string_view segment : SplitPath(pattern)) route.segments.emplace_back(segment);
  routes_.push_back(std::move(route));
}

std::string Router::ResourceFor(const Route& route, const Request& request) {
  const std::string& pattern = route.permission.resource;
  std::string out;
  size_t i = 0;
  while (i < pattern.size()) {
    size_t open = pattern.find('{', i);
    size_t close = open == std::string::npos ? open : pattern.find('}', open);
    if (close == std::string::npos) break;
    out.append(pattern, i, open - i);
    out.append(request.Param(std::string_view(pattern).substr(open + 1, close - open - 1)));
    i = close + 1;
  }
  out.append(pattern, std::min(i, pattern.size()));
  return out;
}

void Router::Handle(HttpRequest http, Responder responder) const {
  std::string_view target(http.target().data(), http.target().size());
  size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  std::vector<std::string_view> segments = SplitPath(path);
  std::string allowed;
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    Request request;
    bool match = true;
    for (size_t i = 0; i < segments.size() && match; ++i) {
      if (IsParam(route.segments[i])) {
        auto value = PercentDecode(segments[i], false);
        match = value.has_value() && !value->empty();
        if (match)
          request.params.emplace_back(route.segments[i].substr(1, route.segments[i].size() - 2),
                                      std::move(*value));
      } else {
        match = route.segments[i] == segments[i];
      }
    }
    if (!match) continue;
    if (route.method != http.method()) {
      if (!allowed.empty()) allowed += ", ";
      allowed += std::string(http::to_string(route.method));
      continue;
    }
    responder.set_observer(route.metrics.get());
    auto query = ParseQuery(question == std::string_view::npos ? "" : target.substr(question + 1));
    if (!query) {
      return responder(ProblemResponse(InvalidArgument("malformed percent-escape in the query")));
    }
    request.query = std::move(*query);
    if (access_ != nullptr && (!route.permission.action.empty() || route.permission.authenticated_only)) {
      auto authorization = http.find(http::field::authorization);
      std::string_view header;
      if (authorization != http.end())
        header = {authorization->value().data(), authorization->value().size()};
      auto principal = route.permission.authenticated_only
                           ? access_->Authenticate(header)
                           : access_->Check(header, route.permission.action, ResourceFor(route, request));
      if (!principal) {
        HttpResponse refused = ProblemResponse(principal.error());
        if (principal.error().code() == StatusCode::kUnauthenticated) {
          refused.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"eventlake\"");
        }
        return responder(std::move(refused));
      }
      request.principal = std::move(*principal);
    } else {
      request.principal = security::AnonymousPrincipal();
    }
    request.http = std::move(http);
    try {
      route.handler(std::move(request), std::move(responder));
    } catch (const std::exception& e) {
      // The handler's Responder, destroyed unanswered during unwinding, has answered 500.
      LogError("http", "handler threw", {{"route", route.pattern}, {"error", e.what()}});
    }
    return;
  }
  responder.set_observer(unrouted_.get());
  if (!allowed.empty()) {
    HttpResponse response = ProblemResponse(
        405, "method_not_allowed",
        std::string(http::to_string(http.method())) + " is not allowed on " + std::string(path));
    response.headers.emplace_back("Allow", allowed);
    return responder(std::move(response));
  }
  responder(ProblemResponse(NotFound("no such resource: " + std::string(path))));
}

}  // namespace eventlake::server
