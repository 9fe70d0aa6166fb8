// One LuaJIT state for the `lua` step's untrusted code (issue 6): a fresh
// environment with only what cannot reach outside the state, and a CPU
// time and a memory limit on every call.
//
// What the code sees: the base functions assert, error, ipairs, pairs,
// next, pcall, xpcall, select, tonumber, tostring, type, unpack, rawequal,
// rawget, rawset, getmetatable, setmetatable, _G and _VERSION; the
// libraries string (without string.dump), table, math (with math.random),
// bit and coroutine; and `json` (lua_json.h). Not there: io, os, package,
// require, load, loadstring, loadfile, dofile, module, debug, jit, ffi,
// collectgarbage, print, getfenv, setfenv, newproxy, gcinfo. `allow` adds
// names from AllowableLuaNames() only (os.time, os.date, os.clock,
// os.difftime, debug.traceback, collectgarbage); anything else — io.open,
// os.execute, os.getenv, ffi, require, string.dump, ... — is refused,
// since any of them reaches the process or the machine. Precompiled
// bytecode is refused too (crafted bytecode escapes any sandbox).
//
// Limits:
//   - CPU: each Call may use `cpu_time` of its thread's CPU time, checked
//     by an instruction-count hook every kHookInstructions VM
//     instructions; the call's start is a reading of the CPU clock up to
//     1% of cpu_time (at most 100 us) old, so a call may stop that much
//     early, never late (the CPU clock is a system call; a call is a few
//     microseconds). LuaJIT does not run hooks inside JIT-compiled traces
//     (`while true do end` would never stop), so the JIT compiler is off
//     (the jit library, which starts it, is never opened, and the engine
//     is switched off): the interpreter runs every instruction. Measured
//     here, the JIT is 2.5x faster on a numeric loop, 1.7x on string
//     work and 1.1x on building tables, and the hook costs nothing
//     visible; a typical step spends its time turning events into tables
//     and back, which the JIT does not speed up. Once over, every
//     instruction raises again, so `pcall` cannot swallow the timeout.
//     LuaJIT's pattern functions backtrack in C, out of the hook's
//     reach, so string.find, match, gmatch and gsub are replaced by ones
//     that check the same deadline (lua_pattern.h); the memory limit
//     bounds string.rep and table.concat.
//   - Memory: the state's allocator refuses to grow past `memory_bytes`
//     (everything the state holds: code, globals, the call's values, and
//     garbage not yet collected: LuaJIT does no emergency collection, so
//     keep what a call holds live under about half the limit); the
//     script sees "not enough memory".
// A state that hit a limit may hold half-made globals: broken() is true
// and its owner makes a new one.
//
// Threads: a sandbox is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

struct lua_State;

namespace eventlake::pipeline {

inline constexpr int kHookInstructions = 10'000;

struct LuaLimits {
  std::chrono::milliseconds cpu_time{100};
  uint64_t memory_bytes = 64ull << 20;
};

// The names `allow` may hold.
std::span<const std::string_view> AllowableLuaNames();
// InvalidArgument naming the first name of `allow` that is not allowable.
Status CheckLuaAllowList(const std::vector<std::string>& allow);

class LuaSandbox {
 public:
  // A new state with the environment above and `code` run once (its
  // top-level statements, under the limits). InvalidArgument with Lua's
  // message for a syntax error or an error in the top-level code, and
  // for names `allow` may not hold.
  static Result<std::unique_ptr<LuaSandbox>> Create(std::string_view code,
                                                    std::string_view chunk_name,
                                                    const std::vector<std::string>& allow,
                                                    LuaLimits limits);
  ~LuaSandbox();
  LuaSandbox(const LuaSandbox&) = delete;
  LuaSandbox& operator=(const LuaSandbox&) = delete;

  // Runs `body` in a protected call under fresh limits. A Lua error raised
  // in it (by the script or by `body` through the Lua API) is
  // InvalidArgument("lua: <message>"); over the CPU time it is
  // DeadlineExceeded("lua: exceeded 100ms of CPU"), over the memory
  // ResourceExhausted("lua: exceeded the memory limit of 64MiB");
  // otherwise what `body` returns. `body` must not raise C++ exceptions.
  Status Call(const std::function<Status(lua_State*)>& body);

  // The state: valid while the sandbox lives, for use inside Call.
  lua_State* state() const { return L_; }
  // A limit was hit: the state may be inconsistent; use a new sandbox.
  bool broken() const { return broken_; }
  // Bytes the state holds now.
  uint64_t memory_used() const;

  // The limits as the allocator and the hook see them (lua_sandbox.cpp).
  struct Budget;

 private:
  explicit LuaSandbox(LuaLimits limits);
  Status Open(const std::vector<std::string>& allow);

  LuaLimits limits_;
  std::unique_ptr<Budget> budget_;
  lua_State* L_ = nullptr;
  bool broken_ = false;
};

}  // namespace eventlake::pipeline
