// The CLI's HTTP/1.1 client on Boost.Beast (see http_client.h).
//
// Requests run as asynchronous operations on a private io_context that this
// thread drives in short slices: that gives per-request deadlines (the
// tcp_stream's own timer) and lets a SIGINT handler abandon a long poll by
// setting the cancel flag, without a second thread.
#include "cli/http_client.h"

// <utility> before Asio: a Boost 1.74 bug with g++ 12.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

namespace eventlake::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// How often the cancel flag is looked at while a request is in flight.
constexpr std::chrono::milliseconds kPollSlice{100};

// "30s", "0.2s".
std::string Seconds(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  char text[32];
  std::snprintf(text, sizeof text, "%.1fs", static_cast<double>(d.count()) / 1000);
  return text;
}

StatusCode CodeForHttpStatus(int status) {
  switch (status) {
    case 400:
      return StatusCode::kInvalidArgument;
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kNotFound;
    case 409:
      return StatusCode::kConflict;
    case 429:
      return StatusCode::kResourceExhausted;
    case 503:
      return StatusCode::kUnavailable;
    case 504:
      return StatusCode::kDeadlineExceeded;
    default:
      return status >= 500 ? StatusCode::kInternal : StatusCode::kIOError;
  }
}

// The code whose StatusCodeName is the last path segment of a problem type.
std::optional<StatusCode> CodeForProblemType(std::string_view type) {
  std::string_view name = type.substr(type.rfind('/') + 1);
  for (int i = static_cast<int>(StatusCode::kInvalidArgument);
       i <= static_cast<int>(StatusCode::kInternal); ++i) {
    auto code = static_cast<StatusCode>(i);
    if (StatusCodeName(code) == name) return code;
  }
  return std::nullopt;
}

std::string FirstLine(std::string_view text) {
  text = text.substr(0, text.find('\n'));
  if (text.size() > 200) return std::string(text.substr(0, 200)) + "...";
  return std::string(text);
}

}  // namespace

std::string ServerAddress::ToString() const {
  bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + path_prefix;
}

namespace {

// "host", "host:port", "[v6]" or "[v6]:port" into `address`; the problem when
// it is none of these.
std::optional<std::string> ParseAuthority(std::string_view authority, ServerAddress* address) {
  std::string_view port_text;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return "unclosed '['";
    address->host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return "junk after ']'";
    if (!after.empty()) port_text = after.substr(1);
  } else {
    size_t colon = authority.rfind(':');
    address->host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    if (address->host.find(':') != std::string::npos) return "write IPv6 hosts as [addr]:port";
  }
  if (address->host.empty()) return "no host";
  if (address->host.find('@') != std::string::npos) return "credentials in URLs are not supported";
  if (authority.ends_with(':')) return "empty port";
  if (port_text.empty()) return std::nullopt;
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    return "bad port '" + std::string(port_text) + "'";
  }
  address->port = static_cast<uint16_t>(port);
  return std::nullopt;
}

}  // namespace

Result<ServerAddress> ParseServerUrl(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return Err(InvalidArgument("bad server URL '" + std::string(url) + "': " + std::string(why)));
  };
  std::string_view rest = url;
  if (size_t scheme = rest.find("://"); scheme != std::string_view::npos) {
    std::string_view name = rest.substr(0, scheme);
    if (name == "https") return bad("https is not supported yet; use http://");
    if (name != "http") return bad("the scheme must be http");
    rest.remove_prefix(scheme + 3);
  }
  size_t slash = rest.find('/');
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.find_first_of("?#") != std::string_view::npos) {
    return bad("no query or fragment allowed");
  }
  ServerAddress address;
  address.path_prefix = std::string(path);
  if (auto problem = ParseAuthority(rest.substr(0, slash), &address)) return bad(*problem);
  return address;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

Status StatusFromHttpError(int http_status, std::string_view content_type, std::string_view body) {
  StatusCode code = CodeForHttpStatus(http_status);
  std::string message;
  bool problem = content_type.find("json") != std::string_view::npos;
  auto json = problem ? nlohmann::json::parse(body, nullptr, false) : nlohmann::json();
  if (json.is_object()) {
    if (auto type = json.find("type"); type != json.end() && type->is_string()) {
      if (auto named = CodeForProblemType(type->get<std::string>())) code = *named;
    }
    for (const char* key : {"detail", "title"}) {
      auto it = json.find(key);
      if (message.empty() && it != json.end() && it->is_string()) message = it->get<std::string>();
    }
  }
  if (message.empty()) message = FirstLine(body);
  if (message.empty()) message = "the server answered HTTP " + std::to_string(http_status);
  return Status(code, std::move(message));
}

class HttpClient::Impl {
 public:
  Impl(const ServerAddress& address, const HttpClientOptions& options)
      : address_(address), options_(options) {}

  Result<HttpResponse> Send(http::verb verb, std::string_view path, std::string_view body,
                            std::string_view content_type, std::chrono::milliseconds timeout,
                            const HttpHeaders& headers);
  uint64_t connections_opened() const { return connections_opened_; }

 private:
  Status Connect();
  // One write and read on the open connection. Sets *stale when the failure
  // looks like a keep-alive connection the server had already closed.
  Result<HttpResponse> Exchange(const http::request<http::string_body>& request,
                                std::chrono::milliseconds timeout, bool* stale);
  // Drives the io_context until `done`; false when interrupted by the cancel
  // flag (the pending operation is then aborted and the connection closed).
  bool Drive(const bool& done);
  void Close();
  bool Cancelled() const { return options_.cancel != nullptr && options_.cancel->load(); }

  const ServerAddress& address_;
  const HttpClientOptions& options_;
  asio::io_context ioc_;
  beast::tcp_stream stream_{ioc_};
  beast::flat_buffer buffer_;
  bool connected_ = false;
  uint64_t connections_opened_ = 0;
};

bool HttpClient::Impl::Drive(const bool& done) {
  ioc_.restart();
  bool interrupted = false;
  while (!done) {
    if (!interrupted && Cancelled()) {
      interrupted = true;
      Close();  // completes the pending operation with operation_aborted
    }
    ioc_.run_one_for(kPollSlice);
    if (ioc_.stopped() && !done) ioc_.restart();
  }
  return !interrupted;
}

void HttpClient::Impl::Close() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
  buffer_.clear();
  connected_ = false;
}

Status HttpClient::Impl::Connect() {
  std::string where = "cannot reach eventlake at " + address_.ToString();
  tcp::resolver resolver(ioc_);
  beast::error_code ec;
  auto endpoints = resolver.resolve(address_.host, std::to_string(address_.port), ec);
  if (ec) return Unavailable(where + ": " + ec.message());
  bool done = false;
  stream_.expires_after(options_.connect_timeout);
  stream_.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
    ec = e;
    done = true;
  });
  if (!Drive(done)) return Unavailable("interrupted");
  if (ec == asio::error::connection_refused) {
    return Unavailable(where + ": is `eventlake serve` running?");
  }
  if (ec == beast::error::timeout) {
    return Unavailable(where + ": no answer to connect within " +
                       Seconds(options_.connect_timeout));
  }
  if (ec) return Unavailable(where + ": " + ec.message());
  connected_ = true;
  ++connections_opened_;
  return Status::Ok();
}

Result<HttpResponse> HttpClient::Impl::Exchange(const http::request<http::string_body>& request,
                                                std::chrono::milliseconds timeout, bool* stale) {
  beast::error_code ec;
  bool done = false;
  stream_.expires_after(timeout);
  http::async_write(stream_, request, [&](beast::error_code e, size_t) {
    ec = e;
    done = true;
  });
  if (!Drive(done)) return Err(Unavailable("interrupted"));
  http::response_parser<http::string_body> parser;
  parser.body_limit(options_.max_body_bytes);
  if (!ec) {
    done = false;
    http::async_read(stream_, buffer_, parser, [&](beast::error_code e, size_t) {
      ec = e;
      done = true;
    });
    if (!Drive(done)) return Err(Unavailable("interrupted"));
    *stale = ec && !parser.got_some() &&
             (ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
              ec == asio::error::eof || ec == asio::error::broken_pipe);
  } else {
    *stale = ec != beast::error::timeout;
  }
  if (ec) {
    Close();
    if (ec == beast::error::timeout) {
      return Err(DeadlineExceeded("no answer from eventlake at " + address_.ToString() +
                                  " within " + Seconds(timeout)));
    }
    return Err(Unavailable("talking to eventlake at " + address_.ToString() + ": " + ec.message()));
  }
  auto& message = parser.get();
  HttpResponse response;
  response.status = static_cast<int>(message.result_int());
  response.content_type = std::string(message[http::field::content_type]);
  response.retry_after = std::string(message[http::field::retry_after]);
  response.body = std::move(message.body());
  if (!message.keep_alive()) Close();
  return response;
}

Result<HttpResponse> HttpClient::Impl::Send(http::verb verb, std::string_view path,
                                            std::string_view body, std::string_view content_type,
                                            std::chrono::milliseconds timeout,
                                            const HttpHeaders& headers) {
  http::request<http::string_body> request{verb, address_.path_prefix + std::string(path), 11};
  bool v6 = address_.host.find(':') != std::string::npos;
  request.set(http::field::host, (v6 ? "[" + address_.host + "]" : address_.host) + ":" +
                                     std::to_string(address_.port));
  request.set(http::field::user_agent, "eventlake-cli");
  request.set(http::field::accept, "application/json, application/problem+json");
  request.keep_alive(true);
  if (!options_.api_key.empty())
    request.set(http::field::authorization, "Bearer " + options_.api_key);
  for (const auto& [name, value] : headers) request.set(name, value);
  if (verb != http::verb::get) {
    request.set(http::field::content_type,
                beast::string_view(content_type.data(), content_type.size()));
    request.body() = std::string(body);
  }
  request.prepare_payload();
  for (int attempt = 0;; ++attempt) {
    bool reused = connected_;
    if (!connected_) EL_RETURN_IF_ERROR(Connect());
    bool stale = false;
    auto response = Exchange(request, timeout, &stale);
    if (response.has_value() || !reused || !stale || attempt > 0 || Cancelled()) return response;
  }
}

HttpClient::HttpClient(ServerAddress address, HttpClientOptions options)
    : address_(std::move(address)),
      options_(options),
      impl_(std::make_unique<Impl>(address_, options_)) {}

HttpClient::~HttpClient() = default;

uint64_t HttpClient::connections_opened() const { return impl_->connections_opened(); }

Result<HttpResponse> HttpClient::Send(std::string_view method, std::string_view path,
                                      std::string_view body, std::string_view content_type,
                                      std::chrono::milliseconds timeout,
                                      const HttpHeaders& headers) {
  http::verb verb = http::string_to_verb(beast::string_view(method.data(), method.size()));
  if (verb == http::verb::unknown)
    return Err(Internal("unknown HTTP method " + std::string(method)));
  if (path.empty() || path.front() != '/') return Err(Internal("HTTP path must start with '/'"));
  if (timeout.count() <= 0) timeout = options_.request_timeout;
  try {
    return impl_->Send(verb, path, body, content_type, timeout, headers);
  } catch (const std::exception& e) {  // Boost reports some failures (e.g. bad_alloc) by throwing
    return Err(Internal(std::string("HTTP client: ") + e.what()));
  }
}

Result<HttpResponse> HttpClient::Get(std::string_view path, std::chrono::milliseconds timeout) {
  EL_ASSIGN_OR_RETURN(HttpResponse response, Send("GET", path, "", "", timeout));
  if (response.status / 100 != 2) {
    return Err(StatusFromHttpError(response.status, response.content_type, response.body));
  }
  return response;
}

Result<HttpResponse> HttpClient::Post(std::string_view path, std::string_view body,
                                      std::string_view content_type,
                                      std::chrono::milliseconds timeout) {
  EL_ASSIGN_OR_RETURN(HttpResponse response, Send("POST", path, body, content_type, timeout));
  if (response.status / 100 != 2) {
    return Err(StatusFromHttpError(response.status, response.content_type, response.body));
  }
  return response;
}

}  // namespace eventlake::cli
