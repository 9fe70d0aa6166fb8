// Test-only: a blocking HTTP client on one loopback connection, and the
// server options the HTTP tests start with.
#pragma once

// <utility> before any Boost.Asio header: Boost 1.74 with g++ 12 misses it.
// clang-format off
#include <utility>
// clang-format on

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>
#include <string_view>

#include "server/http_server.h"

namespace eventlake::server::testing_util {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;

// A blocking client on one connection.
class Client {
 public:
  // `receive_buffer`: SO_RCVBUF before connecting (0: the system's).
  explicit Client(const std::string& address, int receive_buffer = 0) {
    auto [host, port] = SplitHostPort(address).value();
    socket_.open(tcp::v4());
    if (receive_buffer > 0) socket_.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
    socket_.connect(tcp::endpoint(asio::ip::make_address(host), port));
  }
  void SendRaw(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes)); }
  http::response<http::string_body> Read() {
    http::response<http::string_body> response;
    http::read(socket_, buffer_, response);
    return response;
  }
  http::response<http::string_body> Request(std::string_view method, std::string_view target,
                                            std::string_view body = "",
                                            std::string_view extra = "") {
    SendRaw(std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n" +
            std::string(extra) + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
            std::string(body));
    return Read();
  }
  // Reads a response into `parser` (a body cut short leaves the error and
  // what arrived).
  boost::system::error_code Read(http::response_parser<http::string_body>& parser) {
    boost::system::error_code ec;
    http::read(socket_, buffer_, parser, ec);
    return ec;
  }
  // Reads up to a response's head; its body is read with Read(parser).
  boost::system::error_code ReadHead(http::response_parser<http::string_body>& parser) {
    boost::system::error_code ec;
    http::read_header(socket_, buffer_, parser, ec);
    return ec;
  }
  // Reads raw bytes (after what Read consumed) until they contain `needle`.
  std::string ReadRawUntil(std::string_view needle) {
    std::string got(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    buffer_.consume(buffer_.size());
    char bytes[4096];
    while (got.find(needle) == std::string::npos) {
      got.append(bytes, socket_.read_some(asio::buffer(bytes)));
    }
    return got;
  }
  void Close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }
  // True when the server closed the connection (read returns EOF or reset).
  bool ClosedByServer() {
    char byte;
    boost::system::error_code ec;
    socket_.read_some(asio::buffer(&byte, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

 private:
  asio::io_context context_;
  tcp::socket socket_{context_};
  boost::beast::flat_buffer buffer_;
};

inline HttpServerOptions TestOptions() {
  HttpServerOptions options;
  options.listen = "127.0.0.1:0";
  options.threads = 2;
  return options;
}

}  // namespace eventlake::server::testing_util
