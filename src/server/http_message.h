// The request and response types that HTTP handlers see. Requests are Beast's
// (parsed in place, body as a string); responses are a small struct that the
// connection serialises itself, so a handler never touches Beast's writer.
#pragma once

// <utility> before any Boost.Asio header: Boost 1.74 with g++ 12 misses it.
// clang-format off
#include <utility>
// clang-format on

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace eventlake::server {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra header fields (name, value); Content-Type, Content-Length, Date
  // and Connection are written by the server.
  std::vector<std::pair<std::string, std::string>> headers;
};

// A 200 (or `status`) application/json response with `body`.
inline HttpResponse JsonResponse(std::string body, unsigned status = 200) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

// The standard reason phrase of an HTTP status ("Not Found"); "Unknown" otherwise.
std::string_view ReasonPhrase(unsigned status);

}  // namespace eventlake::server
