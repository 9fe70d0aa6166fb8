// The `lua` step (issue 6): a LuaJIT function per event or per batch, in a
// sandbox with a CPU time and a memory limit (lua_sandbox.h says what the
// code can reach, lua_event.h how an event looks as a table).
//
//   steps:
//     - lua: functions/enrich.lua            # a file, relative to the config
//     - lua: { code: "function process(e) e.data.n = 1 return e end",
//              function: process, mode: record, timeout: 100ms,
//              memory_limit: 64MiB, allow: [os.time, os.date] }
//
// mode: record (the default) calls `process(event)` once per event. It
// returns the event to pass on (usually the one it got, changed), nil or
// false to drop it, or an array of events to fan out ({} with no [1] is
// one event with no data: drop with nil). An error — raised, a limit, a
// result that is not an event — fails that event alone (a partial batch
// response; the batch runner retries and dead-letters it): "lua:
// functions/enrich.lua:3: attempt to index a nil value". Returned events
// without a source or type take the input event's.
//
// mode: batch calls `process(events)` with the array of the batch's events
// and passes on the array it returns (nil: none); an error fails the whole
// batch (the batch runner bisects it). A second result {[i] = "why"}
// fails the events at those (1-based) indexes alone, as Lambda's
// batchItemFailures: the batch runner retries them alone and
// dead-letters them; the first result is what the others became. Events
// without a source or type take default_source and default_type. In both
// modes an event without an id gets a new UUIDv7.
//
// What one call returns may hold at most memory_limit bytes as events
// (JSON data and attributes): a table that refers to one big string many
// times is small in Lua and would be huge written out.
//
// `timeout` is the CPU time of one call (per event in record mode, per
// batch in batch mode; how precisely: lua_sandbox.h); `memory_limit` what
// one Lua state may hold. After
// a limit the state is replaced by a new one (the top-level code runs
// again), so the next call starts clean.
//
// Threads: Run may be called from several threads at once (a pipeline's
// partitions). Each caller takes a Lua state from a pool and gives it
// back: at most one state per concurrent caller, each with its own
// globals (a global that a script changes is per state: do not count on
// it across calls), and memory_limit applies to each.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "pipeline/batch_runner.h"
#include "pipeline/lua_sandbox.h"

namespace eventlake::pipeline {

enum class LuaMode { kRecord, kBatch };

struct LuaStepOptions {
  std::string code;        // Lua source
  std::string chunk_name;  // in Lua's messages: the file's path, or the step's config path
  std::string function = "process";
  LuaMode mode = LuaMode::kRecord;
  std::chrono::milliseconds timeout{100};  // CPU time per call
  uint64_t memory_limit = 64ull << 20;
  std::vector<std::string> allow;  // from AllowableLuaNames()
  std::string default_source = "/eventlake/pipeline";
  std::string default_type = "eventlake.pipeline.lua";
};

// The step's config as JSON (`spec`, at `path` in the config, e.g.
// "pipelines[0].steps[2].lua"): a string, the path of a .lua file, or an
// object {file | code, function, mode, timeout, memory_limit, allow}.
// Relative files are under `base_dir`. InvalidArgument naming the key
// ("pipelines[0].steps[2].lua.timeout: ..."), also for unknown keys and a
// file that cannot be read.
Result<LuaStepOptions> ParseLuaStepOptions(const nlohmann::json& spec, std::string_view path,
                                           const std::string& base_dir);

class LuaStep {
 public:
  // Compiles and runs the code once and checks that it defines the
  // function: InvalidArgument with Lua's message otherwise.
  static Result<std::unique_ptr<LuaStep>> Create(LuaStepOptions options);

  StepResult Run(std::span<const BatchRecord> batch);

  const LuaStepOptions& options() const { return options_; }

 private:
  explicit LuaStep(LuaStepOptions options) : options_(std::move(options)) {}
  Result<std::unique_ptr<LuaSandbox>> NewSandbox() const;
  // An idle sandbox, or a new one.
  Result<std::unique_ptr<LuaSandbox>> Acquire();
  void Release(std::unique_ptr<LuaSandbox> sandbox);
  // `sandbox` is replaced when a record broke it.
  StepResult RunRecords(std::unique_ptr<LuaSandbox>& sandbox,
                        std::span<const BatchRecord> batch) const;
  StepResult RunBatch(LuaSandbox& sandbox, std::span<const BatchRecord> batch) const;

  LuaStepOptions options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<LuaSandbox>> idle_;  // guarded by mu_
};

}  // namespace eventlake::pipeline
