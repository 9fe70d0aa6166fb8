// A real Lambda runtime client as a `function`: the Python
// awslambdaric package (`python3 -m awslambdaric app.handler`), installed
// by scripts/bootstrap --tests. Skipped only when the module is not
// importable.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "pipeline/function_instances.h"
#include "pipeline/function_step.h"
#include "pipeline/function_test_util.h"

namespace eventlake::pipeline {
namespace {

using testing::HasSubstr;
using namespace testing_util;

// The interpreter itself (not a pyenv shim, which needs its own
// environment), or "" when python3 or awslambdaric is missing.
std::string PythonWithRic() {
  FILE* p =
      ::popen("python3 -c 'import sys, awslambdaric; print(sys.executable)' 2>/dev/null", "r");
  if (p == nullptr) return "";
  char buf[4096] = {};
  std::string out = std::fgets(buf, sizeof buf, p) != nullptr ? buf : "";
  ::pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

constexpr std::string_view kApp = R"(import json

def handler(event, context):
    failures = []
    events = []
    for record in event["Records"]:
        body = json.loads(record["body"])
        if body["data"].get("bad"):
            failures.append({"itemIdentifier": record["messageId"]})
        else:
            body["data"]["seen_by"] = context.function_name
            events.append(body)
    return {"batchItemFailures": failures, "events": events}

def raising(event, context):
    raise ValueError("no good")

def hog(event, context):
    return len(bytearray(512 << 20))
)";

class LambdaRic : public testing::Test {
 protected:
  void SetUp() override {
    python_ = PythonWithRic();
    if (python_.empty())
      GTEST_SKIP() << "python3 -m awslambdaric is not importable: run scripts/bootstrap --tests";
    dir_ = FreshDir("ric");
    WriteFile(dir_ + "/app.py", kApp);
    options_.name = "ric";
    options_.directory = dir_;
    options_.timeout = std::chrono::seconds(10);
  }
  std::unique_ptr<FunctionStep> Step(const std::string& handler) {
    options_.handler = handler;
    options_.command = {python_, "-m", "awslambdaric", handler};
    auto step = FunctionStep::CreateProcess(options_, {.stream = "s"}, &metrics_);
    EXPECT_TRUE(step.has_value()) << step.error().ToString();
    return step.has_value() ? std::move(*step) : nullptr;
  }

  std::string python_;
  std::string dir_;
  FunctionStepOptions options_;
  MetricsRegistry metrics_;
};

TEST_F(LambdaRic, HandlerReturnsBatchItemFailuresAndNewEvents) {
  auto step = Step("app.handler");
  ASSERT_NE(step, nullptr);
  std::vector<BatchRecord> batch = {Record("a", R"({"n":1})"), Record("b", R"({"bad":true})"),
                                    Record("c", R"({"n":3})")};
  for (int round = 0; round < 2; ++round) {  // cold, then warm
    StepResult r = step->Run(batch);
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    ASSERT_EQ(r.failed.size(), 1u);
    EXPECT_EQ(r.failed[0].index, 1u);
    ASSERT_EQ(r.out.size(), 2u);
    EXPECT_EQ(r.out[0].id, "a");
    EXPECT_EQ(r.out[0].data, R"({"n":1,"seen_by":"ric"})");
    EXPECT_EQ(r.out[1].id, "c");
  }
  EXPECT_EQ(MetricValue(metrics_, R"(eventlake_function_cold_starts_total{function="ric"})"), 1);
  EXPECT_EQ(
      MetricValue(metrics_,
                  R"(eventlake_function_invocations_total{function="ric",outcome="success"})"),
      2);
}

TEST_F(LambdaRic, RaisedExceptionFailsTheBatch) {
  auto step = Step("app.raising");
  ASSERT_NE(step, nullptr);
  StepResult r = step->Run(std::vector<BatchRecord>{Record("a", "1")});
  EXPECT_EQ(r.status.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status.message(), HasSubstr("ValueError: no good"));
}

TEST_F(LambdaRic, MissingHandlerIsAnInitError) {
  auto step = Step("app.nope");
  ASSERT_NE(step, nullptr);
  StepResult r = step->Run(std::vector<BatchRecord>{Record("a", "1")});
  EXPECT_EQ(r.status.code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status.message(), HasSubstr("failed to initialise: Runtime.HandlerNotFound"));
  EXPECT_EQ(
      MetricValue(metrics_,
                  R"(eventlake_function_invocations_total{function="ric",outcome="init_error"})"),
      1);
}

TEST_F(LambdaRic, AllocationBeyondTheMemoryLimitIsAFunctionError) {
  options_.memory_bytes = 128u << 20;
  auto step = Step("app.hog");
  ASSERT_NE(step, nullptr);
  StepResult r = step->Run(std::vector<BatchRecord>{Record("a", "1")});
  EXPECT_FALSE(r.status.ok());
  EXPECT_THAT(r.status.message(), HasSubstr("MemoryError"));
}

}  // namespace
}  // namespace eventlake::pipeline
