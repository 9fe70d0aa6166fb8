// JSON text <-> Lua values for the `lua` step (issue 6), and the `json`
// table its scripts see. The mapping, as lua-cjson's (which OpenResty users
// know):
//
//   JSON            Lua
//   object          table with string keys (member order is not kept)
//   array           sequence 1..n whose metatable is `json.array`
//   string          string (UTF-8)
//   number          number (a double: integers beyond 2^53 lose precision)
//   true / false    boolean
//   null            json.null (a light userdata; `v == json.null`)
//
// Back to JSON: a table whose keys are exactly 1..n is an array, a table
// whose keys are all strings an object, an empty table `{}` an object
// unless its metatable is `json.array` (`setmetatable({}, json.array)` is
// `[]`, and an empty array that came in stays one); a table that mixes
// both kinds of keys, has holes, nests deeper than kMaxJsonDepth (a cycle)
// or holds a function, a NaN or a string that is not UTF-8 is an error
// naming where ("data.items[2]: ..."). Integral numbers are written
// without a fraction (3, not 3.0).
//
// Scripts also get json.encode(value) -> text and json.decode(text) -> value.
//
// All functions here take a lua_State that was prepared by InstallJson and
// may raise Lua errors (out of memory): call them inside a protected call.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

struct lua_State;

namespace eventlake::pipeline {

inline constexpr int kMaxJsonDepth = 100;

// Sets the global table `json` {null, array, encode, decode} and the
// registry entries the functions below use; json.encode refuses text
// longer than `max_encoded_bytes`.
void InstallJson(lua_State* L, size_t max_encoded_bytes);

// Pushes the value of the JSON `text`; InvalidArgument (nothing pushed)
// when it is not JSON or nests deeper than kMaxJsonDepth.
Status PushJson(lua_State* L, std::string_view text);

// Appends the Lua value at `index` as JSON to *out; InvalidArgument (and
// *out as it was) when it has no JSON form or its text would be longer
// than `max_bytes`, the message starting with where: `path`, then
// ".member" and "[i]" (1-based, as in Lua) down to the value.
Status AppendLuaAsJson(lua_State* L, int index, std::string_view path, size_t max_bytes,
                       std::string* out);

// Pushes json.null.
void PushJsonNull(lua_State* L);

}  // namespace eventlake::pipeline
