// The `function` step with a plain bash + curl bootstrap as its runtime:
// what comes back, partial batch responses, every way an instance can
// fail, and the pool (cold starts, warm reuse, the cap, scale to zero).
#include "pipeline/function_step.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "log/stream.h"
#include "pipeline/function_instances.h"
#include "pipeline/function_test_util.h"
#include "pipeline/pipeline.h"

namespace eventlake::pipeline {
namespace {

using testing::HasSubstr;
using namespace testing_util;

class FunctionStepShell : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshDir("function");
    WriteFile(dir_ + "/bootstrap", kBootstrap, /*executable=*/true);
    options_.name = "echo";
    options_.command = {"./bootstrap"};
    options_.directory = dir_;
    options_.timeout = std::chrono::seconds(3);
    options_.idle_timeout = std::chrono::seconds(60);
    options_.concurrency = 2;
  }

  std::unique_ptr<FunctionStep> Step() {
    auto step = FunctionStep::CreateProcess(options_, {.region = "eu-west-1", .stream = "clicks"},
                                            &metrics_);
    EXPECT_TRUE(step.has_value()) << step.error().ToString();
    return step.has_value() ? std::move(*step) : nullptr;
  }
  double Metric(std::string_view name, std::string_view extra = "") {
    return MetricValue(metrics_,
                       std::string(name) + "{function=\"echo\"" + std::string(extra) + "}");
  }
  FunctionInstances& Instances(FunctionStep& step) {
    return static_cast<FunctionInstances&>(step.invoker());
  }

  std::string dir_;
  FunctionStepOptions options_;
  MetricsRegistry metrics_;
};

TEST_F(FunctionStepShell, EventsPassOnWhenTheFunctionSaysNothingOfThem) {
  auto step = Step();
  ASSERT_NE(step, nullptr);
  std::vector<BatchRecord> batch = {Record("a", R"({"n":1})"), Record("b", R"({"n":2})")};
  StepResult r = step->Run(batch);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.out.size(), 2u);
  EXPECT_EQ(r.Event(0, batch), batch[0].event);
  EXPECT_EQ(r.Event(1, batch), batch[1].event);
  EXPECT_TRUE(r.failed.empty());
  // Warm: the second batch goes to the same instance.
  r = step->Run(batch);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(Metric("eventlake_function_cold_starts_total"), 1);
  EXPECT_EQ(Metric("eventlake_function_invocations_total", ",outcome=\"success\""), 2);
  EXPECT_EQ(Metric("eventlake_function_cold_start_seconds_count"), 1);
  EXPECT_EQ(Metric("eventlake_function_instances"), 1);
  EXPECT_EQ(CountLines(dir_ + "/pids"), 1u);
}

TEST_F(FunctionStepShell, BatchItemFailuresFailThoseRecordsAlone) {
  options_.environment = {{"FAIL_ID", "b"}};
  auto step = Step();
  ASSERT_NE(step, nullptr);
  std::vector<BatchRecord> batch = {Record("a", "1"), Record("b", "2"), Record("c", "3")};
  StepResult r = step->Run(batch);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.failed.size(), 1u);
  EXPECT_EQ(r.failed[0].index, 1u);
  ASSERT_EQ(r.out.size(), 2u);
  EXPECT_EQ(r.Event(0, batch).id, "a");
  EXPECT_EQ(r.Event(1, batch).id, "c");

  // The batch runner retries b alone, then dead-letters it.
  BatchRunner runner({.max_attempts = 2}, &SystemClock(), [](std::chrono::microseconds) {});
  for (auto& b : batch) b.appended_micros = SystemClock().NowMicros();
  BatchOutcome outcome = runner.Run("function", batch, [&](auto b) { return step->Run(b); });
  EXPECT_EQ(outcome.out.size(), 2u);
  ASSERT_EQ(outcome.dead_letters.size(), 1u);
  EXPECT_EQ(outcome.dead_letters[0].record.event.id, "b");
  EXPECT_THAT(outcome.dead_letters[0].error.message(), HasSubstr("batchItemFailures"));
}

TEST_F(FunctionStepShell, FunctionErrorFailsTheBatchAndTheInstanceStaysWarm) {
  auto step = Step();
  ASSERT_NE(step, nullptr);
  StepResult r = step->Run(std::vector<BatchRecord>{Record("a", R"("raise")")});
  EXPECT_EQ(r.status.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status.message(), HasSubstr("ValueError: it went wrong"));
  r = step->Run(std::vector<BatchRecord>{Record("a", "1")});
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(Metric("eventlake_function_invocations_total", ",outcome=\"function_error\""), 1);
  EXPECT_EQ(Metric("eventlake_function_cold_starts_total"), 1);
}

TEST_F(FunctionStepShell, InitErrorFailsTheInvocationWithItsReason) {
  options_.environment = {{"INIT_ERROR", "1"}};
  auto step = Step();
  ASSERT_NE(step, nullptr);
  StepResult r = step->Run(std::vector<BatchRecord>{Record("a", "1")});
  EXPECT_EQ(r.status.code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status.message(),
              HasSubstr("failed to initialise: Runtime.InitError: cannot load the handler"));
  EXPECT_EQ(Metric("eventlake_function_invocations_total", ",outcome=\"init_error\""), 1);
  EXPECT_EQ(Metric("eventlake_function_instances"), 0);
}

TEST_F(FunctionStepShell, TimeoutKillsTheInstanceAndTheNextCallStartsColdAgain) {
  options_.timeout = std::chrono::milliseconds(300);
  auto step = Step();
  ASSERT_NE(step, nullptr);
  StepResult r = step->Run(std::vector<BatchRecord>{Record("a", R"("slow")")});
  EXPECT_EQ(r.status.code(), StatusCode::kDeadlineExceeded);
  EXPECT_THAT(r.status.message(), HasSubstr("timed out after 300ms"));
  EXPECT_EQ(Metric("eventlake_function_timeouts_total"), 1);
  r = step->Run(std::vector<BatchRecord>{Record("a", "1")});
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(Metric("eventlake_function_cold_starts_total"), 2);
  EXPECT_EQ(CountLines(dir_ + "/pids"), 2u);
}

TEST_F(FunctionStepShell, CrashedInstanceIsReplaced) {
  auto step = Step();
  ASSERT_NE(step, nullptr);
  StepResult r = step->Run(std::vector<BatchRecord>{Record("a", R"("crash")")});
  EXPECT_EQ(r.status.code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status.message(), HasSubstr("exit status 3"));
  r = step->Run(std::vector<BatchRecord>{Record("a", "1")});
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(Metric("eventlake_function_invocations_total", ",outcome=\"exited\""), 1);
  EXPECT_EQ(Metric("eventlake_function_cold_starts_total"), 2);
}

TEST_F(FunctionStepShell, AllocationBeyondTheMemoryLimitFailsTheFunctionNotTheStep) {
  options_.memory_bytes = 64u << 20;
  auto step = Step();
  ASSERT_NE(step, nullptr);
  StepResult r = step->Run(std::vector<BatchRecord>{Record("a", R"("hog")")});
  EXPECT_FALSE(r.status.ok());
  EXPECT_THAT(r.status.message(), HasSubstr("exited during an invocation"));
  r = step->Run(std::vector<BatchRecord>{Record("a", "1")});
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
}

TEST_F(FunctionStepShell, ConcurrencyCapBoundsTheInstances) {
  options_.concurrency = 2;
  auto step = Step();
  ASSERT_NE(step, nullptr);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  double max_instances = 0;
  std::atomic<bool> done{false};
  std::thread sampler([&] {
    while (!done) {
      max_instances = std::max(max_instances, Metric("eventlake_function_instances"));
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  for (int t = 0; t < 5; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 4; ++i) {
        if (step->Run(std::vector<BatchRecord>{Record("a", "1")}).status.ok()) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  done = true;
  sampler.join();
  EXPECT_EQ(ok, 20);
  EXPECT_LE(CountLines(dir_ + "/pids"), 2u);
  EXPECT_LE(max_instances, 2);
  EXPECT_LE(Metric("eventlake_function_cold_starts_total"), 2);
}

TEST_F(FunctionStepShell, IdleInstancesStopAndTheNextCallIsAColdStart) {
  options_.idle_timeout = std::chrono::milliseconds(100);
  auto step = Step();
  ASSERT_NE(step, nullptr);
  ASSERT_TRUE(step->Run(std::vector<BatchRecord>{Record("a", "1")}).status.ok());
  for (int i = 0; i < 200 && Instances(*step).instances() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Instances(*step).instances(), 0u);
  EXPECT_EQ(Metric("eventlake_function_instances"), 0);  // scaled to zero
  ASSERT_TRUE(step->Run(std::vector<BatchRecord>{Record("a", "1")}).status.ok());
  EXPECT_EQ(Metric("eventlake_function_cold_starts_total"), 2);
}

TEST_F(FunctionStepShell, TheFunctionSeesTheSqsEventAndTheLambdaEnvironment) {
  WriteFile(dir_ + "/bootstrap", R"(#!/bin/bash
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
env > env.txt
while true; do
  curl -sS -D h.txt "$API/invocation/next" > event.json
  ID=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' h.txt | cut -d' ' -f2 | tr -d '\r\n')
  curl -sS -X POST "$API/invocation/$ID/response" -d 'null' >/dev/null
done
)",
            true);
  options_.handler = "app.handler";
  options_.environment = {{"GREETING", "hi"}};
  auto step = Step();
  ASSERT_NE(step, nullptr);
  BatchRecord record = Record("e-1", R"({"n":1})");
  record.offset = 42;
  StepResult r = step->Run(std::vector<BatchRecord>{record});
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.out.size(), 1u);  // null: passes on
  std::string env = ReadFile(dir_ + "/env.txt");
  for (const std::string& want : std::vector<std::string>{
           "_HANDLER=app.handler", "LAMBDA_TASK_ROOT=" + dir_, "AWS_LAMBDA_FUNCTION_NAME=echo",
           "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128", "AWS_REGION=us-east-1", "TZ=:UTC", "GREETING=hi",
           "AWS_LAMBDA_RUNTIME_API=127.0.0.1:"}) {
    EXPECT_THAT(env, HasSubstr(want));
  }
  auto event = nlohmann::json::parse(ReadFile(dir_ + "/event.json"));
  const auto& m = event["Records"][0];
  EXPECT_EQ(m["messageId"], "e-1");
  EXPECT_EQ(m["receiptHandle"], "clicks:42");
  EXPECT_EQ(m["eventSource"], "aws:sqs");
  EXPECT_EQ(m["eventSourceARN"], "arn:aws:sqs:eu-west-1:000000000000:clicks");
  EXPECT_EQ(m["attributes"]["SentTimestamp"], "1700000000000");
  auto body = nlohmann::json::parse(m["body"].get<std::string>());
  EXPECT_EQ(body["id"], "e-1");
  EXPECT_EQ(body["data"]["n"], 1);
  std::string headers = ReadFile(dir_ + "/h.txt");
  EXPECT_THAT(headers, HasSubstr("Lambda-Runtime-Invoked-Function-Arn: "
                                 "arn:aws:lambda:us-east-1:000000000000:function:echo"));
}

TEST_F(FunctionStepShell, MissingCommandFailsWithTheReason) {
  options_.command = {"./no-such-bootstrap"};
  auto step = Step();
  ASSERT_NE(step, nullptr);
  StepResult r = step->Run(std::vector<BatchRecord>{Record("a", "1")});
  EXPECT_EQ(r.status.code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status.message(), HasSubstr("No such file or directory"));
  EXPECT_EQ(Metric("eventlake_function_invocations_total", ",outcome=\"spawn_error\""), 1);
  EXPECT_EQ(Metric("eventlake_function_instances"), 0);
}

// The step inside a pipeline over real streams: the record the function
// names in batchItemFailures is retried alone and dead-lettered, the
// others reach the sink once.
TEST_F(FunctionStepShell, InAPipelineTheNamedRecordIsDeadLetteredAndTheRestDelivered) {
  options_.environment = {{"FAIL_ID", "c3"}};
  auto step = Step();
  ASSERT_NE(step, nullptr);
  auto open = [&](const std::string& name) {
    return std::move(
        log::Stream::Open(dir_ + "/log/" + name,
                          {.name = name, .partitions = 1, .durability = log::Durability::kNone},
                          &SystemClock(), nullptr)
            .value());
  };
  auto clicks = open("clicks"), out = open("out"), dlq = open("dlq");
  std::vector<CloudEvent> events;
  for (int i = 0; i < 10; ++i) events.push_back(Record("c" + std::to_string(i), "{}").event);
  for (auto& r : clicks->AppendAndWait(events)) ASSERT_TRUE(r.has_value());
  StreamSink sink(out.get());
  auto pipeline =
      Pipeline::Create({.name = "fn",
                        .trigger = clicks.get(),
                        .batch = {.max_records = 100, .max_wait = std::chrono::milliseconds(0)},
                        .idle_wait = std::chrono::milliseconds(10),
                        .steps = {{.name = "function",
                                   .run = [&](auto batch) { return step->Run(batch); },
                                   .retry = {.max_attempts = 2,
                                             .base_backoff = std::chrono::milliseconds(0),
                                             .max_backoff = std::chrono::milliseconds(0)}}},
                        .sinks = {&sink},
                        .open_dead_letter = [&]() -> Result<log::Stream*> { return dlq.get(); }});
  ASSERT_TRUE(pipeline.has_value()) << pipeline.error().ToString();
  BatchReport report = (*pipeline)->RunOnce(0).value();
  EXPECT_EQ(report.records, 10u);
  EXPECT_EQ(report.delivered, 9u);
  EXPECT_EQ(report.dead_letters, 1u);
  auto letters = dlq->partition(0).Read(0, {1u << 20, 1ull << 40}).value();
  ASSERT_EQ(letters.size(), 1u);
  auto letter = nlohmann::json::parse(letters[0].event.data);
  EXPECT_EQ(letter["event"]["id"], "c3");
  EXPECT_EQ(letter["step"], "function");
  EXPECT_THAT(letter["problem"]["detail"].get<std::string>(), HasSubstr("batchItemFailures"));
  EXPECT_EQ(out->partition(0).Read(0, {1u << 20, 1ull << 40}).value().size(), 9u);
}

}  // namespace
}  // namespace eventlake::pipeline
