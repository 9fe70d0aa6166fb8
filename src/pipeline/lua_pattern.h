// Lua 5.1 patterns for the `lua` step's sandbox, under its CPU limit.
//
// LuaJIT's string.find, string.match, string.gmatch and string.gsub match
// in C without ever running the hook that enforces the CPU limit, and
// patterns backtrack: string.find(string.rep("a", 26), string.rep("a?", 26)
// .. string.rep("a", 26) .. "b") took 27 s here, and "a*b" over a long
// string of "a" is quadratic. These replacements implement the same
// patterns (the Lua 5.1 manual, section 5.4.1: classes, sets, the
// quantifiers * + - ?, anchors, captures and position captures, %1-%9,
// %b and %f) and ask `over_limit` every few thousand steps; when it says
// yes, the call raises a Lua error. Results are those of LuaJIT's own
// functions (lua_pattern_test.cpp compares them).
#pragma once

struct lua_State;

namespace eventlake::pipeline {

// True when the call must stop; it may record why (a flag the caller
// reads after the call).
using PatternLimit = bool (*)(lua_State* L);

// Replaces find, match, gmatch and gsub in the table on top of the stack
// (the string library, which is also the strings' metatable __index).
void InstallBoundedPatterns(lua_State* L, PatternLimit over_limit);

}  // namespace eventlake::pipeline
