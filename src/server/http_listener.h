// Internals of HttpServer: the io threads and their acceptors. With
// SO_REUSEPORT every thread accepts on its own socket bound to the same port
// and the kernel spreads connections; without it one acceptor hands
// connections to the threads in turn.
#pragma once

// <utility> before any Boost.Asio header: Boost 1.74 with g++ 12 misses it.
// clang-format off
#include <utility>
// clang-format on

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server/http_connection.h"

namespace eventlake::server {

class HttpListener {
 public:
  // Creates the workers and binds the acceptors; nothing runs yet.
  static Result<std::unique_ptr<HttpListener>> Bind(HttpServerShared* shared);
  ~HttpListener();  // Join()s

  // "host:port" actually bound.
  const std::string& address() const { return address_; }
  bool reuse_port() const { return acceptors_.size() > 1; }

  // Starts one thread per worker.
  void Run();
  // Closes the acceptors (on their threads).
  void StopAccepting();
  // Closes connections that are not handling a request (`all`: every one).
  void CloseConnections(bool all);
  // Stops the io contexts and joins the threads. Pending handlers are
  // destroyed with the workers.
  void Join();

 private:
  struct Acceptor {
    std::unique_ptr<boost::asio::ip::tcp::acceptor> socket;
    size_t worker = 0;                                 // whose io_context it runs on
    std::unique_ptr<boost::asio::steady_timer> retry;  // after accept errors (EMFILE)
  };

  explicit HttpListener(HttpServerShared* shared);
  Status BindAll(const boost::asio::ip::tcp::endpoint& endpoint);
  void Accept(Acceptor* acceptor);
  void OnAccept(Acceptor* acceptor, boost::system::error_code ec,
                boost::asio::ip::tcp::socket socket, IoWorker* target);
  void Reject(boost::asio::ip::tcp::socket socket);

  HttpServerShared* shared_;
  std::vector<std::unique_ptr<IoWorker>> workers_;
  std::vector<Acceptor> acceptors_;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
  size_t next_worker_ = 0;  // round robin of the single acceptor
  std::string address_;
};

}  // namespace eventlake::server
