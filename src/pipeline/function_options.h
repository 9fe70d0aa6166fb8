// The options of the `function` step (a process speaking the Lambda
// Runtime API) and of the `http` step (a POST to a URL), and their parsers
// from the step's YAML (as JSON):
//
//   function:
//     command: ["python3", "-m", "awslambdaric", "app.handler"]  # or "./bootstrap" (split on
//     spaces) directory: functions/enrich   # cwd and LAMBDA_TASK_ROOT; relative to the config file
//     handler: app.handler          # _HANDLER (default: "")
//     name: enrich                  # AWS_LAMBDA_FUNCTION_NAME (default: the directory's name)
//     timeout: 3s                   # per invocation; the instance is killed when it passes
//     memory: 128MiB                # the instance's RLIMIT_DATA (see function_instances.h)
//     concurrency: 4                # instances at most
//     idle_timeout: 60s             # an instance idle this long is stopped (scale to zero)
//     environment: { KEY: value }
//
//   http:
//     url: https://example.com/hook
//     timeout: 3s
//     allow_private: false          # loopback, link-local and private addresses too
//     headers: { Authorization: "Bearer ..." }
//
// Errors are InvalidArgument naming the key's path
// ("pipelines[0].steps[1].function.timeout: ..."); unknown keys are errors.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace eventlake::pipeline {

struct FunctionStepOptions {
  std::string name;                  // AWS_LAMBDA_FUNCTION_NAME and the metrics' `function` label
  std::vector<std::string> command;  // argv; argv[0] without '/' is looked up in PATH
  std::string directory;             // absolute
  std::string handler;
  std::chrono::milliseconds timeout{3'000};
  uint64_t memory_bytes = 128u << 20;
  int concurrency = 4;
  std::chrono::milliseconds idle_timeout{60'000};
  std::vector<std::pair<std::string, std::string>> environment;
  std::string region = "us-east-1";  // AWS_REGION and the ARNs; set by the wiring
};

struct HttpFunctionOptions {
  std::string name;  // the metrics' `function` label; set by the wiring (default: the URL's host)
  std::string url;
  std::chrono::milliseconds timeout{3'000};
  bool allow_private = false;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string region = "us-east-1";
};

// `spec` is the value under `function:`; `path` names it in errors;
// `base_dir` is where a relative directory starts.
Result<FunctionStepOptions> ParseFunctionStepOptions(const nlohmann::json& spec,
                                                     std::string_view path,
                                                     const std::string& base_dir);
Result<HttpFunctionOptions> ParseHttpFunctionOptions(const nlohmann::json& spec,
                                                     std::string_view path);

}  // namespace eventlake::pipeline
