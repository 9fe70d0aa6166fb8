// The function and http steps: a batch in the SQS or S3 shape to an invoker, its answer back.
#include "pipeline/function_step.h"

#include "pipeline/function_instances.h"
#include "pipeline/http_function.h"
#include "pipeline/s3_event.h"

namespace eventlake::pipeline {

Result<std::unique_ptr<FunctionStep>> FunctionStep::CreateProcess(FunctionStepOptions options,
                                                                  SqsEventContext context,
                                                                  MetricsRegistry* metrics) {
  if (context.region.empty()) context.region = options.region;
  EL_ASSIGN_OR_RETURN(std::unique_ptr<FunctionInstances> instances,
                      FunctionInstances::Create(std::move(options), metrics));
  return std::make_unique<FunctionStep>(std::move(instances), std::move(context));
}

Result<std::unique_ptr<FunctionStep>> FunctionStep::CreateHttp(HttpFunctionOptions options,
                                                               SqsEventContext context,
                                                               MetricsRegistry* metrics) {
  if (context.region.empty()) context.region = options.region;
  EL_ASSIGN_OR_RETURN(std::unique_ptr<HttpFunction> function,
                      HttpFunction::Create(std::move(options), metrics));
  return std::make_unique<FunctionStep>(std::move(function), std::move(context));
}

StepResult FunctionStep::Run(std::span<const BatchRecord> batch) const {
  if (batch.empty()) return {};
  std::string payload;
  if (context_.shape == EventShape::kS3) {
    Result<std::string> s3 = BuildS3EventOfBatch(batch, context_.region);
    if (!s3.has_value()) return {.status = s3.error()};
    payload = std::move(*s3);
  } else {
    payload = BuildSqsEvent(batch, context_, clock_->NowMicros());
  }
  Result<std::string> response = invoker_->Invoke(std::move(payload));
  if (!response.has_value()) return {.status = response.error()};
  return ApplyBatchResponse(batch, *response, invoker_->function_name());
}

}  // namespace eventlake::pipeline
