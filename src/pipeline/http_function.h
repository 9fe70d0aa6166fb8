// The `http` step's invoker: the SQS-shaped batch POSTed (Content-Type
// application/json) to a URL under a timeout. A 2xx answer's body is the
// function's response (sqs_event.h); any other status fails the batch
// with the status and an excerpt of the body. Redirects are not followed,
// proxies from the environment are not used, only http and https, and the
// host's address must pass the SSRF guard (ssrf_guard.h) unless
// allow_private; the connection goes to the address checked (all of it
// http_post.h, shared with the webhook sink). Answers are read up to 6 MiB
// (Lambda's limit).
//
// Metrics, labelled function=<name>: eventlake_function_invocations_total
// {outcome = success|http_error|timeout|refused|error} and
// eventlake_function_duration_seconds.
//
// Threads: Invoke may be called from several threads (a curl handle each).
#pragma once

#include <memory>
#include <string>

#include "core/metrics.h"
#include "pipeline/function_options.h"
#include "pipeline/function_step.h"
#include "pipeline/http_post.h"

namespace eventlake::pipeline {

class HttpFunction : public FunctionInvoker {
 public:
  // InvalidArgument for a URL curl cannot parse, another scheme, or header
  // names and values with line breaks. `metrics` must outlive the function.
  static Result<std::unique_ptr<HttpFunction>> Create(HttpFunctionOptions options,
                                                      MetricsRegistry* metrics);

  Result<std::string> Invoke(std::string payload) override;
  const std::string& function_name() const override { return options_.name; }

 private:
  HttpFunction(HttpFunctionOptions options, MetricsRegistry* metrics);

  HttpFunctionOptions options_;
  HttpTarget target_;
  HttpConnections connections_;  // kept open between invocations
  Counter* success_;
  Counter* http_error_;
  Counter* timeout_;
  Counter* refused_;
  Counter* error_;
  Histogram* duration_;
};

}  // namespace eventlake::pipeline
