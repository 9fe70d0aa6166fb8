// A response whose body is produced in pieces by a thread that may block
// (a query's worker): StreamWriter. It buffers the body up to a threshold;
// a body that ends within it leaves as one ordinary response (Content-Length,
// the trailers as header fields, or a problem instead), so that errors found
// early keep their HTTP status. Past the threshold the head goes out with
// `Transfer-Encoding: chunked` and every further threshold's worth is a
// chunk; from then on the status is fixed, and a failure can only end the
// body early (no last chunk: the client sees an incomplete message).
//
// Backpressure: at most max_queued_bytes wait for the socket; Write blocks
// the calling thread beyond that until the client reads, the connection
// closes (the client went away, or the idle sweep found it not reading for
// idle_timeout) or Interrupt is called.
//
// Threads: Write, Finish and Fail are called by one thread at a time (the
// producer); Interrupt from any thread. All socket work happens on the
// connection's io thread (posted there).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "server/http_message.h"

namespace eventlake::server {

class HttpConnection;

struct StreamOptions {
  size_t flush_bytes = 64u << 10;        // buffered before a chunk goes out (the first: the head)
  size_t max_queued_bytes = 256u << 10;  // written but not yet taken by the socket; Write waits beyond
  // Names of the trailer fields Finish may send, declared in the head's
  // `Trailer` field.
  std::vector<std::string> trailer_names;
};

using HttpFields = std::vector<std::pair<std::string, std::string>>;

// The flow control that a StreamWriter (producer thread) and its connection
// (io thread) share. Internal to the server room.
class StreamFlow {
 public:
  // Producer: waits until `bytes` more may be queued (or nothing is queued),
  // then counts them. The error when the connection closed or Interrupt was called.
  Status Reserve(size_t bytes);
  // The error Reserve would give now, without waiting; OK otherwise.
  Status Check();
  // Io thread: the socket took `bytes`.
  void Release(size_t bytes);
  // Io thread: the connection closed; every Reserve fails from now on.
  void Close();
  // Any thread.
  void Interrupt(Status why);
  uint64_t waits();

  explicit StreamFlow(size_t max_queued_bytes) : max_queued_(max_queued_bytes) {}

 private:
  Status ErrorLocked() const;

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  size_t queued_ = 0;            // guarded by mu_
  uint64_t waits_ = 0;           // guarded by mu_: Reserves that had to wait
  bool closed_ = false;          // guarded by mu_
  std::optional<Status> interrupted_;  // guarded by mu_
};

// Holds its connection until Finish or Fail; like a Responder it must not
// outlive the HttpServer (Stop closes its connection, so a waiting Write
// returns and the producer can end).
class StreamWriter {
 public:
  // Made by Responder::Stream. `head`: status, content type and header
  // fields of the answer (its body is ignored). A null connection (the
  // server has stopped) makes a writer whose writes fail.
  StreamWriter(std::shared_ptr<HttpConnection> connection, HttpResponse head, StreamOptions options);
  // Neither Finish nor Fail was called: Fail with a 500 problem.
  ~StreamWriter();
  StreamWriter(const StreamWriter&) = delete;
  StreamWriter& operator=(const StreamWriter&) = delete;

  // Appends body bytes; may send them (and the head) and block for
  // backpressure. Unavailable when the client went away, Interrupt's
  // status after it: the producer should stop. The bytes are taken even
  // then (Finish or Fail sends them if the answer still can).
  Status Write(std::string_view bytes);
  // Once started, sends what is buffered now (may block like Write);
  // before, does nothing: the first flush_bytes decide the status.
  Status Flush();
  // True once the head went out: the status can no longer change.
  bool started() const { return started_; }
  // Ends the body with `last` (never waits, never fails). Not started: one
  // response with Content-Length and `trailers` as header fields. Started:
  // the rest, the last chunk, then `trailers` (send only names declared in
  // StreamOptions::trailer_names).
  void Finish(const HttpFields& trailers, std::string_view last = {});
  // Ends the answer with a failure. Not started: `problem` is the answer.
  // Started: what is buffered goes out, then the connection closes without
  // the last chunk.
  void Fail(HttpResponse problem);
  // Any thread: a Write blocked now or later returns `why`.
  void Interrupt(Status why);
  // How many times Write waited for the client (tests watch backpressure).
  uint64_t waits() const { return flow_->waits(); }

 private:
  Status SendBuffer();
  std::shared_ptr<HttpConnection> TakeConnection();

  std::shared_ptr<HttpConnection> connection_;  // null once finished
  std::shared_ptr<StreamFlow> flow_;
  HttpResponse head_;
  StreamOptions options_;
  std::string buffer_;
  bool started_ = false;
};

}  // namespace eventlake::server
