// The `function` and `http` steps (issue 6): a batch goes to an external
// function as an SQS event (or, behind the object-created trigger, as an S3
// event: s3_event.h) and the function's answer is the step's
// result (sqs_event.h has the contract: batchItemFailures, "events").
// A function error, a timeout, an exit or a non-2xx answer fails the
// whole batch; the batch runner then retries and bisects.
//
// FunctionStep is the same for both kinds: what differs is the invoker,
// FunctionInstances (processes speaking the Lambda Runtime API) or
// HttpFunction (a POST to a URL).
//
// Threads: Run may be called from several threads when the invoker allows
// it (both do: the instances up to their concurrency cap).
#pragma once

#include <memory>
#include <span>
#include <string>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/status.h"
#include "pipeline/batch_runner.h"
#include "pipeline/function_options.h"
#include "pipeline/sqs_event.h"

namespace eventlake::pipeline {

// Something that runs a function on a JSON payload: its response body, or
// why it gave none.
class FunctionInvoker {
 public:
  virtual ~FunctionInvoker() = default;
  virtual Result<std::string> Invoke(std::string payload) = 0;
  virtual const std::string& function_name() const = 0;
};

class FunctionStep {
 public:
  FunctionStep(std::unique_ptr<FunctionInvoker> invoker, SqsEventContext context,
               Clock* clock = &SystemClock())
      : invoker_(std::move(invoker)), context_(std::move(context)), clock_(clock) {}

  // The `function` step: instances of options.command. `metrics` must outlive the step.
  static Result<std::unique_ptr<FunctionStep>> CreateProcess(FunctionStepOptions options,
                                                             SqsEventContext context,
                                                             MetricsRegistry* metrics);
  // The `http` step.
  static Result<std::unique_ptr<FunctionStep>> CreateHttp(HttpFunctionOptions options,
                                                          SqsEventContext context,
                                                          MetricsRegistry* metrics);

  StepResult Run(std::span<const BatchRecord> batch) const;

  FunctionInvoker& invoker() const { return *invoker_; }

 private:
  std::unique_ptr<FunctionInvoker> invoker_;
  SqsEventContext context_;
  Clock* clock_;
};

}  // namespace eventlake::pipeline
