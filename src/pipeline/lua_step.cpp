// LuaStep: a pool of sandboxes, the function called per event or per
// batch inside LuaSandbox::Call, and its results read back as events.
#include "pipeline/lua_step.h"

#include <algorithm>
#include <lua.hpp>

#include "pipeline/lua_event.h"

namespace eventlake::pipeline {
namespace {

// The script's function on top of the stack.
Status PushFunction(lua_State* L, const std::string& name) {
  lua_getglobal(L, name.c_str());
  if (lua_isfunction(L, -1)) return Status::Ok();
  lua_pop(L, 1);
  return InvalidArgument("lua: the code defines no function '" + name + "'");
}

// Where a call's events go, and the bytes they may still take: the step's
// memory_limit per call, since a table that holds one big table many
// times is small in Lua and huge as events.
struct Output {
  EventDefaults defaults;
  uint64_t bytes_left = 0;
  std::vector<CloudEvent>* events = nullptr;
};

Status AppendEvent(lua_State* L, int index, const std::string& where, Output& out) {
  auto event = ToEvent(L, index, out.defaults, where, out.bytes_left);
  if (!event.has_value()) return InvalidArgument("lua: " + event.error().message());
  const size_t bytes = EventBytes(*event);
  if (bytes > out.bytes_left)
    return InvalidArgument("lua: " + where + ": the events are larger than memory_limit");
  out.bytes_left -= bytes;
  out.events->push_back(std::move(*event));
  return Status::Ok();
}

// The events of an array at `index` (1..n up to the first nil).
Status AppendEvents(lua_State* L, int index, const std::string& where, Output& out) {
  for (int i = 1;; ++i) {
    lua_rawgeti(L, index, i);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      return Status::Ok();
    }
    Status s = AppendEvent(L, lua_gettop(L), where + "[" + std::to_string(i) + "]", out);
    lua_pop(L, 1);
    EL_RETURN_IF_ERROR(s);
  }
}

// Record mode's result at the top of the stack: nil or false (drop), an
// event table, or an array of them (a table with [1]).
Status AppendRecordResult(lua_State* L, const std::string& where, Output& out) {
  const int result = lua_gettop(L);
  if (lua_isnil(L, result) || (lua_isboolean(L, result) && !lua_toboolean(L, result)))
    return Status::Ok();
  if (!lua_istable(L, result)) {
    return InvalidArgument("lua: " + where + " is a " + lua_typename(L, lua_type(L, result)) +
                           "; an event table, an array of events, nil or false is expected");
  }
  lua_rawgeti(L, result, 1);
  const bool array = !lua_isnil(L, -1);
  lua_pop(L, 1);
  return array ? AppendEvents(L, result, where, out) : AppendEvent(L, result, where, out);
}

// Batch mode's second result at `index`: nil, or {[i] = "why"} for the
// events (1-based) that failed on their own.
Status ReadFailures(lua_State* L, int index, size_t batch_size, std::vector<FailedItem>* failed) {
  if (lua_isnil(L, index)) return Status::Ok();
  const auto refuse = [](const std::string& why) {
    return InvalidArgument("lua: the failures (the second result) " + why);
  };
  if (!lua_istable(L, index))
    return refuse("are a map from the index of a failed event to the reason");
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    const double key = lua_type(L, -2) == LUA_TNUMBER ? lua_tonumber(L, -2) : 0;
    if (key < 1 || key > static_cast<double>(batch_size) ||
        key != static_cast<double>(static_cast<size_t>(key))) {
      lua_pop(L, 2);
      return refuse("have keys 1.." + std::to_string(batch_size) +
                    ", the indexes of the batch's events");
    }
    const std::string why = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "failed";
    failed->push_back({static_cast<size_t>(key) - 1, InvalidArgument("lua: " + why)});
    lua_pop(L, 1);
  }
  std::sort(failed->begin(), failed->end(),
            [](const FailedItem& a, const FailedItem& b) { return a.index < b.index; });
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<LuaStep>> LuaStep::Create(LuaStepOptions options) {
  if (options.function.empty()) return Err(InvalidArgument("lua: the function's name is empty"));
  if (options.timeout <= std::chrono::milliseconds::zero())
    return Err(InvalidArgument("lua: timeout must be > 0"));
  if (options.chunk_name.empty()) options.chunk_name = "lua";
  auto step = std::unique_ptr<LuaStep>(new LuaStep(std::move(options)));
  EL_ASSIGN_OR_RETURN(std::unique_ptr<LuaSandbox> sandbox, step->NewSandbox());
  step->Release(std::move(sandbox));
  return step;
}

Result<std::unique_ptr<LuaSandbox>> LuaStep::NewSandbox() const {
  EL_ASSIGN_OR_RETURN(
      std::unique_ptr<LuaSandbox> sandbox,
      LuaSandbox::Create(options_.code, options_.chunk_name, options_.allow,
                         {.cpu_time = options_.timeout, .memory_bytes = options_.memory_limit}));
  EL_RETURN_IF_ERROR(sandbox->Call([this](lua_State* L) -> Status {
    EL_RETURN_IF_ERROR(PushFunction(L, options_.function));
    lua_pop(L, 1);
    return Status::Ok();
  }));
  return sandbox;
}

Result<std::unique_ptr<LuaSandbox>> LuaStep::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<LuaSandbox> sandbox = std::move(idle_.back());
      idle_.pop_back();
      return sandbox;
    }
  }
  return NewSandbox();
}

void LuaStep::Release(std::unique_ptr<LuaSandbox> sandbox) {
  if (sandbox == nullptr || sandbox->broken()) return;
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(sandbox));
}

StepResult LuaStep::Run(std::span<const BatchRecord> batch) {
  auto sandbox = Acquire();
  if (!sandbox.has_value()) return {.status = sandbox.error()};
  StepResult result;
  if (options_.mode == LuaMode::kBatch) {
    result = RunBatch(**sandbox, batch);
  } else {
    result = RunRecords(*sandbox, batch);
  }
  Release(std::move(*sandbox));
  return result;
}

StepResult LuaStep::RunRecords(std::unique_ptr<LuaSandbox>& sandbox,
                               std::span<const BatchRecord> batch) const {
  StepResult result;
  const std::string where = options_.function + "'s result";
  // One body for all the records (a std::function per record would be an
  // allocation per record): it reads the record from `in` and `out`.
  const CloudEvent* in = nullptr;
  Output out{.events = &result.out};
  result.out.reserve(batch.size());
  const std::function<Status(lua_State*)> call = [&](lua_State* L) -> Status {
    EL_RETURN_IF_ERROR(PushFunction(L, options_.function));
    Status pushed = PushEvent(L, *in);
    if (!pushed.ok()) return InvalidArgument("lua: " + pushed.message());
    lua_call(L, 1, 1);
    return AppendRecordResult(L, where, out);
  };
  for (size_t i = 0; i < batch.size(); ++i) {
    if (sandbox == nullptr || sandbox->broken()) {  // a limit in the record before: a clean state
      auto fresh = NewSandbox();
      if (!fresh.has_value()) {
        for (; i < batch.size(); ++i) result.failed.push_back({i, fresh.error()});
        return result;
      }
      sandbox = std::move(*fresh);
    }
    in = &batch[i].event;
    out.defaults.source = in->source;
    out.defaults.type = in->type;
    // Room for a few members more; no more than a small event's, since a
    // record may fan out into many events with less data each.
    out.defaults.data_bytes = std::min<size_t>(in->data.size() + in->data.size() / 4, 4096);
    out.bytes_left = options_.memory_limit;
    const size_t before = result.out.size();
    Status s = sandbox->Call(call);
    if (!s.ok()) {
      result.out.resize(before);
      result.failed.push_back({i, std::move(s)});
    } else {
      result.sources.resize(result.out.size(), static_cast<uint32_t>(i));  // what record i became
    }
  }
  return result;
}

StepResult LuaStep::RunBatch(LuaSandbox& sandbox, std::span<const BatchRecord> batch) const {
  StepResult result;
  Output out{.defaults = {.source = options_.default_source, .type = options_.default_type},
             .bytes_left = options_.memory_limit,
             .events = &result.out};
  const std::string where = options_.function + "'s result";
  result.status = sandbox.Call([&](lua_State* L) -> Status {
    EL_RETURN_IF_ERROR(PushFunction(L, options_.function));
    lua_createtable(L, static_cast<int>(batch.size()), 0);
    for (size_t i = 0; i < batch.size(); ++i) {
      Status pushed = PushEvent(L, batch[i].event);
      if (!pushed.ok())
        return InvalidArgument("lua: event " + std::to_string(i + 1) + ": " + pushed.message());
      lua_rawseti(L, -2, static_cast<int>(i + 1));
    }
    lua_call(L, 1, 2);
    const int events = lua_gettop(L) - 1;
    EL_RETURN_IF_ERROR(ReadFailures(L, events + 1, batch.size(), &result.failed));
    if (lua_isnil(L, events)) return Status::Ok();
    if (!lua_istable(L, events)) {
      return InvalidArgument("lua: " + where + " is a " + lua_typename(L, lua_type(L, events)) +
                             "; an array of events or nil is expected");
    }
    return AppendEvents(L, events, where, out);
  });
  if (!result.status.ok()) {
    result.out.clear();
    result.failed.clear();
  }
  return result;
}

}  // namespace eventlake::pipeline
