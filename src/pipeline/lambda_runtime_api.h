// The AWS Lambda Runtime API (version 2018-06-01) that a `function`
// step's instances talk to, so that Lambda runtime clients (awslambdaric,
// aws-lambda-cpp, a bash + curl `bootstrap`) run unchanged:
//
//   GET  /2018-06-01/runtime/invocation/next           blocks until an
//        invocation; 200 with the event JSON and the headers
//        Lambda-Runtime-Aws-Request-Id, Lambda-Runtime-Deadline-Ms,
//        Lambda-Runtime-Invoked-Function-Arn (and -Trace-Id when set)
//   POST /2018-06-01/runtime/invocation/{id}/response  202
//   POST /2018-06-01/runtime/invocation/{id}/error     202; the body is
//        {errorMessage, errorType, stackTrace}, the type may also come in
//        the Lambda-Runtime-Function-Error-Type header
//   POST /2018-06-01/runtime/init/error                202
//
// As Lambda answers: an id that is not the outstanding invocation's 400
// {"errorType":"InvalidRequestID"}; a body over max_body_bytes 413
// (RequestEntityTooLarge; an answer to an outstanding invocation that is
// too large also fails it, as the error Function.ResponseSizeTooLarge); a
// header over max_header_bytes 431; malformed HTTP 400; another path 404,
// another method 405. At most 16 connections per endpoint (more are
// closed at once). Whatever an instance sends never crashes the server.
//
// One RuntimeEndpoint (its own loopback port) per instance: the
// AWS_LAMBDA_RUNTIME_API of that process only, so each /next is that
// instance's without a path or token to tell them apart. All endpoints of
// a server share its one io thread.
#pragma once

// <utility> before any Boost.Asio header: Boost 1.74 with g++ 12 misses it.
// clang-format off
#include <utility>
// clang-format on

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"

namespace eventlake::pipeline {

struct RuntimeInvocation {
  std::string request_id;
  std::string payload;                // the event JSON
  std::chrono::milliseconds timeout;  // Lambda-Runtime-Deadline-Ms: delivered + timeout
  std::string function_arn;
  std::string trace_id;  // "" = no Lambda-Runtime-Trace-Id header
};

// What an instance said: the answer to an invocation, or its init error.
struct RuntimeReport {
  enum class Kind { kResponse, kError, kInitError };
  Kind kind = Kind::kResponse;
  std::string request_id;  // "" for init errors
  std::string body;        // the response, or the error document
  std::string error_type;  // Lambda-Runtime-Function-Error-Type ("" = not sent)
};

// Called on the server's io thread; must not block.
class RuntimeObserver {
 public:
  virtual ~RuntimeObserver() = default;
  // The instance's first GET /next: its init is done (the end of a cold start).
  virtual void OnFirstNext() = 0;
  virtual void OnReport(RuntimeReport report) = 0;
};

struct RuntimeApiLimits {
  size_t max_body_bytes = 6u << 20;  // Lambda's synchronous payload limit (6 MB)
  size_t max_header_bytes = 16u << 10;
};

class RuntimeEndpoint;

class RuntimeApiServer {
 public:
  // Starts the io thread.
  static Result<std::unique_ptr<RuntimeApiServer>> Start(RuntimeApiLimits limits = {});
  // Closes every endpoint and joins the io thread; the observers are not
  // called afterwards.
  ~RuntimeApiServer();
  RuntimeApiServer(const RuntimeApiServer&) = delete;
  RuntimeApiServer& operator=(const RuntimeApiServer&) = delete;

  // For timers and descriptors that belong on the same thread.
  boost::asio::io_context& context() { return context_; }
  const RuntimeApiLimits& limits() const { return limits_; }

  // Closes every endpoint and joins the io thread (the destructor does it
  // too): afterwards objects on context() may be destroyed from any thread.
  void Shutdown();

  // Binds 127.0.0.1 on a free port for one instance. The observer is kept
  // until the endpoint is closed.
  Result<std::shared_ptr<RuntimeEndpoint>> Open(std::shared_ptr<RuntimeObserver> observer);

 private:
  explicit RuntimeApiServer(RuntimeApiLimits limits) : limits_(limits) {}

  RuntimeApiLimits limits_;
  boost::asio::io_context context_{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_{
      context_.get_executor()};
  std::mutex mu_;
  std::vector<std::weak_ptr<RuntimeEndpoint>> endpoints_;  // guarded by mu_
  std::thread thread_;
};

// One instance's Runtime API. Thread-safe: Deliver and Close post to the
// io thread. Destroying the last reference without Close leaves it open
// until the server stops.
class RuntimeEndpoint {
 public:
  virtual ~RuntimeEndpoint() = default;
  // "127.0.0.1:<port>", the instance's AWS_LAMBDA_RUNTIME_API.
  virtual const std::string& address() const = 0;
  // The next (or the waiting) GET /next answers with this invocation.
  virtual void Deliver(RuntimeInvocation invocation) = 0;
  // Stops listening and closes the instance's connections; no observer
  // calls after the close has run on the io thread.
  virtual void Close() = 0;
};

}  // namespace eventlake::pipeline
