// Lua patterns by backtracking, as the Lua 5.1 manual defines them, with
// a step count: the matcher is the classic recursive one (a call per
// pattern item that can backtrack), and every kStepsPerCheck steps it asks
// the limit. Results are built in luaL_Buffers, so the memory they take is
// the state's and under its limit.
#include "pipeline/lua_pattern.h"

#include <string.h>  // memmem

#include <cctype>
#include <cstddef>
#include <cstring>
#include <lua.hpp>
#include <utility>

namespace eventlake::pipeline {
namespace {

constexpr int kMaxCaptures = 32;
constexpr int kMaxDepth = 200;  // recursion: "pattern too complex" beyond
constexpr unsigned kStepsPerCheck = 4096;
constexpr ptrdiff_t kUnfinished = -1;
constexpr ptrdiff_t kPosition = -2;

bool HasSpecials(const char* p, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    if (std::strchr("^$*+?.([%-", p[i]) != nullptr && p[i] != '\0') return true;
  }
  return false;
}

// The limit travels as a full userdata upvalue (a function pointer is not
// a light userdata).
PatternLimit LimitOf(lua_State* L) {
  PatternLimit limit = nullptr;
  std::memcpy(&limit, lua_touserdata(L, lua_upvalueindex(1)), sizeof limit);
  return limit;
}

class Matcher {
 public:
  Matcher(lua_State* L, const char* s, size_t s_size, const char* p, size_t p_size,
          PatternLimit limit)
      : L_(L), s_init_(s), s_end_(s + s_size), p_end_(p + p_size), limit_(limit) {}

  void Reset() {
    level_ = 0;
    depth_ = 0;
  }

  // The end of the match of `p` at `s`, or nullptr.
  const char* Match(const char* s, const char* p) {
    if (++depth_ > kMaxDepth) luaL_error(L_, "pattern too complex");
    const char* end = MatchHere(s, p);
    --depth_;
    return end;
  }

  // The captures of a match [s, e) (the whole match when there are none
  // and `s` is not nullptr); how many were pushed.
  int PushCaptures(const char* s, const char* e) {
    const int n = (level_ == 0 && s != nullptr) ? 1 : level_;
    luaL_checkstack(L_, n, "too many captures");
    for (int i = 0; i < n; ++i) PushCapture(i, s, e);
    return n;
  }

  void PushCapture(int i, const char* s, const char* e) {
    if (i >= level_) {
      if (i != 0) luaL_error(L_, "invalid capture index");
      lua_pushlstring(L_, s, static_cast<size_t>(e - s));
      return;
    }
    const ptrdiff_t length = captures_[i].length;
    if (length == kUnfinished) luaL_error(L_, "unfinished capture");
    if (length == kPosition) {
      lua_pushinteger(L_, captures_[i].start - s_init_ + 1);
    } else {
      lua_pushlstring(L_, captures_[i].start, static_cast<size_t>(length));
    }
  }

  const char* subject_end() const { return s_end_; }

 private:
  struct Capture {
    const char* start;
    ptrdiff_t length;
  };

  void Step() {
    if (++steps_ % kStepsPerCheck == 0 && limit_(L_)) luaL_error(L_, "exceeded the CPU time limit");
  }

  const char* MatchHere(const char* s, const char* p) {
    while (true) {
      Step();
      if (p == p_end_) return s;
      switch (*p) {
        case '(':
          if (p + 1 < p_end_ && p[1] == ')') return StartCapture(s, p + 2, kPosition);
          return StartCapture(s, p + 1, kUnfinished);
        case ')':
          return EndCapture(s, p + 1);
        case '$':
          if (p + 1 == p_end_) return s == s_end_ ? s : nullptr;
          break;
        case '%':
          if (p + 1 < p_end_ && p[1] == 'b') {
            s = MatchBalance(s, p + 2);
            if (s == nullptr) return nullptr;
            p += 4;
            continue;
          }
          if (p + 1 < p_end_ && p[1] == 'f') {
            p += 2;
            if (p >= p_end_ || *p != '[') luaL_error(L_, "missing '[' after '%%f' in pattern");
            const char* ep = ClassEnd(p);
            const auto before = static_cast<unsigned char>(s == s_init_ ? '\0' : s[-1]);
            const auto here = static_cast<unsigned char>(s < s_end_ ? *s : '\0');
            if (MatchSet(before, p, ep - 1) || !MatchSet(here, p, ep - 1)) return nullptr;
            p = ep;
            continue;
          }
          if (p + 1 < p_end_ && std::isdigit(static_cast<unsigned char>(p[1]))) {
            s = MatchBackReference(s, p[1]);
            if (s == nullptr) return nullptr;
            p += 2;
            continue;
          }
          break;
        default:
          break;
      }
      const char* ep = ClassEnd(p);
      const bool here = s < s_end_ && SingleMatch(static_cast<unsigned char>(*s), p, ep);
      switch (ep < p_end_ ? *ep : '\0') {
        case '?':
          if (here) {
            const char* end = Match(s + 1, ep + 1);
            if (end != nullptr) return end;
          }
          p = ep + 1;
          continue;
        case '*':
          return MaxExpand(s, p, ep);
        case '+':
          return here ? MaxExpand(s + 1, p, ep) : nullptr;
        case '-':
          return MinExpand(s, p, ep);
        default:
          if (!here) return nullptr;
          ++s;
          p = ep;
          continue;
      }
    }
  }

  // The end of the single-character class at p.
  const char* ClassEnd(const char* p) {
    const char c = *p++;
    if (c == '%') {
      if (p >= p_end_) luaL_error(L_, "malformed pattern (ends with '%%')");
      return p + 1;
    }
    if (c == '[') {
      if (p < p_end_ && *p == '^') ++p;
      do {  // the first character is in the set even when it is ']'
        if (p >= p_end_) luaL_error(L_, "malformed pattern (missing ']')");
        if (*p++ == '%' && p < p_end_) ++p;
      } while (p >= p_end_ || *p != ']');
      return p + 1;
    }
    return p;
  }

  static bool MatchClass(unsigned char c, unsigned char class_letter) {
    using Test = int (*)(int);
    static constexpr std::pair<char, Test> kClasses[] = {
        {'a', [](int x) { return std::isalpha(x); }},  {'c', [](int x) { return std::iscntrl(x); }},
        {'d', [](int x) { return std::isdigit(x); }},  {'l', [](int x) { return std::islower(x); }},
        {'p', [](int x) { return std::ispunct(x); }},  {'s', [](int x) { return std::isspace(x); }},
        {'u', [](int x) { return std::isupper(x); }},  {'w', [](int x) { return std::isalnum(x); }},
        {'x', [](int x) { return std::isxdigit(x); }}, {'z', [](int x) { return x == 0 ? 1 : 0; }}};
    const bool upper = class_letter >= 'A' && class_letter <= 'Z';  // %A: not %a
    const int lower = upper ? class_letter + ('a' - 'A') : class_letter;
    for (const auto& [letter, test] : kClasses) {
      if (letter == lower) return (test(c) != 0) != upper;
    }
    return class_letter == c;  // %. is the character itself
  }

  // [set] from p ('[') to last (its ']').
  static bool MatchSet(unsigned char c, const char* p, const char* last) {
    bool found = true;
    if (p[1] == '^') {
      found = false;
      ++p;
    }
    while (++p < last) {
      if (*p == '%') {
        ++p;
        if (MatchClass(c, static_cast<unsigned char>(*p))) return found;
      } else if (p[1] == '-' && p + 2 < last) {
        p += 2;
        if (static_cast<unsigned char>(p[-2]) <= c && c <= static_cast<unsigned char>(*p))
          return found;
      } else if (static_cast<unsigned char>(*p) == c) {
        return found;
      }
    }
    return !found;
  }

  static bool SingleMatch(unsigned char c, const char* p, const char* ep) {
    switch (*p) {
      case '.':
        return true;
      case '%':
        return MatchClass(c, static_cast<unsigned char>(p[1]));
      case '[':
        return MatchSet(c, p, ep - 1);
      default:
        return static_cast<unsigned char>(*p) == c;
    }
  }

  const char* MaxExpand(const char* s, const char* p, const char* ep) {
    ptrdiff_t i = 0;
    while (s + i < s_end_ && SingleMatch(static_cast<unsigned char>(s[i]), p, ep)) {
      ++i;
      Step();
    }
    for (; i >= 0; --i) {
      const char* end = Match(s + i, ep + 1);
      if (end != nullptr) return end;
    }
    return nullptr;
  }

  const char* MinExpand(const char* s, const char* p, const char* ep) {
    while (true) {
      const char* end = Match(s, ep + 1);
      if (end != nullptr) return end;
      if (s >= s_end_ || !SingleMatch(static_cast<unsigned char>(*s), p, ep)) return nullptr;
      ++s;
    }
  }

  const char* StartCapture(const char* s, const char* p, ptrdiff_t what) {
    if (level_ >= kMaxCaptures) luaL_error(L_, "too many captures");
    captures_[level_] = {s, what};
    ++level_;
    const char* end = Match(s, p);
    if (end == nullptr) --level_;
    return end;
  }

  const char* EndCapture(const char* s, const char* p) {
    int open = level_ - 1;
    while (open >= 0 && captures_[open].length != kUnfinished) --open;
    if (open < 0) luaL_error(L_, "invalid pattern capture");
    captures_[open].length = s - captures_[open].start;
    const char* end = Match(s, p);
    if (end == nullptr) captures_[open].length = kUnfinished;
    return end;
  }

  const char* MatchBalance(const char* s, const char* p) {
    if (p + 1 >= p_end_) luaL_error(L_, "missing arguments to '%%b'");
    if (s >= s_end_ || *s != *p) return nullptr;
    const char open = p[0];
    const char close = p[1];
    int depth = 1;
    while (++s < s_end_) {
      Step();
      if (*s == close) {
        if (--depth == 0) return s + 1;
      } else if (*s == open) {
        ++depth;
      }
    }
    return nullptr;
  }

  const char* MatchBackReference(const char* s, char digit) {
    const int i = digit - '1';
    if (i < 0 || i >= level_ || captures_[i].length == kUnfinished)
      luaL_error(L_, "invalid capture index");
    const auto length = static_cast<size_t>(captures_[i].length);
    if (static_cast<size_t>(s_end_ - s) >= length &&
        std::memcmp(captures_[i].start, s, length) == 0) {
      return s + length;
    }
    return nullptr;
  }

  lua_State* L_;
  const char* s_init_;
  const char* s_end_;
  const char* p_end_;
  PatternLimit limit_;
  int level_ = 0;
  int depth_ = 0;
  unsigned steps_ = 0;
  Capture captures_[kMaxCaptures];  // [0, level_) are set
};

// The start position (0-based) of string.find/match's optional `init`.
size_t StartOf(lua_State* L, int arg, size_t size) {
  lua_Integer init = luaL_optinteger(L, arg, 1);
  if (init < 0) init += static_cast<lua_Integer>(size) + 1;
  if (init < 1) init = 1;
  return init > static_cast<lua_Integer>(size) ? size : static_cast<size_t>(init - 1);
}

int FindOrMatch(lua_State* L, bool find) {
  size_t s_size = 0;
  size_t p_size = 0;
  const char* s = luaL_checklstring(L, 1, &s_size);
  const char* p = luaL_checklstring(L, 2, &p_size);
  const size_t start = StartOf(L, 3, s_size);
  if (find && (lua_toboolean(L, 4) || !HasSpecials(p, p_size))) {
    const void* at = memmem(s + start, s_size - start, p, p_size);
    if (at == nullptr) {
      lua_pushnil(L);
      return 1;
    }
    const auto offset = static_cast<const char*>(at) - s;
    lua_pushinteger(L, offset + 1);
    lua_pushinteger(L, offset + static_cast<lua_Integer>(p_size));
    return 2;
  }
  const bool anchor = p_size > 0 && *p == '^';
  if (anchor) {
    ++p;
    --p_size;
  }
  Matcher m(L, s, s_size, p, p_size, LimitOf(L));
  const char* at = s + start;
  do {
    m.Reset();
    const char* end = m.Match(at, p);
    if (end != nullptr) {
      if (!find) return m.PushCaptures(at, end);
      lua_pushinteger(L, at - s + 1);
      lua_pushinteger(L, end - s);
      return m.PushCaptures(nullptr, nullptr) + 2;
    }
  } while (at++ < m.subject_end() && !anchor);
  lua_pushnil(L);
  return 1;
}

int Find(lua_State* L) { return FindOrMatch(L, true); }
int Match(lua_State* L) { return FindOrMatch(L, false); }

// gmatch's iterator; upvalues: the limit, the string, the pattern, the
// position to go on from.
int GmatchNext(lua_State* L) {
  size_t s_size = 0;
  size_t p_size = 0;
  const char* s = lua_tolstring(L, lua_upvalueindex(2), &s_size);
  const char* p = lua_tolstring(L, lua_upvalueindex(3), &p_size);
  Matcher m(L, s, s_size, p, p_size, LimitOf(L));
  for (const char* at = s + lua_tointeger(L, lua_upvalueindex(4)); at <= m.subject_end(); ++at) {
    m.Reset();
    const char* end = m.Match(at, p);
    if (end != nullptr) {
      const ptrdiff_t next = end == at ? end - s + 1 : end - s;  // an empty match moves on by one
      lua_pushinteger(L, next);
      lua_replace(L, lua_upvalueindex(4));
      return m.PushCaptures(at, end);
    }
  }
  return 0;
}

int Gmatch(lua_State* L) {
  luaL_checkstring(L, 1);
  luaL_checkstring(L, 2);
  lua_settop(L, 2);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_pushinteger(L, 0);
  lua_pushcclosure(L, GmatchNext, 4);
  return 1;
}

// Adds the replacement of the match [s, e) to `b`.
void AddReplacement(lua_State* L, Matcher& m, luaL_Buffer* b, const char* s, const char* e) {
  switch (lua_type(L, 3)) {
    case LUA_TFUNCTION: {
      lua_pushvalue(L, 3);
      const int n = m.PushCaptures(s, e);
      lua_call(L, n, 1);
      break;
    }
    case LUA_TTABLE:
      m.PushCapture(0, s, e);
      lua_gettable(L, 3);
      break;
    default: {  // a string or a number: %0-%9 are captures, %x is x
      size_t size = 0;
      const char* r = lua_tolstring(L, 3, &size);
      for (size_t i = 0; i < size; ++i) {
        if (r[i] != '%') {
          luaL_addchar(b, r[i]);
          continue;
        }
        const char c = ++i < size ? r[i] : '\0';  // a '%' at the end adds a NUL, as LuaJIT's does
        if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
          luaL_addchar(b, c);
        } else if (c == '0') {
          luaL_addlstring(b, s, static_cast<size_t>(e - s));
        } else {
          m.PushCapture(c - '1', s, e);
          luaL_addvalue(b);
        }
      }
      return;
    }
  }
  if (!lua_toboolean(L, -1)) {  // nil or false: the match stays as it was
    lua_pop(L, 1);
    luaL_addlstring(b, s, static_cast<size_t>(e - s));
  } else if (!lua_isstring(L, -1)) {
    luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
  } else {
    luaL_addvalue(b);
  }
}

int Gsub(lua_State* L) {
  size_t s_size = 0;
  size_t p_size = 0;
  const char* s = luaL_checklstring(L, 1, &s_size);
  const char* p = luaL_checklstring(L, 2, &p_size);
  const int replacement = lua_type(L, 3);
  luaL_argcheck(L,
                replacement == LUA_TNUMBER || replacement == LUA_TSTRING ||
                    replacement == LUA_TFUNCTION || replacement == LUA_TTABLE,
                3, "string/function/table expected");
  const lua_Integer max = luaL_optinteger(L, 4, static_cast<lua_Integer>(s_size) + 1);
  const bool anchor = p_size > 0 && *p == '^';
  if (anchor) {
    ++p;
    --p_size;
  }
  Matcher m(L, s, s_size, p, p_size, LimitOf(L));
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  const char* at = s;
  lua_Integer n = 0;
  while (n < max) {
    m.Reset();
    const char* end = m.Match(at, p);
    if (end != nullptr) {
      ++n;
      AddReplacement(L, m, &b, at, end);
    }
    if (end != nullptr && end > at) {
      at = end;
    } else if (at < m.subject_end()) {
      luaL_addchar(&b, *at++);
    } else {
      break;
    }
    if (anchor) break;
  }
  luaL_addlstring(&b, at, static_cast<size_t>(m.subject_end() - at));
  luaL_pushresult(&b);
  lua_pushinteger(L, n);
  return 2;
}

}  // namespace

void InstallBoundedPatterns(lua_State* L, PatternLimit over_limit) {
  const struct {
    const char* name;
    lua_CFunction function;
  } functions[] = {{"find", Find}, {"match", Match}, {"gmatch", Gmatch}, {"gsub", Gsub}};
  for (const auto& f : functions) {
    void* limit = lua_newuserdata(L, sizeof over_limit);
    std::memcpy(limit, &over_limit, sizeof over_limit);
    lua_pushcclosure(L, f.function, 1);
    lua_setfield(L, -2, f.name);
  }
}

}  // namespace eventlake::pipeline
