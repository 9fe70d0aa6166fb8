// CloudEvent <-> Lua table. Tables are read with raw access (lua_next,
// lua_rawget): reading a script's result never runs its metamethods.
#include "pipeline/lua_event.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <lua.hpp>
#include <string_view>

#include "core/base64.h"
#include "core/id.h"
#include "ingest/attribute_rules.h"
#include "ingest/json_text.h"
#include "pipeline/lua_json.h"

namespace eventlake::pipeline {
namespace {

// The attributes' names, interned once per state and kept in a table in
// the registry (under &kKeyTableKey), rather than hashed for every event.
enum class Key : int {
  kData = 1,
  kDataBase64,
  kId,
  kSource,
  kSpecVersion,
  kType,
  kSubject,
  kTime,
  kDataContentType,
  kDataSchema,
};
constexpr std::array<const char*, 10> kKeyNames = {
    "data", "data_base64", "id",   "source",          "specversion",
    "type", "subject",     "time", "datacontenttype", "dataschema"};
const char kKeyTableKey = 0;

// Pushes the table of names ([Key] = name), made on first use.
void PushKeyTable(lua_State* L) {
  lua_pushlightuserdata(L, const_cast<char*>(&kKeyTableKey));
  lua_rawget(L, LUA_REGISTRYINDEX);
  if (!lua_isnil(L, -1)) return;
  lua_pop(L, 1);
  lua_createtable(L, static_cast<int>(kKeyNames.size()), 0);
  for (size_t i = 0; i < kKeyNames.size(); ++i) {
    lua_pushstring(L, kKeyNames[i]);
    lua_rawseti(L, -2, static_cast<int>(i) + 1);
  }
  lua_pushlightuserdata(L, const_cast<char*>(&kKeyTableKey));
  lua_pushvalue(L, -2);
  lua_rawset(L, LUA_REGISTRYINDEX);
}

// Pushes the name of `key`; the key table is at the top of the stack.
void PushKey(lua_State* L, Key key) { lua_rawgeti(L, -1, static_cast<int>(key)); }

// With the event table below the key table at the top: event[key] = value.
void SetString(lua_State* L, Key key, std::string_view value) {
  PushKey(L, key);
  lua_pushlstring(L, value.data(), value.size());
  lua_rawset(L, -4);
}

bool IsJsonData(const std::optional<std::string>& content_type) {
  return !content_type.has_value() || ingest::IsJsonMediaType(*content_type);
}

std::string_view StringAt(lua_State* L, int index) {
  size_t size = 0;
  const char* text = lua_tolstring(L, index, &size);
  return {text, size};
}

// The string value at the top of the stack, for the attribute `name`:
// valid while the value is on the stack.
Result<std::string_view> AttributeString(lua_State* L, std::string_view where,
                                         std::string_view name) {
  if (lua_type(L, -1) != LUA_TSTRING) {
    return Err(InvalidArgument(std::string(where) + ": " + std::string(name) +
                               " must be a string, not a " + lua_typename(L, lua_type(L, -1))));
  }
  const std::string_view text = StringAt(L, -1);
  if (!ingest::IsValidUtf8(text)) {
    return Err(
        InvalidArgument(std::string(where) + ": " + std::string(name) + " is not valid UTF-8"));
  }
  return text;
}

Result<ExtensionValue> ExtensionAt(lua_State* L, std::string_view where, std::string_view name) {
  switch (lua_type(L, -1)) {
    case LUA_TBOOLEAN:
      return ExtensionValue(lua_toboolean(L, -1) != 0);
    case LUA_TNUMBER: {
      const double d = lua_tonumber(L, -1);
      if (std::trunc(d) != d || std::abs(d) > 9.2e18) {
        return Err(InvalidArgument(std::string(where) + ": the extension " + std::string(name) +
                                   " must be an integer, a string or a boolean"));
      }
      return ExtensionValue(static_cast<int64_t>(d));
    }
    case LUA_TSTRING: {
      EL_ASSIGN_OR_RETURN(std::string_view text, AttributeString(L, where, name));
      return ExtensionValue(std::string(text));
    }
    default:
      return Err(InvalidArgument(std::string(where) + ": the extension " + std::string(name) +
                                 " must be a string, a boolean or an integer, not a " +
                                 lua_typename(L, lua_type(L, -1))));
  }
}

// One key/value of the table (key at -2, value at -1) into `event`; data
// is left to the caller, which needs the datacontenttype first.
Status ApplyMember(lua_State* L, std::string_view where, CloudEvent& event, bool* has_base64) {
  if (lua_type(L, -2) != LUA_TSTRING) {
    return InvalidArgument(std::string(where) + ": an event table has string keys only, not a " +
                           lua_typename(L, lua_type(L, -2)));
  }
  const std::string_view name = StringAt(L, -2);
  const auto text = [&]() { return AttributeString(L, where, name); };
  if (name == "data") return Status::Ok();
  std::string* required = name == "id"       ? &event.id
                          : name == "source" ? &event.source
                          : name == "type"   ? &event.type
                                             : nullptr;
  std::optional<std::string>* optional = name == "subject"           ? &event.subject
                                         : name == "datacontenttype" ? &event.data_content_type
                                         : name == "dataschema"      ? &event.data_schema
                                                                     : nullptr;
  if (required != nullptr || optional != nullptr) {
    EL_ASSIGN_OR_RETURN(std::string_view value, text());
    if (required != nullptr) {
      required->assign(value);
    } else {
      optional->emplace(value);
    }
    return Status::Ok();
  }
  if (name == "specversion") {
    EL_ASSIGN_OR_RETURN(std::string_view version, text());
    if (version != "1.0") {
      return InvalidArgument(std::string(where) + ": specversion must be 1.0, not " +
                             std::string(version));
    }
  } else if (name == "time") {
    EL_ASSIGN_OR_RETURN(std::string_view time, text());
    auto micros = ParseRfc3339(time);
    if (!micros.has_value())
      return InvalidArgument(std::string(where) + ": time: " + micros.error().message());
    event.time = *micros;
  } else if (name == "data_base64") {
    EL_ASSIGN_OR_RETURN(std::string_view base64, text());
    EL_ASSIGN_OR_RETURN(event.data, DecodeBase64(base64));
    event.data_is_binary = true;
    *has_base64 = true;
  } else if (ingest::IsExtensionName(name)) {
    EL_ASSIGN_OR_RETURN(ExtensionValue value, ExtensionAt(L, where, name));
    event.extensions.push_back({std::string(name), std::move(value)});
  } else {
    return InvalidArgument(std::string(where) + ": '" + std::string(name) +
                           "' is neither an attribute nor an extension name (1-20 of a-z and 0-9)");
  }
  return Status::Ok();
}

// event.data from the table's `data` (at the top of the stack).
Status ApplyData(lua_State* L, std::string_view where, size_t max_bytes, size_t data_bytes,
                 CloudEvent& event) {
  if (IsJsonData(event.data_content_type)) {
    event.data.reserve(data_bytes);
    EL_RETURN_IF_ERROR(
        AppendLuaAsJson(L, -1, std::string(where) + ": data", max_bytes, &event.data));
    if (!event.data_content_type) event.data_content_type = "application/json";
    return Status::Ok();
  }
  if (lua_type(L, -1) != LUA_TSTRING) {
    return InvalidArgument(std::string(where) + ": the data of a " +
                           event.data_content_type.value_or("") +
                           " event must be a string, not a " + lua_typename(L, lua_type(L, -1)));
  }
  event.data = std::string(StringAt(L, -1));
  return Status::Ok();
}

// The keys PushEvent sets: a table sized to them exactly (LuaJIT rounds
// up to a power of two) is half the garbage of one sized for all.
int MemberCount(const CloudEvent& event) {
  int count = 4 + static_cast<int>(event.extensions.size());  // id, source, specversion, type
  if (event.data_is_binary || !event.data.empty()) ++count;
  for (bool present : {event.subject.has_value(), event.time.has_value(),
                       event.data_content_type.has_value(), event.data_schema.has_value()}) {
    count += present ? 1 : 0;
  }
  return count;
}

}  // namespace

Status PushEvent(lua_State* L, const CloudEvent& event) {
  lua_createtable(L, 0, MemberCount(event));
  PushKeyTable(L);
  if (event.data_is_binary) {
    SetString(L, Key::kDataBase64, EncodeBase64(event.data));
  } else if (!event.data.empty() && IsJsonData(event.data_content_type)) {
    PushKey(L, Key::kData);
    Status pushed = PushJson(L, event.data);
    if (!pushed.ok()) {
      lua_pop(L, 3);
      return InvalidArgument("the event's data is not JSON: " + pushed.message());
    }
    lua_rawset(L, -4);
  } else if (!event.data.empty()) {
    SetString(L, Key::kData, event.data);
  }
  SetString(L, Key::kId, event.id);
  SetString(L, Key::kSource, event.source);
  SetString(L, Key::kSpecVersion, event.spec_version);
  SetString(L, Key::kType, event.type);
  if (event.subject) SetString(L, Key::kSubject, *event.subject);
  if (event.time) SetString(L, Key::kTime, FormatRfc3339(*event.time));
  if (event.data_content_type) SetString(L, Key::kDataContentType, *event.data_content_type);
  if (event.data_schema) SetString(L, Key::kDataSchema, *event.data_schema);
  lua_pop(L, 1);  // the key table
  for (const Extension& x : event.extensions) {
    if (const auto* b = std::get_if<bool>(&x.value)) {
      lua_pushboolean(L, *b ? 1 : 0);
    } else if (const auto* n = std::get_if<int64_t>(&x.value)) {
      lua_pushnumber(L, static_cast<lua_Number>(*n));
    } else {
      const auto& s = std::get<std::string>(x.value);
      lua_pushlstring(L, s.data(), s.size());
    }
    lua_setfield(L, -2, x.name.c_str());
  }
  return Status::Ok();
}

Result<CloudEvent> ToEvent(lua_State* L, int index, const EventDefaults& defaults,
                           std::string_view where, size_t max_data_bytes) {
  if (index < 0) index = lua_gettop(L) + index + 1;
  if (lua_type(L, index) != LUA_TTABLE) {
    return Err(InvalidArgument(std::string(where) + " is a " + lua_typename(L, lua_type(L, index)) +
                               ", not an event table"));
  }
  CloudEvent event;
  bool has_base64 = false;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    Status applied = ApplyMember(L, where, event, &has_base64);
    if (!applied.ok()) {
      lua_pop(L, 2);
      return Err(applied);
    }
    lua_pop(L, 1);
  }
  lua_pushliteral(L, "data");
  lua_rawget(L, index);
  Status data = Status::Ok();
  if (!lua_isnil(L, -1)) {
    data = has_base64 ? InvalidArgument(std::string(where) +
                                        ": data and data_base64 must not both be present")
                      : ApplyData(L, where, max_data_bytes, defaults.data_bytes, event);
  }
  lua_pop(L, 1);
  EL_RETURN_IF_ERROR(data);
  // Table order is no order: by name, so that equal tables make equal events.
  std::sort(event.extensions.begin(), event.extensions.end(),
            [](const Extension& a, const Extension& b) { return a.name < b.name; });
  if (event.id.empty()) event.id = NewEventId();
  if (event.source.empty()) event.source = defaults.source;
  if (event.type.empty()) event.type = defaults.type;
  return event;
}

size_t EventBytes(const CloudEvent& event) {
  size_t bytes = event.id.size() + event.source.size() + event.type.size() + event.data.size();
  for (const auto* attribute : {&event.subject, &event.data_content_type, &event.data_schema}) {
    bytes += attribute->has_value() ? (*attribute)->size() : 0;
  }
  for (const Extension& x : event.extensions) {
    const auto* text = std::get_if<std::string>(&x.value);
    bytes += x.name.size() + (text != nullptr ? text->size() : sizeof(int64_t));
  }
  return bytes;
}

}  // namespace eventlake::pipeline
