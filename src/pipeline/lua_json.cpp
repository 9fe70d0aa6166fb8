// JSON <-> Lua: a SAX parse straight onto the Lua stack (no DOM in
// between) and a writer that walks tables with raw access, so that a
// script's metamethods never run while its output is read.
#include "pipeline/lua_json.h"

#include <charconv>
#include <cmath>
#include <vector>

#include <lua.hpp>
#include <nlohmann/json.hpp>

#include "ingest/json_text.h"

namespace eventlake::pipeline {
namespace {

using Json = nlohmann::json;

// The address is the registry key of the `json.array` metatable.
const char kArrayMetatableKey = 0;

void PushArrayMetatable(lua_State* L) {
  lua_pushlightuserdata(L, const_cast<char*>(&kArrayMetatableKey));
  lua_rawget(L, LUA_REGISTRYINDEX);
}

// Builds the value on the Lua stack as the parser reports it: each open
// container is on the stack, with the member's key above an object.
class LuaSax final : public nlohmann::json_sax<Json> {
 public:
  explicit LuaSax(lua_State* L) : L_(L) {}

  bool null() override {
    PushJsonNull(L_);
    return Store();
  }
  bool boolean(bool b) override {
    lua_pushboolean(L_, b ? 1 : 0);
    return Store();
  }
  bool number_integer(number_integer_t n) override {
    lua_pushnumber(L_, static_cast<lua_Number>(n));
    return Store();
  }
  bool number_unsigned(number_unsigned_t n) override {
    lua_pushnumber(L_, static_cast<lua_Number>(n));
    return Store();
  }
  bool number_float(number_float_t d, const string_t&) override {
    lua_pushnumber(L_, d);
    return Store();
  }
  bool string(string_t& s) override {
    lua_pushlstring(L_, s.data(), s.size());
    return Store();
  }
  bool binary(binary_t&) override { return Fail("binary values are not JSON"); }
  bool start_object(std::size_t) override { return Open(false); }
  bool key(string_t& k) override {
    lua_pushlstring(L_, k.data(), k.size());
    return true;
  }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(true); }
  bool end_array() override { return Close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    return Fail(e.what());
  }

  const std::string& error() const { return error_; }

 private:
  bool Open(bool array) {
    if (open_.size() >= kMaxJsonDepth) return Fail("nested deeper than " + std::to_string(kMaxJsonDepth));
    if (!lua_checkstack(L_, 4)) return Fail("nested too deep for the Lua stack");
    lua_createtable(L_, 0, 0);
    if (array) {
      PushArrayMetatable(L_);
      lua_setmetatable(L_, -2);
    }
    open_.push_back(array ? 1 : 0);
    return true;
  }
  bool Close() {
    open_.pop_back();
    return Store();
  }
  // The value on top goes into the open container (or stays: the result).
  bool Store() {
    if (open_.empty()) return true;
    int& next = open_.back();
    if (next > 0) {
      lua_rawseti(L_, -2, next++);
    } else {
      lua_rawset(L_, -3);
    }
    return true;
  }
  bool Fail(std::string why) {
    error_ = std::move(why);
    return false;
  }

  lua_State* L_;
  std::vector<int> open_;  // per open container: the next array index, or 0 for an object
  std::string error_;
};

Status NotJson(std::string_view path, std::string_view why) {
  return InvalidArgument(std::string(path.empty() ? "value" : path) + ": " + std::string(why));
}

void AppendNumber(double d, std::string* out) {
  char buffer[32];
  std::to_chars_result r{};
  if (std::trunc(d) == d && std::abs(d) < 9.2e18) {
    r = std::to_chars(buffer, buffer + sizeof buffer, static_cast<int64_t>(d));
  } else {
    r = std::to_chars(buffer, buffer + sizeof buffer, d);
  }
  out->append(buffer, r.ptr);
}

Status AppendValue(lua_State* L, int index, std::string* path, int depth, std::string* out);

// Keys 1..n: an array; all string keys: an object; anything else: an error.
Status AppendTable(lua_State* L, int index, std::string* path, int depth, std::string* out) {
  if (depth >= kMaxJsonDepth) {
    return NotJson(*path, "nested deeper than " + std::to_string(kMaxJsonDepth) + " (a table that holds itself?)");
  }
  if (!lua_checkstack(L, 4)) return NotJson(*path, "nested too deep for the Lua stack");
  const size_t length = lua_objlen(L, index);
  bool marked_array = false;
  if (lua_getmetatable(L, index)) {
    PushArrayMetatable(L);
    marked_array = lua_rawequal(L, -1, -2) != 0;
    lua_pop(L, 2);
  }
  if (length > 0 || marked_array) {
    size_t keys = 0;
    lua_pushnil(L);
    while (lua_next(L, index) != 0) {
      ++keys;
      lua_pop(L, 1);
    }
    if (keys != length) return NotJson(*path, "a table with keys 1.." + std::to_string(length) +
                                                  " and others is neither a JSON array nor an object");
    out->push_back('[');
    const size_t before = path->size();
    for (size_t i = 1; i <= length; ++i) {
      if (i > 1) out->push_back(',');
      lua_rawgeti(L, index, static_cast<int>(i));
      path->append("[" + std::to_string(i) + "]");
      Status s = AppendValue(L, lua_gettop(L), path, depth + 1, out);
      path->resize(before);
      lua_pop(L, 1);
      EL_RETURN_IF_ERROR(s);
    }
    out->push_back(']');
    return Status::Ok();
  }
  out->push_back('{');
  bool first = true;
  const size_t before = path->size();
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      lua_pop(L, 2);
      return NotJson(*path, "a table with a key that is neither 1..n nor a string is not JSON");
    }
    size_t size = 0;
    const char* key = lua_tolstring(L, -2, &size);
    const std::string_view name(key, size);
    if (!ingest::IsValidUtf8(name)) {
      lua_pop(L, 2);
      return NotJson(*path, "a member name is not valid UTF-8");
    }
    if (!first) out->push_back(',');
    first = false;
    ingest::AppendJsonString(name, out);
    out->push_back(':');
    path->push_back('.');
    path->append(name);
    Status s = AppendValue(L, lua_gettop(L), path, depth + 1, out);
    path->resize(before);
    if (!s.ok()) {
      lua_pop(L, 2);
      return s;
    }
    lua_pop(L, 1);
  }
  out->push_back('}');
  return Status::Ok();
}

Status AppendValue(lua_State* L, int index, std::string* path, int depth, std::string* out) {
  switch (lua_type(L, index)) {
    case LUA_TNIL: out->append("null"); return Status::Ok();
    case LUA_TBOOLEAN: out->append(lua_toboolean(L, index) ? "true" : "false"); return Status::Ok();
    case LUA_TNUMBER: {
      const double d = lua_tonumber(L, index);
      if (!std::isfinite(d)) return NotJson(*path, "NaN and infinities are not JSON numbers");
      AppendNumber(d, out);
      return Status::Ok();
    }
    case LUA_TSTRING: {
      size_t size = 0;
      const char* text = lua_tolstring(L, index, &size);
      if (!ingest::IsValidUtf8({text, size})) return NotJson(*path, "a string that is not valid UTF-8");
      ingest::AppendJsonString({text, size}, out);
      return Status::Ok();
    }
    case LUA_TTABLE: return AppendTable(L, index, path, depth, out);
    case LUA_TLIGHTUSERDATA:
      if (lua_touserdata(L, index) == nullptr) {
        out->append("null");
        return Status::Ok();
      }
      break;
    default: break;
  }
  return NotJson(*path, std::string("a ") + lua_typename(L, lua_type(L, index)) + " is not JSON");
}

// Lua errors are raised only once no C++ object is alive in the frame.
int LuaEncode(lua_State* L) {
  luaL_checkany(L, 1);
  {
    std::string out;
    Status s = AppendLuaAsJson(L, 1, "json.encode", &out);
    if (s.ok()) {
      lua_pushlstring(L, out.data(), out.size());
      return 1;
    }
    lua_pushlstring(L, s.message().data(), s.message().size());
  }
  return lua_error(L);
}

int LuaDecode(lua_State* L) {
  size_t size = 0;
  const char* text = luaL_checklstring(L, 1, &size);
  {
    Status s = PushJson(L, {text, size});
    if (s.ok()) return 1;
    const std::string message = "json.decode: " + s.message();
    lua_pushlstring(L, message.data(), message.size());
  }
  return lua_error(L);
}

}  // namespace

void PushJsonNull(lua_State* L) { lua_pushlightuserdata(L, nullptr); }

void InstallJson(lua_State* L) {
  lua_pushlightuserdata(L, const_cast<char*>(&kArrayMetatableKey));
  lua_createtable(L, 0, 1);
  lua_pushstring(L, "array");
  lua_setfield(L, -2, "__name");
  lua_rawset(L, LUA_REGISTRYINDEX);

  lua_createtable(L, 0, 4);
  PushJsonNull(L);
  lua_setfield(L, -2, "null");
  PushArrayMetatable(L);
  lua_setfield(L, -2, "array");
  lua_pushcfunction(L, LuaEncode);
  lua_setfield(L, -2, "encode");
  lua_pushcfunction(L, LuaDecode);
  lua_setfield(L, -2, "decode");
  lua_setglobal(L, "json");
}

Status PushJson(lua_State* L, std::string_view text) {
  const int top = lua_gettop(L);
  LuaSax sax(L);
  const bool ok = Json::sax_parse(text, &sax, nlohmann::detail::input_format_t::json, /*strict=*/true);
  if (!ok || lua_gettop(L) != top + 1) {
    lua_settop(L, top);
    return InvalidArgument("not JSON: " + (sax.error().empty() ? std::string("no value") : sax.error()));
  }
  return Status::Ok();
}

Status AppendLuaAsJson(lua_State* L, int index, std::string_view path, std::string* out) {
  if (index < 0 && index > LUA_REGISTRYINDEX) index = lua_gettop(L) + index + 1;
  std::string where(path);
  return AppendValue(L, index, &where, 0, out);
}

}  // namespace eventlake::pipeline
