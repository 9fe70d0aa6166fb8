// The `function` step's round trips (issue 6): warm invocations of a
// trivial function, one at a time (median and p99 per call), and cold
// starts (spawn to the first GET /next, then the whole first invocation).
//
//   bench_function_invoke [native|shell|python] [warm calls] [cold starts]
//
// native: bench_function_runtime (beside this binary), a minimal runtime
// client in C++ that starts in about a millisecond: its figures are
// eventlake's own share;
// shell: a bash + curl bootstrap (curl starts per request, so this is
// mostly curl's own start-up); python: `python3 -m awslambdaric` with a
// handler returning None (one keep-alive connection from its C client).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "pipeline/function_instances.h"

namespace {

using eventlake::MetricsRegistry;
using eventlake::pipeline::FunctionInstances;
using eventlake::pipeline::FunctionStepOptions;
using Clock = std::chrono::steady_clock;

constexpr const char* kShell = R"(#!/bin/bash
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
H=$(mktemp)
while true; do
  curl -sS -o /dev/null -D "$H" "$API/invocation/next"
  ID=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$H" | cut -d' ' -f2 | tr -d '\r\n')
  curl -sS -o /dev/null -X POST "$API/invocation/$ID/response" -d 'null'
done
)";

std::string Python() {
  FILE* p = popen("python3 -c 'import sys, awslambdaric; print(sys.executable)' 2>/dev/null", "r");
  char buf[4096] = {};
  std::string out = p != nullptr && fgets(buf, sizeof buf, p) != nullptr ? buf : "";
  if (p != nullptr) pclose(p);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  const std::string runtime = argc > 1 ? argv[1] : "shell";
  const int warm_calls = argc > 2 ? std::atoi(argv[2]) : 1000;
  const int cold_starts = argc > 3 ? std::atoi(argv[3]) : 20;
  const std::string dir = std::filesystem::temp_directory_path() / ("bench-function-" + runtime);
  std::filesystem::create_directories(dir);
  FunctionStepOptions o;
  o.name = "bench";
  o.directory = dir;
  o.timeout = std::chrono::seconds(10);
  if (runtime == "python") {
    const std::string python = Python();
    if (python.empty()) {
      std::fprintf(stderr, "python3 -m awslambdaric is not importable\n");
      return 2;
    }
    std::ofstream(dir + "/app.py") << "def handler(event, context):\n    return None\n";
    o.command = {python, "-m", "awslambdaric", "app.handler"};
    o.handler = "app.handler";
  } else if (runtime == "native") {
    o.command = {
        (std::filesystem::canonical("/proc/self/exe").parent_path() / "bench_function_runtime")
            .string()};
  } else {
    std::ofstream(dir + "/bootstrap") << kShell;
    std::filesystem::permissions(dir + "/bootstrap", std::filesystem::perms::owner_all);
    o.command = {"./bootstrap"};
  }
  const std::string payload = R"({"Records":[{"messageId":"m1","body":"{}"}]})";

  std::vector<double> first;
  MetricsRegistry cold_metrics;
  for (int i = 0; i < cold_starts; ++i) {
    auto f = FunctionInstances::Create(o, &cold_metrics);
    if (!f.has_value()) return 1;
    auto start = Clock::now();
    auto r = (*f)->Invoke(payload);
    if (!r.has_value()) {
      std::fprintf(stderr, "cold invoke: %s\n", r.error().ToString().c_str());
      return 1;
    }
    first.push_back(Ms(Clock::now() - start));
  }
  auto& cold = cold_metrics.GetHistogram(
      "eventlake_function_cold_start_seconds",
      "From an instance's spawn to its first GET /next (the runtime's start-up).",
      eventlake::LatencyBuckets(), {{"function", "bench"}});
  std::sort(first.begin(), first.end());

  MetricsRegistry metrics;
  auto f = FunctionInstances::Create(o, &metrics);
  if (!f.has_value() || !(*f)->Invoke(payload).has_value()) return 1;  // the cold one
  std::vector<double> warm;
  for (int i = 0; i < warm_calls; ++i) {
    auto start = Clock::now();
    auto r = (*f)->Invoke(payload);
    warm.push_back(Ms(Clock::now() - start));
    if (!r.has_value()) {
      std::fprintf(stderr, "warm invoke: %s\n", r.error().ToString().c_str());
      return 1;
    }
  }
  std::sort(warm.begin(), warm.end());
  std::printf("runtime=%s warm_calls=%d median_ms=%.3f p99_ms=%.3f\n", runtime.c_str(), warm_calls,
              warm[warm.size() / 2], warm[warm.size() * 99 / 100]);
  std::printf(
      "runtime=%s cold_starts=%d spawn_to_first_next_mean_ms=%.2f "
      "first_invocation_median_ms=%.2f\n",
      runtime.c_str(), cold_starts, cold.Sum() / static_cast<double>(cold.Count()) * 1000,
      first[first.size() / 2]);
  return 0;
}
