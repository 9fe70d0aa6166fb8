// StreamWriter and its flow control. The writer decides what an answer
// looks like (one response, or a head and chunks); the connection
// (http_connection.cpp) frames and writes the bytes on its io thread.
#include "server/http_stream.h"

#include "core/logging.h"
#include "server/http_connection.h"
#include "server/problem.h"

namespace eventlake::server {

// ---- StreamFlow ----

Status StreamFlow::ErrorLocked() const {
  if (interrupted_.has_value()) return *interrupted_;
  if (closed_) return Unavailable("the client closed the connection");
  return Status::Ok();
}

Status StreamFlow::Reserve(size_t bytes) {
  std::unique_lock lock(mu_);
  // One piece larger than the limit still goes, alone.
  auto may_go = [&] {
    return closed_ || interrupted_.has_value() || queued_ == 0 || queued_ + bytes <= max_queued_;
  };
  if (!may_go()) {
    ++waits_;
    cv_.wait(lock, may_go);
  }
  EL_RETURN_IF_ERROR(ErrorLocked());
  queued_ += bytes;
  return Status::Ok();
}

Status StreamFlow::Check() {
  std::lock_guard lock(mu_);
  return ErrorLocked();
}

void StreamFlow::Release(size_t bytes) {
  {
    std::lock_guard lock(mu_);
    queued_ -= std::min(bytes, queued_);
  }
  cv_.notify_all();
}

void StreamFlow::Close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

void StreamFlow::Interrupt(Status why) {
  {
    std::lock_guard lock(mu_);
    if (!interrupted_.has_value()) interrupted_ = std::move(why);
  }
  cv_.notify_all();
}

uint64_t StreamFlow::waits() {
  std::lock_guard lock(mu_);
  return waits_;
}

// ---- StreamWriter ----

StreamWriter::StreamWriter(std::shared_ptr<HttpConnection> connection, HttpResponse head,
                           StreamOptions options)
    : connection_(std::move(connection)),
      flow_(std::make_shared<StreamFlow>(options.max_queued_bytes)),
      head_(std::move(head)),
      options_(std::move(options)) {
  head_.body.clear();
  if (connection_ == nullptr) flow_->Close();
}

StreamWriter::~StreamWriter() {
  if (connection_ == nullptr) return;
  if (!connection_->shared()->stopping.load()) {
    LogError("http", "a handler dropped its streamed answer without ending it");
  }
  Fail(ProblemResponse(Internal("the answer was dropped before its end")));
}

Status StreamWriter::Write(std::string_view bytes) {
  if (connection_ == nullptr) return Unavailable("the answer has ended or the server has stopped");
  // Taken even when the answer cannot go on, so that what the producer
  // counted as written is what Finish or Fail sends.
  buffer_.append(bytes);
  EL_RETURN_IF_ERROR(flow_->Check());
  if (buffer_.size() < options_.flush_bytes) return Status::Ok();
  return SendBuffer();
}

Status StreamWriter::Flush() {
  if (connection_ == nullptr || !started_) return Status::Ok();
  EL_RETURN_IF_ERROR(flow_->Check());
  return SendBuffer();
}

Status StreamWriter::SendBuffer() {
  if (!started_) {
    started_ = true;
    connection_->PostStreamHead(head_, options_.trailer_names, flow_);
  }
  if (buffer_.empty()) return Status::Ok();
  EL_RETURN_IF_ERROR(flow_->Reserve(buffer_.size()));
  connection_->PostStreamChunk(std::move(buffer_));
  buffer_.clear();
  // The next piece is about as big; reserving it up front saves regrowth.
  buffer_.reserve(std::min<size_t>(options_.flush_bytes, 1u << 20) + (4u << 10));
  return Status::Ok();
}

// Hands the connection over for the answer's end; null when the server has
// stopped and nobody would write it (the request is accounted for here).
std::shared_ptr<HttpConnection> StreamWriter::TakeConnection() {
  std::shared_ptr<HttpConnection> connection = std::move(connection_);
  connection_ = nullptr;
  if (connection->shared()->io_stopped.load()) {
    connection->shared()->in_flight.fetch_sub(1, std::memory_order_relaxed);
    return nullptr;
  }
  return connection;
}

void StreamWriter::Finish(const HttpFields& trailers, std::string_view last) {
  if (connection_ == nullptr) return;
  buffer_.append(last);
  std::shared_ptr<HttpConnection> connection = TakeConnection();
  if (connection == nullptr) return;
  if (!started_) {
    HttpResponse response = std::move(head_);
    response.body = std::move(buffer_);
    response.headers.insert(response.headers.end(), trailers.begin(), trailers.end());
    return connection->PostResponse(std::move(response));
  }
  // What is left goes without waiting: about flush_bytes at most.
  if (!buffer_.empty()) connection->PostStreamChunk(std::move(buffer_));
  connection->PostStreamEnd(trailers);
}

void StreamWriter::Fail(HttpResponse problem) {
  if (connection_ == nullptr) return;
  if (!started_) {
    buffer_ = std::move(problem.body);
    head_ = std::move(problem);
    return Finish({});
  }
  std::shared_ptr<HttpConnection> connection = TakeConnection();
  if (connection == nullptr) return;
  if (!buffer_.empty()) connection->PostStreamChunk(std::move(buffer_));
  connection->PostStreamAbort();
}

void StreamWriter::Interrupt(Status why) { flow_->Interrupt(std::move(why)); }

}  // namespace eventlake::server
