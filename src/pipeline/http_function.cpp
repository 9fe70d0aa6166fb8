// HttpFunction: the http step's POST (http_post.h) and its answer mapped to
// the function metrics' outcomes.
#include "pipeline/http_function.h"

#include <chrono>

#include "pipeline/http_post.h"

namespace eventlake::pipeline {
namespace {

constexpr size_t kMaxResponseBytes = 6u << 20;  // Lambda's limit

}  // namespace

HttpFunction::HttpFunction(HttpFunctionOptions options, MetricsRegistry* metrics)
    : options_(std::move(options)) {
  auto outcome = [&](const char* name) {
    return &metrics->GetCounter("eventlake_function_invocations_total",
                                "Invocations of external functions, by outcome.",
                                {{"function", options_.name}, {"outcome", name}});
  };
  success_ = outcome("success");
  http_error_ = outcome("http_error");
  timeout_ = outcome("timeout");
  refused_ = outcome("refused");
  error_ = outcome("error");
  duration_ = &metrics->GetHistogram("eventlake_function_duration_seconds",
                                     "From an invocation's delivery to its answer.",
                                     LatencyBuckets(), {{"function", options_.name}});
}

Result<std::unique_ptr<HttpFunction>> HttpFunction::Create(HttpFunctionOptions options,
                                                           MetricsRegistry* metrics) {
  EL_ASSIGN_OR_RETURN(HttpTarget target, ParseHttpTarget(options.url, options.headers, options.timeout,
                                                         options.allow_private, "http function"));
  if (options.name.empty()) options.name = target.host;
  std::unique_ptr<HttpFunction> f(new HttpFunction(std::move(options), metrics));
  f->target_ = std::move(target);
  return f;
}

Result<std::string> HttpFunction::Invoke(std::string payload) {
  const auto start = std::chrono::steady_clock::now();
  const std::string who = "http function " + options_.name;
  auto answer = PostGuarded(target_, "application/json", payload, kMaxResponseBytes, who, &connections_);
  duration_->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (!answer.has_value()) {
    const StatusCode code = answer.error().code();
    (code == StatusCode::kPermissionDenied    ? refused_
     : code == StatusCode::kDeadlineExceeded ? timeout_
                                              : error_)
        ->Increment();
    return Err(answer.error());
  }
  if (answer->status < 200 || answer->status > 299) {
    http_error_->Increment();
    std::string excerpt = AnswerExcerpt(answer->body);
    return Err(Unavailable(who + " answered HTTP " + std::to_string(answer->status) +
                           (excerpt.empty() ? "" : ": " + excerpt)));
  }
  success_->Increment();
  return std::move(answer->body);
}

}  // namespace eventlake::pipeline
