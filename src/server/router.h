// Method + path routing for the HTTP API. Patterns are literal segments and
// `{name}` segments ("/v1/streams/{name}/records"); path segments are
// percent-decoded after splitting, so "%2F" stays inside one parameter.
// Unknown paths answer 404 and known paths with another method 405 (with
// Allow), both as problem+json.
//
// Every route but the health checks names the permission it needs: an action
// and a resource pattern whose `{name}` parts are filled from the path
// ("source/{source}"). The router authenticates and authorizes before the
// handler runs (401 / 403 as problem+json) and hands it the principal.
//
// Every route counts its responses in eventlake_http_requests_total{route,code}
// and times them in eventlake_http_request_seconds{route}; `route` is the
// pattern, so label values stay few.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/metrics.h"
#include "security/access_control.h"
#include "security/principal.h"
#include "server/http_server.h"

namespace eventlake::server {

// A routed request: the HTTP request plus its decoded path parameters and query.
struct Request {
  HttpRequest http;
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<std::pair<std::string, std::string>> query;
  security::Principal principal;  // who is calling (anonymous while access control is off)

  // The path parameter `name` ("" when the route has none of that name).
  std::string_view Param(std::string_view name) const;
  // The first query parameter `name`, if present.
  std::optional<std::string_view> Query(std::string_view name) const;
};

using RouteHandler = std::function<void(Request request, Responder responder)>;

// What a route needs: `action` on `resource`; an empty action is public.
struct Permission {
  std::string action;    // "events:Put"
  std::string resource;  // "source/{source}": {name} is the path parameter
  // No action, but a known key: the handler authorizes per resource itself.
  bool authenticated_only = false;

  static Permission Public() { return {}; }
  static Permission Authenticated() { return {.authenticated_only = true}; }
};

// Response counts and latency of one route (or of unrouted requests).
class RouteMetrics final : public ResponseObserver {
 public:
  RouteMetrics(MetricsRegistry* metrics, std::string route);
  void OnResponse(unsigned status, double seconds) override;

 private:
  MetricsRegistry* metrics_;
  std::string route_;
  Histogram* latency_ = nullptr;
  std::array<std::atomic<Counter*>, 600> by_status_{};  // filled on first use
};

class Router {
 public:
  // `metrics` and `access` may be null (no metrics; access control off);
  // both must outlive the router.
  explicit Router(MetricsRegistry* metrics, const security::AccessControl* access = nullptr);
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Adds a route. Patterns start with '/'; `{name}` matches one non-empty segment.
  void Add(boost::beast::http::verb method, std::string_view pattern, Permission permission,
           RouteHandler handler);

  // Routes one request. The router must outlive the server that calls it.
  void Handle(HttpRequest request, Responder responder) const;

 private:
  struct Route {
    boost::beast::http::verb method;
    std::string pattern;
    std::vector<std::string> segments;  // "{x}" for parameters
    Permission permission;
    RouteHandler handler;
    std::unique_ptr<RouteMetrics> metrics;
  };

  // The permission's resource with the request's path parameters filled in.
  static std::string ResourceFor(const Route& route, const Request& request);

  MetricsRegistry* metrics_;
  const security::AccessControl* access_;
  std::vector<Route> routes_;
  std::unique_ptr<RouteMetrics> unrouted_;
};

// Percent-decodes `text` ('+' as space when `plus_is_space`); nullopt on a
// malformed escape.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

}  // namespace eventlake::server
