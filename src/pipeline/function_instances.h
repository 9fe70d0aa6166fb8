// The processes of one `function`: started on demand up to a concurrency
// cap, reused while warm, stopped after an idle time (scale to zero), each
// invocation under a timeout, each process under a memory limit.
//
// Each instance is a child process of `command` in `directory`, in its own
// process group (so that a bootstrap's children die with it), with stdin
// /dev/null, stdout and stderr inherited (its logs go where eventlake's go),
// no other descriptors, and this environment only:
//   AWS_LAMBDA_RUNTIME_API=127.0.0.1:<its own port>, _HANDLER,
//   LAMBDA_TASK_ROOT, AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_VERSION
//   ($LATEST), AWS_LAMBDA_FUNCTION_MEMORY_SIZE (MiB), AWS_REGION,
//   AWS_DEFAULT_REGION, TZ=:UTC, PATH (eventlake's), then `environment`.
//
// Memory: RLIMIT_DATA of `memory_bytes` on the child (since Linux 4.7 it
// counts the private writable mappings: heap, anonymous mmaps, stacks),
// inherited by what it starts; an allocation beyond it fails in the
// function (MemoryError, std::bad_alloc, a crash), which fails that
// invocation and never eventlake. Not RLIMIT_AS: runtimes reserve far
// more address space than they use (glibc arenas, Go), and cgroup v2 is
// not writable in most containers; a cgroup would also count the page cache.
//
// An invocation:
//   1. takes a warm idle instance (the most recently used) or, when fewer
//      than `concurrency` run, starts one (a cold start: spawn to its first
//      GET /next, at most 10 s as Lambda's init), or waits for one;
//   2. is delivered to it and waited for until `timeout`; past it the
//      instance is killed and the invocation is DeadlineExceeded
//      "timed out after 3s";
//   3. an instance that exits, fails to start or posts an init error fails
//      the invocation with its reason (Unavailable) and is replaced on the
//      next call; a function error (POST /error) is FailedPrecondition
//      "function error: <errorType>: <errorMessage>" and the instance stays.
//
// Metrics, each labelled function=<name>: eventlake_function_invocations_total
// {outcome = success|function_error|timeout|exited|init_error|spawn_error},
// eventlake_function_cold_starts_total, eventlake_function_cold_start_seconds
// (spawn to the first /next), eventlake_function_duration_seconds (delivery
// to the answer), eventlake_function_instances (0 when scaled to zero),
// eventlake_function_timeouts_total.
//
// Threads: Invoke may be called from any number of threads; the Runtime
// API, the exit watches and the idle sweep run on one io thread of this
// object's own.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/metrics.h"
#include "core/status.h"
#include "pipeline/function_options.h"
#include "pipeline/function_step.h"
#include "pipeline/lambda_runtime_api.h"

namespace eventlake::pipeline {

class FunctionInstances : public FunctionInvoker {
 public:
  // Starts the Runtime API thread; no instance runs yet. `metrics` must
  // outlive this object.
  static Result<std::unique_ptr<FunctionInstances>> Create(FunctionStepOptions options,
                                                           MetricsRegistry* metrics);
  // Kills every instance. No Invoke may be running.
  ~FunctionInstances() override;
  FunctionInstances(const FunctionInstances&) = delete;
  FunctionInstances& operator=(const FunctionInstances&) = delete;

  // One invocation with `payload` (JSON): the function's response body.
  Result<std::string> Invoke(std::string payload) override;
  const std::string& function_name() const override { return options_.name; }

  // Instances running (idle or busy, starting included).
  size_t instances() const;
  const FunctionStepOptions& options() const { return options_; }

 private:
  struct Child;
  struct Instance;
  struct Metrics {
    Counter* success;
    Counter* function_error;
    Counter* timeout;
    Counter* exited;
    Counter* init_error;
    Counter* spawn_error;
    Counter* cold_starts;
    Counter* timeouts;
    Histogram* cold_start_seconds;
    Histogram* duration_seconds;
    Gauge* instances;
  };

  FunctionInstances(FunctionStepOptions options, MetricsRegistry* metrics);
  // A live instance to deliver to (`cold` when it was just started), or why none started.
  Result<std::unique_ptr<Instance>> Acquire(bool* cold);
  // Puts a healthy instance back in the idle pool, or stops it.
  void Release(std::unique_ptr<Instance> instance, bool healthy);
  Result<std::unique_ptr<Instance>> Spawn();
  Status WaitReady(Instance& instance);
  void Stop(Instance& instance);
  void WatchExit(const std::shared_ptr<Child>& child);
  void ScheduleSweep();
  void Sweep();
  void SetInstancesGauge();  // under mu_

  FunctionStepOptions options_;
  Metrics m_;
  std::unique_ptr<RuntimeApiServer> server_;
  std::vector<std::string> environment_;  // KEY=VALUE, without AWS_LAMBDA_RUNTIME_API

  mutable std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Instance>> idle_;   // guarded by mu_; the last is the most recent
  size_t live_ = 0;                               // guarded by mu_: idle, busy and starting
  bool stopping_ = false;                         // guarded by mu_
  std::vector<std::shared_ptr<Child>> children_;  // guarded by mu_: spawned, not yet reaped
  std::unique_ptr<boost::asio::steady_timer> sweep_timer_;  // on the io thread
};

}  // namespace eventlake::pipeline
