// Internals of HttpServer: one io thread's share of the work (IoWorker) and
// one client connection (HttpConnection). Not for use outside the server room.
//
// Threads: everything about a connection runs on its worker's io thread,
// except HttpConnection::PostResponse and the PostStream* calls (any
// thread), which post there. The
// worker's connection set is guarded by a mutex because a connection may be
// destroyed on another thread (its last Responder dropped there).
#pragma once

// <utility> before any Boost.Asio header: Boost 1.74 with g++ 12 misses it.
// clang-format off
#include <utility>
// clang-format on

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>

#include "server/http_server.h"
#include "server/http_stream.h"

namespace eventlake::server {

class IoWorker {
 public:
  explicit IoWorker(HttpServerShared* shared);
  IoWorker(const IoWorker&) = delete;
  IoWorker& operator=(const IoWorker&) = delete;

  boost::asio::io_context& context() { return context_; }
  HttpServerShared* shared() const { return shared_; }

  void Add(HttpConnection* connection);
  void Remove(HttpConnection* connection);

  // On the io thread: starts the periodic idle sweep.
  void StartSweep();
  // On the io thread: closes connections that are not between receiving a
  // request and sending its response (all of them when `all`).
  void CloseConnections(bool all);

 private:
  void Sweep();

  HttpServerShared* shared_;
  // Declared before context_: connections destroyed with the context remove themselves.
  std::mutex mu_;
  std::unordered_set<HttpConnection*> connections_;  // guarded by mu_
  boost::asio::io_context context_{1};
  boost::asio::steady_timer sweep_timer_{context_};
};

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(boost::asio::ip::tcp::socket socket, IoWorker* worker);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // On the io thread: registers with the worker and reads the first request.
  void Start();
  // Any thread: hands the response for the current request to the io thread.
  void PostResponse(HttpResponse response);
  // Any thread, in this order, for a streamed answer (StreamWriter): the
  // head (chunked; `flow` learns what the socket took), body pieces, then
  // exactly one of End (last chunk and trailers) or Abort (close without
  // the last chunk, after what is queued). Once closed they drop their bytes.
  void PostStreamHead(HttpResponse head, std::vector<std::string> trailer_names,
                      std::shared_ptr<StreamFlow> flow);
  void PostStreamChunk(std::string bytes);
  void PostStreamEnd(HttpFields trailers);
  void PostStreamAbort();

  boost::asio::any_io_executor executor() { return socket_.get_executor(); }
  HttpServerShared* shared() const { return worker_->shared(); }
  void set_observer(ResponseObserver* observer) { observer_ = observer; }

  // On the io thread, for the sweeps: true when the connection waits on the
  // client (reading, writing, draining) for longer than allowed.
  bool ExpiredAt(int64_t now_nanos) const;
  // True between a request being handed to the handler and the end of its
  // response (streamed answers included).
  bool handling() const { return state_ == State::kHandling || state_ == State::kStreaming; }
  // On the io thread: closes the socket; pending operations end.
  void Close();

 private:
  enum class State { kReading, kHandling, kStreaming, kWriting, kDraining, kClosed };
  enum class StreamEnd { kNone, kFinish, kAbort };

  void ReadHeader();
  void OnHeader(boost::system::error_code ec);
  void ReadBody();
  void OnBody(boost::system::error_code ec);
  void Dispatch();
  void OnResponse(HttpResponse response);
  void Write(HttpResponse response, bool close_after);
  void OnWritten(boost::system::error_code ec);
  void FailRead(boost::system::error_code ec);
  void StartStream(HttpResponse head, const std::vector<std::string>& trailer_names,
                   std::shared_ptr<StreamFlow> flow);
  void QueueStreamBytes(std::string bytes, size_t payload);
  void EndStream(StreamEnd end);
  void WriteStreamBytes();
  void OnStreamWritten(boost::system::error_code ec);
  void StreamDone();
  void Drain();
  void Unregister();

  boost::asio::ip::tcp::socket socket_;
  IoWorker* worker_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  State state_ = State::kReading;
  bool registered_ = false;
  bool keep_alive_ = true;
  bool close_after_write_ = false;
  unsigned version_ = 11;
  int64_t last_active_nanos_ = 0;
  int64_t request_start_nanos_ = 0;
  ResponseObserver* observer_ = nullptr;
  std::string head_out_;  // serialised status line and header fields
  std::string body_out_;
  // A streamed answer: what waits for the socket (framed bytes, the payload
  // bytes they hold for flow_), and how it ends once they are written.
  std::shared_ptr<StreamFlow> flow_;
  std::deque<std::pair<std::string, size_t>> stream_out_;
  bool stream_writing_ = false;
  bool chunked_ = true;  // false for HTTP/1.0 clients: the body ends with the connection
  StreamEnd stream_end_ = StreamEnd::kNone;
  unsigned stream_status_ = 200;
};

// Monotonic nanoseconds for connection timing.
int64_t NowNanos();

}  // namespace eventlake::server
