// LuaSandbox: the environment is built by opening the few libraries and
// then removing from the globals every name that is not on the keep list,
// so that whatever a LuaJIT version adds to its base library stays out
// unless it is named here. The limits live in the allocator's user data,
// where both the allocator and the hook find them.
//
// Lua errors raised inside Call's body unwind through C++ frames: LuaJIT
// on x64 raises them with the C++ ABI's unwinder, so destructors run.
#include "pipeline/lua_sandbox.h"

#include <time.h>

#include <algorithm>
#include <array>
#include <lua.hpp>

#include "core/config_table.h"
#include "pipeline/lua_block_pool.h"
#include "pipeline/lua_json.h"
#include "pipeline/lua_pattern.h"

namespace eventlake::pipeline {
namespace {

constexpr std::array<std::string_view, 6> kAllowable = {
    "os.time", "os.date", "os.clock", "os.difftime", "debug.traceback", "collectgarbage"};

// Globals every script has.
constexpr std::array<std::string_view, 24> kKeptGlobals = {
    "assert",   "error",  "ipairs",   "pairs",        "next",         "pcall",
    "xpcall",   "select", "tonumber", "tostring",     "type",         "unpack",
    "rawequal", "rawget", "rawset",   "getmetatable", "setmetatable", "_G",
    "_VERSION", "string", "table",    "math",         "bit",          "coroutine"};

int64_t ThreadCpuNanos() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

int64_t MonotonicNanos() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

// The thread's CPU time as read at most `staleness` nanoseconds ago: at
// most the CPU time now and at least `staleness` below it, since a thread
// runs no faster than the wall clock. The CPU clock is a system call
// (~0.5 us here, a tenth of a small call's cost); the monotonic clock is
// read in the vDSO.
int64_t RecentThreadCpuNanos(int64_t staleness) {
  thread_local int64_t wall_mark = -1;
  thread_local int64_t cpu_mark = 0;
  const int64_t wall = MonotonicNanos();
  if (wall_mark < 0 || wall - wall_mark > staleness) {
    wall_mark = wall;  // before the CPU clock: the bound above holds from here
    cpu_mark = ThreadCpuNanos();
  }
  return cpu_mark;
}

std::string_view ErrorText(lua_State* L) {
  size_t size = 0;
  const char* text = lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER
                         ? lua_tolstring(L, -1, &size)
                         : nullptr;
  return text != nullptr ? std::string_view(text, size)
                         : std::string_view("an error object that is not a string");
}

void OpenLibrary(lua_State* L, const char* name, lua_CFunction open) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 0);
}

bool Contains(std::span<const std::string_view> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool PatternOverLimit(lua_State* L);

// What LuaSandbox::Call runs in a protected call: the function under the
// registry key &kRunBodyKey, with a light userdata of a CallFrame.
const char kRunBodyKey = 0;

struct CallFrame {
  const std::function<Status(lua_State*)>* body;
  Status status;
};

int RunBody(lua_State* L) {
  auto* frame = static_cast<CallFrame*>(lua_touserdata(L, 1));
  lua_pop(L, 1);
  frame->status = (*frame->body)(L);
  return 0;
}

// In a protected call: the libraries, then only the kept and allowed names.
struct Environment {
  const std::vector<std::string>* allow;
  uint64_t memory_bytes;
};

int OpenEnvironment(lua_State* L) {
  const auto& environment = *static_cast<const Environment*>(lua_touserdata(L, 1));
  const std::vector<std::string>& allow = *environment.allow;
  OpenLibrary(L, "", luaopen_base);
  OpenLibrary(L, LUA_STRLIBNAME, luaopen_string);
  OpenLibrary(L, LUA_TABLIBNAME, luaopen_table);
  OpenLibrary(L, LUA_MATHLIBNAME, luaopen_math);
  OpenLibrary(L, LUA_BITLIBNAME, luaopen_bit);
  OpenLibrary(L, LUA_OSLIBNAME, luaopen_os);
  OpenLibrary(L, LUA_DBLIBNAME, luaopen_debug);
  InstallJson(L, environment.memory_bytes);
  lua_pushlightuserdata(L, const_cast<char*>(&kRunBodyKey));
  lua_pushcfunction(L, RunBody);
  lua_rawset(L, LUA_REGISTRYINDEX);
  lua_getglobal(L, "string");
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");  // also gone from getmetatable("").__index, the same table
  InstallBoundedPatterns(L, PatternOverLimit);
  lua_pop(L, 1);

  // Library tables that may lend functions to `allow`, before they go.
  lua_newtable(L);
  const int libraries = lua_gettop(L);
  for (const char* lib : {"os", "debug"}) {
    lua_getglobal(L, lib);
    lua_setfield(L, libraries, lib);
  }
  std::vector<std::string> remove;
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  const int globals = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, globals) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) continue;
    const std::string_view name = lua_tostring(L, -1);
    if (Contains(kKeptGlobals, name) || name == "json") continue;
    if (std::find(allow.begin(), allow.end(), name) == allow.end()) remove.emplace_back(name);
  }
  lua_pop(L, 1);
  for (const std::string& name : remove) {
    lua_pushnil(L);
    lua_setglobal(L, name.c_str());
  }
  for (const std::string& name : allow) {
    const size_t dot = name.find('.');
    if (dot == std::string::npos) continue;
    const std::string lib = name.substr(0, dot);
    lua_getglobal(L, lib.c_str());
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      lua_newtable(L);
      lua_pushvalue(L, -1);
      lua_setglobal(L, lib.c_str());
    }
    lua_getfield(L, libraries, lib.c_str());
    lua_getfield(L, -1, name.c_str() + dot + 1);
    lua_setfield(L, -3, name.c_str() + dot + 1);
    lua_pop(L, 2);
  }
  return 0;
}

}  // namespace

struct LuaSandbox::Budget {
  uint64_t used = 0;
  uint64_t limit = 0;
  bool refused = false;  // an allocation over the limit was refused
  int64_t deadline = 0;  // thread CPU nanoseconds
  bool timed_out = false;
  LuaBlockPool pool;  // outlives the state: ~LuaSandbox closes the state first
};

namespace {

void* Allocate(void* ud, void* block, size_t old_size, size_t new_size) {
  auto* budget = static_cast<LuaSandbox::Budget*>(ud);
  if (new_size == 0) {
    budget->pool.Free(block, old_size);
    budget->used -= old_size;
    return nullptr;
  }
  if (new_size > old_size && budget->used - old_size + new_size > budget->limit) {
    budget->refused = true;
    return nullptr;
  }
  void* grown = budget->pool.Resize(block, old_size, new_size);
  if (grown != nullptr) budget->used = budget->used - old_size + new_size;
  return grown;
}

void CpuHook(lua_State* L, lua_Debug*) {
  void* ud = nullptr;
  lua_getallocf(L, &ud);
  auto* budget = static_cast<LuaSandbox::Budget*>(ud);
  if (!budget->timed_out && ThreadCpuNanos() < budget->deadline) return;
  if (!budget->timed_out) {
    budget->timed_out = true;
    lua_sethook(L, CpuHook, LUA_MASKCOUNT,
                1);  // every instruction from now on: pcall cannot hold it
  }
  luaL_error(L, "exceeded the CPU time limit");
}

// The patterns' check: the same deadline as the hook's.
bool PatternOverLimit(lua_State* L) {
  void* ud = nullptr;
  lua_getallocf(L, &ud);
  auto* budget = static_cast<LuaSandbox::Budget*>(ud);
  if (!budget->timed_out && ThreadCpuNanos() < budget->deadline) return false;
  if (!budget->timed_out) {
    budget->timed_out = true;
    lua_sethook(L, CpuHook, LUA_MASKCOUNT, 1);
  }
  return true;
}

}  // namespace

std::span<const std::string_view> AllowableLuaNames() { return kAllowable; }

Status CheckLuaAllowList(const std::vector<std::string>& allow) {
  for (const std::string& name : allow) {
    if (!Contains(kAllowable, name)) {
      std::string message = "'" + name;
      message += "' cannot be allowed: it reaches outside the sandbox or is unknown (allowable:";
      for (std::string_view n : kAllowable) message.append(" ").append(n);
      message += ")";
      return InvalidArgument(std::move(message));
    }
  }
  return Status::Ok();
}

LuaSandbox::LuaSandbox(LuaLimits limits) : limits_(limits), budget_(std::make_unique<Budget>()) {
  budget_->limit = limits.memory_bytes;
}

LuaSandbox::~LuaSandbox() {
  if (L_ != nullptr) lua_close(L_);
}

uint64_t LuaSandbox::memory_used() const { return budget_->used; }

Result<std::unique_ptr<LuaSandbox>> LuaSandbox::Create(std::string_view code,
                                                       std::string_view chunk_name,
                                                       const std::vector<std::string>& allow,
                                                       LuaLimits limits) {
  EL_RETURN_IF_ERROR(CheckLuaAllowList(allow));
  if (!code.empty() && code.front() == LUA_SIGNATURE[0]) {
    return Err(InvalidArgument("lua: precompiled bytecode is refused; give the source"));
  }
  auto sandbox = std::unique_ptr<LuaSandbox>(new LuaSandbox(limits));
  EL_RETURN_IF_ERROR(sandbox->Open(allow));
  lua_State* L = sandbox->L_;
  const std::string name = "=" + std::string(chunk_name);
  if (luaL_loadbuffer(L, code.data(), code.size(), name.c_str()) != 0) {
    Status error = InvalidArgument("lua: " + std::string(ErrorText(L)));
    lua_pop(L, 1);
    return Err(error);
  }
  const int chunk = luaL_ref(L, LUA_REGISTRYINDEX);
  Status ran = sandbox->Call([chunk](lua_State* L) -> Status {
    lua_rawgeti(L, LUA_REGISTRYINDEX, chunk);
    lua_call(L, 0, 0);
    return Status::Ok();
  });
  luaL_unref(L, LUA_REGISTRYINDEX, chunk);
  if (!ran.ok()) return Err(InvalidArgument(ran.message()));
  return sandbox;
}

Status LuaSandbox::Open(const std::vector<std::string>& allow) {
  L_ = lua_newstate(Allocate, budget_.get());
  if (L_ == nullptr) {
    return Internal(
        "lua: no state (a LuaJIT built without GC64 refuses allocators; or the memory limit is too "
        "low)");
  }
  // Compiled traces never run hooks: the CPU limit needs the interpreter.
  luaJIT_setmode(L_, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
  Environment environment{.allow = &allow, .memory_bytes = limits_.memory_bytes};
  if (lua_cpcall(L_, OpenEnvironment, &environment) != 0) {
    Status error = Internal("lua: setting up the sandbox: " + std::string(ErrorText(L_)));
    lua_pop(L_, 1);
    return error;
  }
  return Status::Ok();
}

Status LuaSandbox::Call(const std::function<Status(lua_State*)>& body) {
  CallFrame frame{&body, Status::Ok()};
  budget_->refused = false;
  budget_->timed_out = false;
  // A call's CPU time starts at a reading of the CPU clock up to 1% of
  // the limit (at most 100 us) old: a call may stop that much early,
  // never late.
  const int64_t cpu_time = std::chrono::nanoseconds(limits_.cpu_time).count();
  budget_->deadline = RecentThreadCpuNanos(std::min<int64_t>(cpu_time / 100, 100'000)) + cpu_time;
  lua_sethook(L_, CpuHook, LUA_MASKCOUNT, kHookInstructions);
  // lua_pcall of a function made once, not lua_cpcall, which makes a
  // new one (garbage) per call; pushing them allocates nothing.
  lua_pushlightuserdata(L_, const_cast<char*>(&kRunBodyKey));
  lua_rawget(L_, LUA_REGISTRYINDEX);
  lua_pushlightuserdata(L_, &frame);
  const int rc = lua_pcall(L_, 1, 0, 0);
  lua_sethook(L_, nullptr, 0, 0);
  Status result = std::move(frame.status);
  if (budget_->timed_out) {
    result =
        DeadlineExceeded("lua: exceeded " + config::FormatDuration(limits_.cpu_time) + " of CPU");
  } else if (budget_->refused && rc != 0) {
    result = ResourceExhausted("lua: exceeded the memory limit of " +
                               config::FormatByteSize(limits_.memory_bytes));
  } else if (rc != 0) {
    result = InvalidArgument("lua: " + std::string(ErrorText(L_)));
  }
  if (rc != 0) lua_pop(L_, 1);
  if (budget_->timed_out || budget_->refused) broken_ = true;
  return result;
}

}  // namespace eventlake::pipeline
