// Instances as child processes: fork + exec (posix_spawn cannot set an
// rlimit), a pidfd watched on the io thread to learn of exits at once (and
// to reap), a pool guarded by one mutex. A child is killed only while its
// Child lock shows it unreaped, so a recycled pid is never signalled.
#include "pipeline/function_instances.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "core/config_table.h"
#include "core/id.h"
#include "pipeline/function_error.h"

namespace eventlake::pipeline {
namespace {

namespace asio = boost::asio;
using Steady = std::chrono::steady_clock;

// Lambda's limit on a function's init phase.
constexpr std::chrono::seconds kInitTimeout{10};

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    return "killed by signal " + std::to_string(sig) + " (" + strsignal(sig) + ")";
  }
  return "wait status " + std::to_string(status);
}

// Starts `command` in `directory` with exactly `env`, in a process group
// of its own, under RLIMIT_DATA `memory`. Waits for the exec: its failure
// ("No such file or directory") comes back through a close-on-exec pipe.
Result<pid_t> ForkExec(std::vector<std::string> command, std::vector<std::string> env,
                       const std::string& directory, uint64_t memory) {
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls.
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<char*> argv;
  argv.reserve(command.size() + 1);
  for (auto& a : command) argv.push_back(a.data());
  argv.push_back(nullptr);
  const rlimit limit{memory, memory};
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return Err(ErrnoError("pipe", errno));
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    // Ignored signals stay ignored across exec (eventlake ignores SIGPIPE)
    // and the mask is inherited: the function starts as from a shell.
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &default_action, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int err = 0;
    if (::setrlimit(RLIMIT_DATA, &limit) != 0) err = errno;
    if (err == 0) {
      const int null = ::open("/dev/null", O_RDONLY);
      if (null >= 0) ::dup2(null, 0);
      // Every other descriptor of eventlake closes on exec (the report pipe too).
      ::syscall(SYS_close_range, 3u, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */);
      if (::chdir(directory.c_str()) != 0) err = errno;
    }
    if (err == 0) {
      ::execvpe(argv[0], argv.data(), envp.data());
      err = errno;
    }
    [[maybe_unused]] ssize_t n = ::write(report[1], &err, sizeof err);
    ::_exit(127);
  }
  ::close(report[1]);
  if (pid < 0) {
    const int err = errno;
    ::close(report[0]);
    return Err(ErrnoError("fork", err));
  }
  ::setpgid(pid, pid);  // also here: whichever runs first
  int err = 0;
  ssize_t n;
  do {
    n = ::read(report[0], &err, sizeof err);
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n == sizeof err) {
    ::waitpid(pid, nullptr, 0);
    return Err(
        Unavailable("starting " + command[0] + " in " + directory + ": " + std::strerror(err)));
  }
  return pid;
}

}  // namespace

// The child's side as the io thread and the invoker see it; the observer
// of its Runtime API endpoint.
struct FunctionInstances::Child : RuntimeObserver {
  std::mutex mu;
  std::condition_variable cv;
  pid_t pid = -1;
  Steady::time_point spawned;
  Histogram* cold_start_seconds = nullptr;
  // Guarded by mu:
  bool ready = false;   // sent its first GET /next
  bool reaped = false;  // exited and waited for
  int wait_status = 0;
  std::optional<RuntimeReport> init_error;
  std::optional<RuntimeReport> report;  // the answer to the current invocation

  void OnFirstNext() override {
    cold_start_seconds->Observe(std::chrono::duration<double>(Steady::now() - spawned).count());
    std::lock_guard lock(mu);
    ready = true;
    cv.notify_all();
  }
  void OnReport(RuntimeReport r) override {
    std::lock_guard lock(mu);
    if (r.kind == RuntimeReport::Kind::kInitError) {
      init_error = std::move(r);
    } else {
      report = std::move(r);
    }
    cv.notify_all();
  }
  // Kills the process group unless the child is reaped already.
  void Kill() {
    std::lock_guard lock(mu);
    if (reaped || pid <= 0) return;
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);  // in case it left its group
  }
  bool Usable() {
    std::lock_guard lock(mu);
    return !reaped && !init_error.has_value();
  }
};

struct FunctionInstances::Instance {
  std::shared_ptr<Child> child;
  std::shared_ptr<RuntimeEndpoint> endpoint;
  Steady::time_point last_used;
};

FunctionInstances::FunctionInstances(FunctionStepOptions options, MetricsRegistry* metrics)
    : options_(std::move(options)) {
  const MetricLabels fn = {{"function", options_.name}};
  auto outcome = [&](const char* name) {
    return &metrics->GetCounter("eventlake_function_invocations_total",
                                "Invocations of external functions, by outcome.",
                                {{"function", options_.name}, {"outcome", name}});
  };
  m_.success = outcome("success");
  m_.function_error = outcome("function_error");
  m_.timeout = outcome("timeout");
  m_.exited = outcome("exited");
  m_.init_error = outcome("init_error");
  m_.spawn_error = outcome("spawn_error");
  m_.cold_starts = &metrics->GetCounter("eventlake_function_cold_starts_total",
                                        "Instances started for an invocation (cold starts).", fn);
  m_.timeouts = &metrics->GetCounter("eventlake_function_timeouts_total",
                                     "Invocations that ran past the function's timeout.", fn);
  m_.cold_start_seconds = &metrics->GetHistogram(
      "eventlake_function_cold_start_seconds",
      "From an instance's spawn to its first GET /next (the runtime's start-up).", LatencyBuckets(),
      fn);
  m_.duration_seconds =
      &metrics->GetHistogram("eventlake_function_duration_seconds",
                             "From an invocation's delivery to its answer.", LatencyBuckets(), fn);
  m_.instances = &metrics->GetGauge("eventlake_function_instances",
                                    "Instances running (0: scaled to zero).", fn);
}

Result<std::unique_ptr<FunctionInstances>> FunctionInstances::Create(FunctionStepOptions options,
                                                                     MetricsRegistry* metrics) {
  if (options.command.empty()) return Err(InvalidArgument("function: no command"));
  if (options.concurrency < 1)
    return Err(InvalidArgument("function: concurrency must be at least 1"));
  if (options.name.empty()) options.name = "function";
  std::unique_ptr<FunctionInstances> f(new FunctionInstances(std::move(options), metrics));
  const FunctionStepOptions& o = f->options_;
  auto& env = f->environment_;
  env.push_back("_HANDLER=" + o.handler);
  env.push_back("LAMBDA_TASK_ROOT=" + o.directory);
  env.push_back("AWS_LAMBDA_FUNCTION_NAME=" + o.name);
  env.push_back("AWS_LAMBDA_FUNCTION_VERSION=$LATEST");
  env.push_back("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + std::to_string(o.memory_bytes >> 20));
  env.push_back("AWS_REGION=" + o.region);
  env.push_back("AWS_DEFAULT_REGION=" + o.region);
  env.push_back("TZ=:UTC");
  if (const char* path = std::getenv("PATH")) env.push_back(std::string("PATH=") + path);
  for (const auto& [k, v] : o.environment) env.push_back(std::string(k).append("=").append(v));
  EL_ASSIGN_OR_RETURN(f->server_, RuntimeApiServer::Start());
  f->sweep_timer_ = std::make_unique<asio::steady_timer>(f->server_->context());
  asio::post(f->server_->context(), [p = f.get()] { p->ScheduleSweep(); });
  return f;
}

FunctionInstances::~FunctionInstances() {
  std::vector<std::unique_ptr<Instance>> idle;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    idle.swap(idle_);
  }
  for (auto& instance : idle) Stop(*instance);
  if (server_ == nullptr) return;  // Create failed before anything started
  asio::post(server_->context(), [this] { sweep_timer_->cancel(); });
  server_->Shutdown();
  sweep_timer_.reset();
  server_.reset();
  // The io thread is gone: reap what its exit watches did not.
  std::lock_guard lock(mu_);
  live_ -= std::min(live_, idle.size());
  SetInstancesGauge();
  for (const auto& child : children_) {
    child->Kill();
    std::lock_guard child_lock(child->mu);
    if (!child->reaped) ::waitpid(child->pid, nullptr, 0);
    child->reaped = true;
  }
}

size_t FunctionInstances::instances() const {
  std::lock_guard lock(mu_);
  return live_;
}

void FunctionInstances::SetInstancesGauge() { m_.instances->Set(static_cast<double>(live_)); }

Result<std::unique_ptr<FunctionInstances::Instance>> FunctionInstances::Spawn() {
  auto child = std::make_shared<Child>();
  child->cold_start_seconds = m_.cold_start_seconds;
  EL_ASSIGN_OR_RETURN(std::shared_ptr<RuntimeEndpoint> endpoint, server_->Open(child));
  std::vector<std::string> env = environment_;
  env.push_back("AWS_LAMBDA_RUNTIME_API=" + endpoint->address());
  child->spawned = Steady::now();
  auto pid = ForkExec(options_.command, env, options_.directory, options_.memory_bytes);
  if (!pid.has_value()) {
    endpoint->Close();
    return Err(pid.error().WithContext("function " + options_.name));
  }
  child->pid = *pid;
  {
    std::lock_guard lock(mu_);
    std::erase_if(children_, [](const std::shared_ptr<Child>& c) {
      std::lock_guard child_lock(c->mu);
      return c->reaped;
    });
    children_.push_back(child);
  }
  WatchExit(child);
  m_.cold_starts->Increment();
  auto instance = std::make_unique<Instance>();
  instance->child = std::move(child);
  instance->endpoint = std::move(endpoint);
  return instance;
}

void FunctionInstances::WatchExit(const std::shared_ptr<Child>& child) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, child->pid, 0));
  if (fd < 0) return;  // no pidfd (Linux < 5.3): exits show as timeouts, reaped at the end
  auto descriptor = std::make_shared<asio::posix::stream_descriptor>(server_->context(), fd);
  asio::post(server_->context(), [descriptor, child] {
    descriptor->async_wait(asio::posix::stream_descriptor::wait_read,
                           [descriptor, child](boost::system::error_code ec) {
                             if (ec) return;
                             std::lock_guard lock(child->mu);
                             int status = 0;
                             if (::waitpid(child->pid, &status, WNOHANG) == child->pid) {
                               child->reaped = true;
                               child->wait_status = status;
                               child->cv.notify_all();
                             }
                           });
  });
}

void FunctionInstances::Stop(Instance& instance) {
  instance.child->Kill();
  instance.endpoint->Close();
}

Status FunctionInstances::WaitReady(Instance& instance) {
  Child& c = *instance.child;
  std::unique_lock lock(c.mu);
  c.cv.wait_until(lock, c.spawned + kInitTimeout,
                  [&] { return c.ready || c.reaped || c.init_error.has_value(); });
  if (c.init_error.has_value()) {
    m_.init_error->Increment();
    return Unavailable("function " + options_.name + " failed to initialise: " +
                       DescribeFunctionError(c.init_error->body, c.init_error->error_type));
  }
  if (c.reaped) {
    m_.exited->Increment();
    return Unavailable("function " + options_.name + " exited before asking for an invocation (" +
                       DescribeWaitStatus(c.wait_status) + ")");
  }
  if (!c.ready) {
    m_.init_error->Increment();
    return Unavailable("function " + options_.name + " did not ask for an invocation within " +
                       std::to_string(kInitTimeout.count()) + "s of its start");
  }
  return Status::Ok();
}

Result<std::unique_ptr<FunctionInstances::Instance>> FunctionInstances::Acquire(bool* cold) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (stopping_) return Err(Unavailable("function " + options_.name + " is stopping"));
    while (!idle_.empty()) {
      std::unique_ptr<Instance> instance = std::move(idle_.back());
      idle_.pop_back();
      if (instance->child->Usable()) return instance;
      --live_;  // exited while idle
      SetInstancesGauge();
      Stop(*instance);
    }
    if (live_ < static_cast<size_t>(options_.concurrency)) break;
    freed_.wait(lock);
  }
  ++live_;
  SetInstancesGauge();
  lock.unlock();
  auto spawned = Spawn();
  if (!spawned.has_value()) {
    m_.spawn_error->Increment();
    lock.lock();
    --live_;
    SetInstancesGauge();
    freed_.notify_one();
    return Err(spawned.error());
  }
  *cold = true;
  if (Status ready = WaitReady(**spawned); !ready.ok()) {
    Release(std::move(*spawned), /*healthy=*/false);
    return Err(ready);
  }
  return std::move(*spawned);
}

void FunctionInstances::Release(std::unique_ptr<Instance> instance, bool healthy) {
  std::unique_lock lock(mu_);
  if (healthy && !stopping_) {
    instance->last_used = Steady::now();
    idle_.push_back(std::move(instance));
  } else {
    --live_;
    SetInstancesGauge();
    lock.unlock();
    Stop(*instance);
    lock.lock();
  }
  freed_.notify_one();
}

Result<std::string> FunctionInstances::Invoke(std::string payload) {
  bool cold = false;
  EL_ASSIGN_OR_RETURN(std::unique_ptr<Instance> instance, Acquire(&cold));
  Child& c = *instance->child;
  std::string id = NewEventId();
  {
    std::lock_guard lock(c.mu);
    c.report.reset();
  }
  const auto start = Steady::now();
  instance->endpoint->Deliver({.request_id = id,
                               .payload = std::move(payload),
                               .timeout = options_.timeout,
                               .function_arn = "arn:aws:lambda:" + options_.region +
                                               ":000000000000:function:" + options_.name,
                               .trace_id = ""});
  std::unique_lock lock(c.mu);
  c.cv.wait_until(lock, start + options_.timeout,
                  [&] { return c.report.has_value() || c.reaped || c.init_error.has_value(); });
  m_.duration_seconds->Observe(std::chrono::duration<double>(Steady::now() - start).count());
  if (c.report.has_value()) {
    RuntimeReport report = std::move(*c.report);
    c.report.reset();
    lock.unlock();
    Release(std::move(instance), /*healthy=*/true);
    if (report.kind == RuntimeReport::Kind::kError) {
      m_.function_error->Increment();
      return Err(FailedPrecondition("function error: " +
                                    DescribeFunctionError(report.body, report.error_type)));
    }
    m_.success->Increment();
    return std::move(report.body);
  }
  const bool reaped = c.reaped;
  const int status = c.wait_status;
  lock.unlock();
  Release(std::move(instance), /*healthy=*/false);
  if (reaped) {
    m_.exited->Increment();
    return Err(Unavailable("function " + options_.name + " exited during an invocation (" +
                           DescribeWaitStatus(status) + ")"));
  }
  m_.timeout->Increment();
  m_.timeouts->Increment();
  return Err(DeadlineExceeded("function " + options_.name + " timed out after " +
                              config::FormatDuration(options_.timeout)));
}

void FunctionInstances::ScheduleSweep() {
  const auto period = std::clamp<std::chrono::milliseconds>(
      options_.idle_timeout / 4, std::chrono::milliseconds(5), std::chrono::milliseconds(1000));
  sweep_timer_->expires_after(period);
  sweep_timer_->async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    Sweep();
    ScheduleSweep();
  });
}

void FunctionInstances::Sweep() {
  std::vector<std::unique_ptr<Instance>> expired;
  {
    std::lock_guard lock(mu_);
    const auto now = Steady::now();
    for (auto it = idle_.begin(); it != idle_.end();) {
      if (now - (*it)->last_used >= options_.idle_timeout || !(*it)->child->Usable()) {
        expired.push_back(std::move(*it));
        it = idle_.erase(it);
      } else {
        ++it;
      }
    }
    live_ -= expired.size();
    SetInstancesGauge();
    if (!expired.empty()) freed_.notify_all();
  }
  for (auto& instance : expired) Stop(*instance);
}

}  // namespace eventlake::pipeline
