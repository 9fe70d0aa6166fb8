// JSON <-> Lua: simdjson's DOM pushed onto the Lua stack, and a writer that walks tables with raw
// access, so that a script's metamethods never run while its output is read.
#include "pipeline/lua_json.h"

#include <simdjson.h>

#include <cmath>
#include <lua.hpp>
#include <vector>

#include "ingest/json_text.h"
#include "pipeline/json_number.h"

namespace eventlake::pipeline {
namespace {

// The address is the registry key of the `json.array` metatable.
const char kArrayMetatableKey = 0;

void PushArrayMetatable(lua_State* L) {
  lua_pushlightuserdata(L, const_cast<char*>(&kArrayMetatableKey));
  lua_rawget(L, LUA_REGISTRYINDEX);
}

// Pushes a parsed value; false (with *error) when it nests too deep.
bool PushElement(lua_State* L, simdjson::dom::element element, int depth, std::string* error) {
  switch (element.type()) {
    case simdjson::dom::element_type::OBJECT: {
      if (depth >= kMaxJsonDepth || !lua_checkstack(L, 4)) {
        *error = "nested deeper than " + std::to_string(kMaxJsonDepth);
        return false;
      }
      const simdjson::dom::object object = element.get_object().value_unsafe();
      lua_createtable(L, 0, static_cast<int>(object.size()));
      for (const simdjson::dom::key_value_pair member : object) {
        lua_pushlstring(L, member.key.data(), member.key.size());
        if (!PushElement(L, member.value, depth + 1, error)) return false;
        lua_rawset(L, -3);
      }
      return true;
    }
    case simdjson::dom::element_type::ARRAY: {
      if (depth >= kMaxJsonDepth || !lua_checkstack(L, 4)) {
        *error = "nested deeper than " + std::to_string(kMaxJsonDepth);
        return false;
      }
      const simdjson::dom::array array = element.get_array().value_unsafe();
      lua_createtable(L, static_cast<int>(array.size()), 0);
      PushArrayMetatable(L);
      lua_setmetatable(L, -2);
      int i = 0;
      for (const simdjson::dom::element item : array) {
        if (!PushElement(L, item, depth + 1, error)) return false;
        lua_rawseti(L, -2, ++i);
      }
      return true;
    }
    case simdjson::dom::element_type::STRING: {
      const std::string_view text = element.get_string().value_unsafe();
      lua_pushlstring(L, text.data(), text.size());
      return true;
    }
    case simdjson::dom::element_type::INT64:
      lua_pushnumber(L, static_cast<lua_Number>(element.get_int64().value_unsafe()));
      return true;
    case simdjson::dom::element_type::UINT64:
      lua_pushnumber(L, static_cast<lua_Number>(element.get_uint64().value_unsafe()));
      return true;
    case simdjson::dom::element_type::DOUBLE:
      lua_pushnumber(L, element.get_double().value_unsafe());
      return true;
    case simdjson::dom::element_type::BOOL:
      lua_pushboolean(L, element.get_bool().value_unsafe() ? 1 : 0);
      return true;
    case simdjson::dom::element_type::NULL_VALUE:
      PushJsonNull(L);
      return true;
  }
  *error = "an unknown JSON value";
  return false;
}

Status NotJson(std::string_view path, std::string_view why) {
  return InvalidArgument(std::string(path.empty() ? "value" : path) + ": " + std::string(why));
}

// Writes one value; `max_bytes_` is what the text may grow to: a table
// that holds one big string many times is small in Lua and huge as JSON.
// Errors say where (".member", "[i]"): the way down is kept only on an
// error, as it unwinds (a path kept up to date would cost every member).
class JsonWriter {
 public:
  JsonWriter(lua_State* L, size_t max_bytes, std::string* out)
      : L_(L), max_bytes_(max_bytes), out_(out) {}

  // The value at `index`, for errors at `path`.
  Status Write(int index, std::string_view path) {
    Status s = Value(index, 0);
    if (s.ok()) return s;
    std::string where(path);
    for (auto step = down_.rbegin(); step != down_.rend(); ++step) where += *step;
    return NotJson(where, s.message());
  }

 private:
  Status Value(int index, int depth) {
    if (out_->size() > max_bytes_) {
      return InvalidArgument("the JSON text is over the limit of " + std::to_string(max_bytes_) +
                             " bytes");
    }
    switch (lua_type(L_, index)) {
      case LUA_TNIL:
        out_->append("null");
        return Status::Ok();
      case LUA_TBOOLEAN:
        out_->append(lua_toboolean(L_, index) ? "true" : "false");
        return Status::Ok();
      case LUA_TNUMBER: {
        const double d = lua_tonumber(L_, index);
        if (!std::isfinite(d)) return InvalidArgument("NaN and infinities are not JSON numbers");
        AppendJsonNumber(d, out_);
        return Status::Ok();
      }
      case LUA_TSTRING: {
        size_t size = 0;
        const char* text = lua_tolstring(L_, index, &size);
        if (!ingest::AppendValidJsonString({text, size}, out_))
          return InvalidArgument("a string that is not valid UTF-8");
        return Status::Ok();
      }
      case LUA_TTABLE:
        return Table(index, depth);
      case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L_, index) == nullptr) {
          out_->append("null");
          return Status::Ok();
        }
        break;
      default:
        break;
    }
    return InvalidArgument(std::string("a ") + lua_typename(L_, lua_type(L_, index)) +
                           " is not JSON");
  }

  // Keys 1..n: an array; all string keys: an object; anything else: an error.
  Status Table(int index, int depth) {
    if (depth >= kMaxJsonDepth) {
      return InvalidArgument("nested deeper than " + std::to_string(kMaxJsonDepth) +
                             " (a table that holds itself?)");
    }
    if (!lua_checkstack(L_, 4)) return InvalidArgument("nested too deep for the Lua stack");
    const size_t length = lua_objlen(L_, index);
    bool marked_array = false;
    if (lua_getmetatable(L_, index)) {
      PushArrayMetatable(L_);
      marked_array = lua_rawequal(L_, -1, -2) != 0;
      lua_pop(L_, 2);
    }
    if (length > 0 || marked_array) return Array(index, length, depth);
    out_->push_back('{');
    bool first = true;
    lua_pushnil(L_);
    while (lua_next(L_, index) != 0) {
      if (lua_type(L_, -2) != LUA_TSTRING) {
        lua_pop(L_, 2);
        return InvalidArgument("a table with a key that is neither 1..n nor a string is not JSON");
      }
      size_t size = 0;
      const char* key = lua_tolstring(L_, -2, &size);
      const std::string_view name(key, size);
      if (!first) out_->push_back(',');
      first = false;
      if (!ingest::AppendValidJsonString(name, out_)) {
        lua_pop(L_, 2);
        return InvalidArgument("a member name is not valid UTF-8");
      }
      out_->push_back(':');
      Status s = Value(lua_gettop(L_), depth + 1);
      if (!s.ok()) {
        down_.push_back("." + std::string(name));
        lua_pop(L_, 2);
        return s;
      }
      lua_pop(L_, 1);
    }
    out_->push_back('}');
    return Status::Ok();
  }

  Status Array(int index, size_t length, int depth) {
    size_t keys = 0;
    lua_pushnil(L_);
    while (lua_next(L_, index) != 0) {
      ++keys;
      lua_pop(L_, 1);
    }
    if (keys != length) {
      return InvalidArgument("a table with keys 1.." + std::to_string(length) +
                             " and others is neither a JSON array nor an object");
    }
    out_->push_back('[');
    for (size_t i = 1; i <= length; ++i) {
      if (i > 1) out_->push_back(',');
      lua_rawgeti(L_, index, static_cast<int>(i));
      Status s = Value(lua_gettop(L_), depth + 1);
      lua_pop(L_, 1);
      if (!s.ok()) {
        down_.push_back("[" + std::to_string(i) + "]");
        return s;
      }
    }
    out_->push_back(']');
    return Status::Ok();
  }

  lua_State* L_;
  size_t max_bytes_;
  std::string* out_;
  std::vector<std::string> down_;  // after an error: from the value that failed up to the top
};

// Lua errors are raised only once no C++ object is alive in the frame.
int LuaEncode(lua_State* L) {
  luaL_checkany(L, 1);
  {
    std::string out;
    const auto max_bytes = static_cast<size_t>(lua_tonumber(L, lua_upvalueindex(1)));
    Status s = AppendLuaAsJson(L, 1, "json.encode", max_bytes, &out);
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

void InstallJson(lua_State* L, size_t max_encoded_bytes) {
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
  lua_pushnumber(L, static_cast<lua_Number>(max_encoded_bytes));
  lua_pushcclosure(L, LuaEncode, 1);
  lua_setfield(L, -2, "encode");
  lua_pushcfunction(L, LuaDecode);
  lua_setfield(L, -2, "decode");
  lua_setglobal(L, "json");
}

Status PushJson(lua_State* L, std::string_view text) {
  // One parser per thread: its buffers are reused, and a sandbox is used
  // by one thread at a time (a parse never spans two calls).
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(text.data(), text.size()).get(root); error) {
    return InvalidArgument(std::string("not JSON: ") + simdjson::error_message(error));
  }
  const int top = lua_gettop(L);
  std::string why;
  if (!PushElement(L, root, 0, &why)) {
    lua_settop(L, top);
    return InvalidArgument("not JSON: " + why);
  }
  return Status::Ok();
}

Status AppendLuaAsJson(lua_State* L, int index, std::string_view path, size_t max_bytes,
                       std::string* out) {
  if (index < 0 && index > LUA_REGISTRYINDEX) index = lua_gettop(L) + index + 1;
  const size_t start = out->size();
  Status written = JsonWriter(L, start + max_bytes, out).Write(index, path);
  if (written.ok() && out->size() - start > max_bytes) {
    written =
        NotJson(path, "the JSON text is over the limit of " + std::to_string(max_bytes) + " bytes");
  }
  if (!written.ok()) out->resize(start);
  return written;
}

}  // namespace eventlake::pipeline
