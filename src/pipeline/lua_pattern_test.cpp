// The bounded patterns give what LuaJIT's own string.find, match, gmatch
// and gsub give (compared expression by expression in two states), and
// stop when the limit says so.
#include "pipeline/lua_pattern.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <lua.hpp>
#include <string>

namespace eventlake::pipeline {
namespace {

bool Never(lua_State*) { return false; }

int limit_calls = 0;
bool AfterTenChecks(lua_State*) { return ++limit_calls > 10; }

class State {
 public:
  explicit State(PatternLimit limit) : L_(luaL_newstate()) {
    luaL_openlibs(L_);
    if (limit != nullptr) {
      lua_getglobal(L_, "string");
      InstallBoundedPatterns(L_, limit);
      lua_pop(L_, 1);
    }
  }
  ~State() { lua_close(L_); }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  // The results of `expression` as "type:value ...", or "error" (the
  // messages of the two implementations may differ).
  std::string Eval(const std::string& expression) {
    const std::string chunk = "local ok, r = pcall(function() return {" + expression +
                              "} end)\n"
                              "if not ok then return 'error' end\n"
                              "local t = {} for i = 1, table.maxn(r) do t[#t + 1] = type(r[i]) .. "
                              "':' .. tostring(r[i]) end\n"
                              "return table.concat(t, ' ')";
    if (luaL_dostring(L_, chunk.c_str()) != 0)
      return std::string("chunk error: ") + lua_tostring(L_, -1);
    std::string result = lua_tostring(L_, -1);
    lua_pop(L_, 1);
    return result;
  }

 private:
  lua_State* L_;
};

TEST(LuaPattern, GivesWhatLuaJitGives) {
  State native(nullptr);
  State bounded(Never);
  const char* expressions[] = {
      // find: plain, init, anchors, captures, position captures
      "string.find('hello world', 'o w')",
      "string.find('hello', 'l', 1, true)",
      "string.find('a.b', '.', 1, true)",
      "string.find('hello', '')",
      "string.find('hello', '', 10)",
      "string.find('hello', 'l', -2)",
      "string.find('hello', 'l', -100)",
      "string.find('hello', '^h')",
      "string.find('hello', '^e')",
      "string.find('hello', 'o$')",
      "string.find('hello', 'l$')",
      "string.find('a$b', '$b')",
      "string.find('hello', '(l)(l)')",
      "string.find('hello', '()ll()')",
      "string.find('key = value', '(%w+)%s*=%s*(%w+)')",
      // classes, sets, complements, ranges
      "string.match('  trim me  ', '^%s*(.-)%s*$')",
      "string.match('abc123def', '%d+')",
      "string.match('abc123', '%a+')",
      "string.match('x-y_z', '[%w_]+')",
      "string.match('HELLO there', '%u+')",
      "string.match('hello THERE', '%l+')",
      "string.match('a,b;c', '[^,;]+$')",
      "string.match('0x1F', '0x(%x+)')",
      "string.match('a]b', '[]]')",
      "string.match('a-b', '[a%-]+')",
      "string.match('m-z', '[a-m]')",
      "string.match('tab\\there', '%c')",
      "string.match('p.u,n!', '%p+')",
      "string.match('a\\0b', '%z')",
      "string.match('abc', '%A')",
      "string.match('a1 ', '%S+')",
      "string.match('[x]', '%[(.)%]')",
      "string.match('a.b', 'a%.b')",
      "string.match('aaa', 'a-')",
      "string.match('aaa', 'a-$')",
      "string.match('aaab', 'a*b')",
      "string.match('b', 'a*b')",
      "string.match('b', 'a+b')",
      "string.match('ab', 'a?b')",
      "string.match('b', 'a?b')",
      "string.match('hello', '(h)(e)(l)(l)(o)')",
      "string.match('hello', '()')",
      // back references, balance, frontier
      "string.match('say \"hi\" now', '([\"\\'])(.-)%1')",
      "string.match('f(a(b)c) d', '%b()')",
      "string.match('x', '%bxy')",
      "string.match('THE (quick) fox', '%f[%a]%a+')",
      "string.match('hello world', '%f[%w]%w+$')",
      "string.find('THE (quick) fox', '%f[%l]')",
      // gmatch
      "(function() local t = {} for w in string.gmatch('one two  three', '%a+') do t[#t+1] = w end "
      "return table.concat(t, ',') end)()",
      "(function() local t = {} for k, v in string.gmatch('a=1, b=2', '(%w+)=(%w+)') do t[#t+1] = "
      "k .. v end return table.concat(t, ',') end)()",
      "(function() local t = {} for p in string.gmatch('abc', '()') do t[#t+1] = p end return "
      "table.concat(t, ',') end)()",
      "(function() local t = {} for w in string.gmatch('abc', 'x*') do t[#t+1] = '[' .. w .. ']' "
      "end return table.concat(t) end)()",
      "(function() local t = {} for w in string.gmatch('^a^a', '^a') do t[#t+1] = w end return #t "
      "end)()",
      // gsub: strings, %0-%9, %%, tables, functions, false, counts, anchors, empty matches
      "string.gsub('hello world', 'o', '0')",
      "string.gsub('hello world', '(o)', '[%1]')",
      "string.gsub('abc', '%w', '%0%0')",
      "string.gsub('abc', '', '-')",
      "string.gsub('abc', 'x*', '-')",
      "string.gsub('hello', 'l', 'L', 1)",
      "string.gsub('hello', '^h', 'H')",
      "string.gsub('hhh', '^h', 'H')",
      "string.gsub('50%', '%%', ' percent')",
      "string.gsub('a', 'a', '%%')",
      "string.gsub('a', 'a', '%x')",
      "string.gsub('abc', '()', '%1')",
      "string.gsub('$name is $age', '%$(%w+)', {name = 'Ann', age = 7})",
      "string.gsub('$x', '%$(%w+)', {})",
      "string.gsub('abc', '%w', function(c) return c:upper() .. '.' end)",
      "string.gsub('abc', '%w', function() return false end)",
      "string.gsub('a b', '(%w)', function(c) return nil end)",
      "string.gsub('abc', 'b', 5)",
      "string.gsub('x', 'x', 1.5)",
      "string.gsub('hello', '', 'x', 2)",
      "string.gsub('hello', 'l+', function(s) return #s end)",
      "('Hi There'):gsub('%u', string.lower)",
      "('abc'):find('b')",
      "('x=1'):match('(%w)=(%d)')",
      // errors
      "string.find('a', '%')",
      "string.find('a', '[a')",
      "string.find('a', '(a')",
      "string.find('a', 'a)')",
      "string.match('a', '%1')",
      "string.gsub('a', 'a', '%2')",
      "string.gsub('a', 'a', true)",
      "string.gsub('a', '(a)', {a = {}})",
      "string.match('a', '%f')",
      "string.match('a', '%b')",
      "string.find(nil, 'a')",
      "string.rep('x', 3):find(('(x)'):rep(33))",
  };
  for (const char* expression : expressions) {
    EXPECT_EQ(bounded.Eval(expression), native.Eval(expression)) << expression;
  }
}

TEST(LuaPattern, StopsWhenTheLimitSaysSo) {
  State bounded(AfterTenChecks);
  limit_calls = 0;
  // Exponential backtracking: hours for LuaJIT's own string.find.
  EXPECT_EQ(
      bounded.Eval(
          "string.find(string.rep('a', 40), string.rep('a?', 40) .. string.rep('a', 40) .. 'b')"),
      "error");
  EXPECT_GT(limit_calls, 10);
  limit_calls = 0;
  EXPECT_EQ(bounded.Eval("string.gsub(string.rep('a', 100000), 'a*b', '')"), "error");
  State unbounded(Never);
  EXPECT_EQ(unbounded.Eval("string.gsub(string.rep('a', 2000), 'a*b', '')"),
            "string:" + std::string(2000, 'a') + " number:0");
}

}  // namespace
}  // namespace eventlake::pipeline
