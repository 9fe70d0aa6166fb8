// One HTTP/1.1 connection: read a request, hand it to the handler, write the
// response, repeat while keep-alive. No per-operation timers: the worker's
// sweep closes connections that wait on the client for too long.
#include "server/http_connection.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <chrono>
#include <ctime>

#include "core/logging.h"
#include "server/problem.h"

namespace eventlake::server {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;

namespace {

constexpr size_t kReadBufferBytes = 64u << 10;
// A connection that was sent an error is drained (so that the client reads
// the answer instead of a reset) for at most this long.
constexpr int64_t kDrainNanos = 2'000'000'000;

// "Tue, 25 Nov 2026 02:06:55 GMT", formatted once per second per thread.
std::string_view HttpDate() {
  thread_local std::time_t cached_second = 0;
  thread_local char text[40] = {};
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_second = now;
  }
  return text;
}

// `length_field`: "Content-Length: N", or the chunked framing of a stream.
void SerializeHead(const HttpResponse& response, bool keep_alive, unsigned version,
                   std::string_view length_field, std::string* out) {
  out->clear();
  out->append("HTTP/1.1 ");
  out->append(std::to_string(response.status));
  out->push_back(' ');
  out->append(ReasonPhrase(response.status));
  out->append("\r\nDate: ");
  out->append(HttpDate());
  out->append("\r\nContent-Type: ");
  out->append(response.content_type);
  if (!length_field.empty()) {
    out->append("\r\n");
    out->append(length_field);
  }
  if (!keep_alive) {
    out->append("\r\nConnection: close");
  } else if (version == 10) {
    out->append("\r\nConnection: keep-alive");
  }
  for (const auto& [name, value] : response.headers) {
    out->append("\r\n");
    out->append(name);
    out->append(": ");
    out->append(value);
  }
  out->append("\r\n\r\n");
}

std::string ContentLength(size_t bytes) { return "Content-Length: " + std::to_string(bytes); }

bool IsExpectContinue(const HttpRequest& request) {
  auto it = request.find(http::field::expect);
  return it != request.end() && boost::beast::iequals(it->value(), "100-continue");
}

}  // namespace

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

HttpConnection::HttpConnection(asio::ip::tcp::socket socket, IoWorker* worker)
    : socket_(std::move(socket)), worker_(worker) {
  buffer_.reserve(kReadBufferBytes);
}

HttpConnection::~HttpConnection() { Unregister(); }

void HttpConnection::Start() {
  worker_->Add(this);
  registered_ = true;
  ReadHeader();
}

void HttpConnection::Unregister() {
  if (!registered_) return;
  registered_ = false;
  worker_->Remove(this);
}

bool HttpConnection::ExpiredAt(int64_t now_nanos) const {
  switch (state_) {
    case State::kHandling:
    case State::kClosed:
      return false;
    case State::kDraining:
      return now_nanos - last_active_nanos_ > kDrainNanos;
    case State::kStreaming:  // expired only when the client does not take what is written
      return stream_writing_ && now_nanos - last_active_nanos_ >
                                    std::chrono::nanoseconds(shared()->options.idle_timeout).count();
    default:
      return now_nanos - last_active_nanos_ >
             std::chrono::nanoseconds(shared()->options.idle_timeout).count();
  }
}

void HttpConnection::Close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  if (flow_ != nullptr) flow_->Close();  // a producer waiting for the socket stops
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  Unregister();
}

void HttpConnection::ReadHeader() {
  if (shared()->stopping.load(std::memory_order_relaxed)) return Close();
  state_ = State::kReading;
  last_active_nanos_ = NowNanos();
  parser_.emplace();
  parser_->body_limit(shared()->options.max_body_bytes);
  parser_->header_limit(shared()->options.max_header_bytes);
  http::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](error_code ec, size_t) { self->OnHeader(ec); });
}

void HttpConnection::OnHeader(error_code ec) {
  if (ec) return FailRead(ec);
  if (parser_->is_done()) return Dispatch();
  if (IsExpectContinue(parser_->get())) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    asio::async_write(socket_, asio::buffer(kContinue.data(), kContinue.size()),
                      [self = shared_from_this()](error_code ec, size_t) {
                        if (ec) return self->Close();
                        self->ReadBody();
                      });
    return;
  }
  ReadBody();
}

void HttpConnection::ReadBody() {
  const HttpServerOptions& options = shared()->options;
  auto length = parser_->content_length();  // a boost::optional
  if (options.body_slack_bytes > 0 && length && *length <= options.max_body_bytes) {
    // Beast's body reader reserves the length itself, which never shrinks this.
    parser_->get().body().reserve(*length + options.body_slack_bytes);
  }
  http::async_read(socket_, buffer_, *parser_,
                   [self = shared_from_this()](error_code ec, size_t) { self->OnBody(ec); });
}

void HttpConnection::OnBody(error_code ec) {
  if (ec) return FailRead(ec);
  Dispatch();
}

void HttpConnection::FailRead(error_code ec) {
  if (state_ == State::kClosed) return;
  HttpServerShared* shared = this->shared();
  HttpResponse problem;
  Counter* counter = nullptr;
  if (ec == http::error::body_limit) {
    counter = shared->bodies_too_large;
    problem = ProblemResponse(413, "payload_too_large",
                              "the request body is larger than server.max_body_bytes (" +
                                  std::to_string(shared->options.max_body_bytes) + " bytes)");
  } else if (ec == http::error::header_limit) {
    counter = shared->headers_too_large;
    problem = ProblemResponse(431, "request_header_fields_too_large",
                              "the request header is larger than " +
                                  std::to_string(shared->options.max_header_bytes) + " bytes");
  } else if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
             ec != http::error::end_of_stream && ec != http::error::partial_message) {
    counter = shared->bad_requests;
    problem = ProblemResponse(400, "bad_request", "malformed HTTP request: " + ec.message());
  } else {
    return Close();  // the client went away, or the socket was closed
  }
  if (counter != nullptr) counter->Increment();
  request_start_nanos_ = NowNanos();
  observer_ = nullptr;
  version_ = 11;
  Write(std::move(problem), /*close_after=*/true);
}

void HttpConnection::Dispatch() {
  state_ = State::kHandling;
  request_start_nanos_ = NowNanos();
  HttpRequest request = parser_->release();
  keep_alive_ = request.keep_alive();
  version_ = request.version();
  observer_ = nullptr;
  shared()->in_flight.fetch_add(1, std::memory_order_relaxed);
  shared()->handler(std::move(request), Responder(shared_from_this()));
}

void HttpConnection::PostResponse(HttpResponse response) {
  asio::dispatch(socket_.get_executor(),
                 [self = shared_from_this(), response = std::move(response)]() mutable {
                   self->OnResponse(std::move(response));
                 });
}

void HttpConnection::OnResponse(HttpResponse response) {
  shared()->in_flight.fetch_sub(1, std::memory_order_relaxed);
  if (observer_ != nullptr) {
    observer_->OnResponse(response.status, (NowNanos() - request_start_nanos_) / 1e9);
  }
  if (state_ != State::kHandling) return;  // closed while the handler worked
  bool close_after = !keep_alive_ || shared()->stopping.load(std::memory_order_relaxed);
  Write(std::move(response), close_after);
}

void HttpConnection::Write(HttpResponse response, bool close_after) {
  state_ = State::kWriting;
  last_active_nanos_ = NowNanos();
  close_after_write_ = close_after;
  SerializeHead(response, !close_after, version_, ContentLength(response.body.size()), &head_out_);
  body_out_ = std::move(response.body);
  std::array<asio::const_buffer, 2> buffers{asio::buffer(head_out_), asio::buffer(body_out_)};
  asio::async_write(socket_, buffers,
                    [self = shared_from_this()](error_code ec, size_t) { self->OnWritten(ec); });
}

void HttpConnection::OnWritten(error_code ec) {
  if (state_ == State::kClosed) return;
  if (ec) return Close();
  body_out_.clear();
  if (!close_after_write_) return ReadHeader();
  if (parser_ && !parser_->is_done()) {
    // Unread request bytes may follow: closing now would reset the
    // connection and could destroy the answer before the client reads it.
    state_ = State::kDraining;
    last_active_nanos_ = NowNanos();
    error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    return Drain();
  }
  Close();
}

void HttpConnection::Drain() {
  buffer_.clear();
  socket_.async_read_some(buffer_.prepare(kReadBufferBytes),
                          [self = shared_from_this()](error_code ec, size_t) {
                            if (ec || self->state_ != State::kDraining) return self->Close();
                            self->Drain();
                          });
}

// ---- Streamed answers ----
//
// The producer's posts arrive in order on the io thread: head, chunks, then
// End or Abort. Each ends the request's accounting exactly once (in_flight,
// the observer) in StreamDone, whatever happened to the socket meanwhile.

void HttpConnection::PostStreamHead(HttpResponse head, std::vector<std::string> trailer_names,
                                    std::shared_ptr<StreamFlow> flow) {
  asio::dispatch(socket_.get_executor(), [self = shared_from_this(), head = std::move(head),
                                          names = std::move(trailer_names),
                                          flow = std::move(flow)]() mutable {
    self->StartStream(std::move(head), names, std::move(flow));
  });
}

void HttpConnection::PostStreamChunk(std::string bytes) {
  asio::dispatch(socket_.get_executor(), [self = shared_from_this(), bytes = std::move(bytes)]() mutable {
    if (self->state_ != State::kStreaming) return;
    const size_t payload = bytes.size();
    if (!self->chunked_) return self->QueueStreamBytes(std::move(bytes), payload);
    char size[24];
    const int n = std::snprintf(size, sizeof size, "%zx\r\n", payload);
    std::string framed;
    framed.reserve(payload + static_cast<size_t>(n) + 2);
    framed.append(size, static_cast<size_t>(n)).append(bytes).append("\r\n");
    self->QueueStreamBytes(std::move(framed), payload);
  });
}

void HttpConnection::PostStreamEnd(HttpFields trailers) {
  asio::dispatch(socket_.get_executor(), [self = shared_from_this(), trailers = std::move(trailers)] {
    if (self->state_ == State::kStreaming && self->chunked_) {
      std::string last = "0\r\n";
      for (const auto& [name, value] : trailers) last.append(name).append(": ").append(value).append("\r\n");
      last.append("\r\n");
      self->QueueStreamBytes(std::move(last), 0);
    }
    self->EndStream(StreamEnd::kFinish);
  });
}

void HttpConnection::PostStreamAbort() {
  asio::dispatch(socket_.get_executor(),
                 [self = shared_from_this()] { self->EndStream(StreamEnd::kAbort); });
}

void HttpConnection::StartStream(HttpResponse head, const std::vector<std::string>& trailer_names,
                                 std::shared_ptr<StreamFlow> flow) {
  flow_ = std::move(flow);
  if (state_ != State::kHandling) return flow_->Close();  // closed while the handler worked
  state_ = State::kStreaming;
  stream_out_.clear();
  stream_status_ = head.status;
  stream_end_ = StreamEnd::kNone;
  chunked_ = version_ >= 11;
  // HTTP/1.0 has no chunks: the body ends when the connection does.
  close_after_write_ = !chunked_ || !keep_alive_ || shared()->stopping.load(std::memory_order_relaxed);
  std::string framing;
  if (chunked_) {
    framing = "Transfer-Encoding: chunked";
    for (size_t i = 0; i < trailer_names.size(); ++i) {
      framing.append(i == 0 ? "\r\nTrailer: " : ", ").append(trailer_names[i]);
    }
  }
  std::string out;
  SerializeHead(head, !close_after_write_, version_, framing, &out);
  QueueStreamBytes(std::move(out), 0);
}

void HttpConnection::QueueStreamBytes(std::string bytes, size_t payload) {
  stream_out_.emplace_back(std::move(bytes), payload);
  if (!stream_writing_) WriteStreamBytes();
}

void HttpConnection::EndStream(StreamEnd end) {
  stream_end_ = end;
  if (stream_writing_) return;  // OnStreamWritten goes on
  if (state_ != State::kStreaming) return StreamDone();  // the socket is gone already
  WriteStreamBytes();
}

void HttpConnection::WriteStreamBytes() {
  if (stream_out_.empty()) {
    if (stream_end_ == StreamEnd::kNone) return;  // the producer has more to say
    const bool finished = stream_end_ == StreamEnd::kFinish && chunked_;
    StreamDone();
    if (!finished) return Close();  // aborted: no last chunk tells the client the body is cut
    state_ = State::kWriting;
    return OnWritten({});  // the next request, or closes as a written response would
  }
  stream_writing_ = true;
  last_active_nanos_ = NowNanos();
  asio::async_write(socket_, asio::buffer(stream_out_.front().first),
                    [self = shared_from_this()](error_code ec, size_t) { self->OnStreamWritten(ec); });
}

void HttpConnection::OnStreamWritten(error_code ec) {
  stream_writing_ = false;
  if (ec && state_ == State::kStreaming) Close();
  if (state_ != State::kStreaming) {
    if (stream_end_ != StreamEnd::kNone) StreamDone();  // else EndStream will
    return;
  }
  last_active_nanos_ = NowNanos();
  flow_->Release(stream_out_.front().second);
  stream_out_.pop_front();
  WriteStreamBytes();
}

void HttpConnection::StreamDone() {
  if (flow_ == nullptr) return;  // done already
  shared()->in_flight.fetch_sub(1, std::memory_order_relaxed);
  if (observer_ != nullptr) {
    observer_->OnResponse(stream_status_, (NowNanos() - request_start_nanos_) / 1e9);
    observer_ = nullptr;
  }
  flow_.reset();
}

}  // namespace eventlake::server
