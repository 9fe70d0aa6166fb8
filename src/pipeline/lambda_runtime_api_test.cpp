// The Runtime API as a runtime client sees it: /next waits for its
// invocation, answers are accepted once, and whatever a function sends
// that is wrong gets the 4xx Lambda gives.
#include "pipeline/lambda_runtime_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "pipeline/function_test_util.h"

namespace eventlake::pipeline {
namespace {

using testing::HasSubstr;
using testing::StartsWith;
using testing_util::RawRequest;

struct Recorder : RuntimeObserver {
  std::mutex mu;
  std::condition_variable cv;
  int first_nexts = 0;
  std::vector<RuntimeReport> reports;
  void OnFirstNext() override {
    std::lock_guard lock(mu);
    ++first_nexts;
  }
  void OnReport(RuntimeReport r) override {
    std::lock_guard lock(mu);
    reports.push_back(std::move(r));
    cv.notify_all();
  }
};

uint16_t PortOf(const RuntimeEndpoint& endpoint) {
  const std::string& a = endpoint.address();
  return static_cast<uint16_t>(std::stoi(a.substr(a.find(':') + 1)));
}

std::string Post(std::string_view path, std::string_view body, std::string_view extra = "") {
  return "POST " + std::string(path) +
         " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         std::string(extra) + "\r\n" + std::string(body);
}

class LambdaRuntimeApi : public testing::Test {
 protected:
  void SetUp() override {
    auto s = RuntimeApiServer::Start();
    ASSERT_TRUE(s.has_value());
    server_ = std::move(*s);
    recorder_ = std::make_shared<Recorder>();
    auto e = server_->Open(recorder_);
    ASSERT_TRUE(e.has_value()) << e.error().ToString();
    endpoint_ = *e;
    port_ = PortOf(*endpoint_);
  }
  void TearDown() override { endpoint_->Close(); }

  std::unique_ptr<RuntimeApiServer> server_;
  std::shared_ptr<Recorder> recorder_;
  std::shared_ptr<RuntimeEndpoint> endpoint_;
  uint16_t port_ = 0;
};

TEST_F(LambdaRuntimeApi, NextWaitsForTheInvocationAndCarriesItsHeaders) {
  auto next = std::async(std::launch::async, [&] {
    return RawRequest(port_, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n");
  });
  EXPECT_EQ(next.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  endpoint_->Deliver({.request_id = "req-1",
                      .payload = R"({"a":1})",
                      .timeout = std::chrono::seconds(3),
                      .function_arn = "arn:aws:lambda:us-east-1:000000000000:function:f",
                      .trace_id = "t-1"});
  std::string answer = next.get();
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(answer, HasSubstr("Lambda-Runtime-Aws-Request-Id: req-1\r\n"));
  EXPECT_THAT(answer, HasSubstr("Lambda-Runtime-Deadline-Ms: "));
  EXPECT_THAT(
      answer,
      HasSubstr(
          "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:000000000000:function:f"));
  EXPECT_THAT(answer, HasSubstr("Lambda-Runtime-Trace-Id: t-1\r\n"));
  EXPECT_THAT(answer, HasSubstr("\r\n\r\n{\"a\":1}"));

  std::string accepted =
      RawRequest(port_, Post("/2018-06-01/runtime/invocation/req-1/response", "{\"ok\":true}"));
  EXPECT_THAT(accepted, StartsWith("HTTP/1.1 202"));
  std::string again =
      RawRequest(port_, Post("/2018-06-01/runtime/invocation/req-1/response", "{}"));
  EXPECT_THAT(again, StartsWith("HTTP/1.1 400"));  // answered already
  EXPECT_THAT(again, HasSubstr("InvalidRequestID"));
  std::lock_guard lock(recorder_->mu);
  ASSERT_EQ(recorder_->reports.size(), 1u);
  EXPECT_EQ(recorder_->reports[0].request_id, "req-1");
  EXPECT_EQ(recorder_->reports[0].body, "{\"ok\":true}");
  EXPECT_EQ(recorder_->first_nexts, 1);
}

TEST_F(LambdaRuntimeApi, UnknownRequestIdIs400) {
  std::string answer =
      RawRequest(port_, Post("/2018-06-01/runtime/invocation/nope/response", "{}"));
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(answer, HasSubstr("InvalidRequestID"));
  answer = RawRequest(port_, Post("/2018-06-01/runtime/invocation/nope/error", "{}"));
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 400"));
}

TEST_F(LambdaRuntimeApi, OversizedBodyIs413) {
  std::string answer =
      RawRequest(port_,
                 "POST /2018-06-01/runtime/invocation/x/response HTTP/1.1\r\nHost: x\r\n"
                 "Content-Length: 7000000\r\n\r\n{}");
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 413"));
  EXPECT_THAT(answer, HasSubstr("RequestEntityTooLarge"));
}

TEST_F(LambdaRuntimeApi, OversizedAnswerIs413AndFailsItsInvocation) {
  auto next = std::async(std::launch::async, [&] {
    return RawRequest(port_, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n");
  });
  endpoint_->Deliver({.request_id = "big", .payload = "{}", .timeout = std::chrono::seconds(1)});
  EXPECT_THAT(next.get(), StartsWith("HTTP/1.1 200"));
  std::string answer = RawRequest(port_,
                                  "POST /2018-06-01/runtime/invocation/big/response HTTP/1.1\r\n"
                                  "Content-Length: 7000000\r\n\r\n{}");
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 413"));
  std::lock_guard lock(recorder_->mu);
  ASSERT_EQ(recorder_->reports.size(), 1u);
  EXPECT_EQ(recorder_->reports[0].kind, RuntimeReport::Kind::kError);
  EXPECT_EQ(recorder_->reports[0].error_type, "Function.ResponseSizeTooLarge");
}

TEST_F(LambdaRuntimeApi, ConnectionsBeyondTheCapAreClosed) {
  std::vector<int> fds;
  for (int i = 0; i < 40; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    fds.push_back(fd);
  }
  timeval wait{.tv_sec = 2, .tv_usec = 0};
  ::setsockopt(fds.back(), SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  char byte;
  EXPECT_EQ(::recv(fds.back(), &byte, 1, 0), 0);  // closed by the server
  // The server still answers once the hoard is gone.
  for (int fd : fds) ::close(fd);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_THAT(RawRequest(port_, Post("/2018-06-01/runtime/init/error", "{}")),
              StartsWith("HTTP/1.1 202"));
}

TEST_F(LambdaRuntimeApi, OversizedHeaderIs431) {
  std::string answer =
      RawRequest(port_, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nX-Big: " +
                            std::string(20000, 'a') + "\r\n\r\n");
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 431"));
}

TEST_F(LambdaRuntimeApi, WrongPathsMethodsAndGarbageAre4xx) {
  EXPECT_THAT(RawRequest(port_, "GET /2018-06-01/runtime/invocation/next/x HTTP/1.1\r\n\r\n"),
              StartsWith("HTTP/1.1 404"));
  EXPECT_THAT(RawRequest(port_, "GET /other HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 404"));
  EXPECT_THAT(RawRequest(port_, Post("/2018-06-01/runtime/invocation/next", "")),
              StartsWith("HTTP/1.1 405"));
  EXPECT_THAT(RawRequest(port_, "GET /2018-06-01/runtime/invocation/a/response HTTP/1.1\r\n\r\n"),
              StartsWith("HTTP/1.1 405"));
  EXPECT_THAT(RawRequest(port_, "\x01\x02 nonsense\r\n\r\n"), StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(RawRequest(port_, Post("/2018-06-01/runtime/invocation//response", "")),
              StartsWith("HTTP/1.1 404"));
  // Still serving afterwards.
  EXPECT_THAT(RawRequest(port_, Post("/2018-06-01/runtime/init/error", "{}")),
              StartsWith("HTTP/1.1 202"));
}

TEST_F(LambdaRuntimeApi, InitErrorAndFunctionErrorReachTheObserver) {
  std::string init = RawRequest(
      port_, Post("/2018-06-01/runtime/init/error",
                  R"({"errorMessage":"no handler","errorType":"Runtime.ImportModuleError"})",
                  "Lambda-Runtime-Function-Error-Type: Runtime.ImportModuleError\r\n"));
  EXPECT_THAT(init, StartsWith("HTTP/1.1 202"));
  auto next = std::async(std::launch::async, [&] {
    return RawRequest(port_, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n");
  });
  endpoint_->Deliver({.request_id = "r2", .payload = "{}", .timeout = std::chrono::seconds(1)});
  EXPECT_THAT(next.get(), StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(RawRequest(port_, Post("/2018-06-01/runtime/invocation/r2/error",
                                     R"({"errorMessage":"boom"})",
                                     "Lambda-Runtime-Function-Error-Type: Unhandled\r\n")),
              StartsWith("HTTP/1.1 202"));
  std::lock_guard lock(recorder_->mu);
  ASSERT_EQ(recorder_->reports.size(), 2u);
  EXPECT_EQ(recorder_->reports[0].kind, RuntimeReport::Kind::kInitError);
  EXPECT_EQ(recorder_->reports[0].error_type, "Runtime.ImportModuleError");
  EXPECT_EQ(recorder_->reports[1].kind, RuntimeReport::Kind::kError);
  EXPECT_EQ(recorder_->reports[1].error_type, "Unhandled");
}

}  // namespace
}  // namespace eventlake::pipeline
