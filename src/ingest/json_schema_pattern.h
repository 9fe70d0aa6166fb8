// The JSON Schema `pattern` keyword: an ECMA-262 regular expression,
// compiled once when the schema is compiled and matched against strings of
// event data (json_schema.h). Internal to the ingest room.
//
// Semantics:
// - Unanchored, as the spec says: "^a" matches "abc", "a" matches "bab".
// - Matching is over Unicode code points (the strings are decoded from UTF-8),
//   so "." matches "é" and "^.{3}$" matches "héé"; \w, \d, \s and \b are the
//   ASCII classes of ECMA-262.
// - The dialect is std::regex ECMAScript: no \p{...}, \u{...}, lookbehind or
//   named groups. Such patterns are rejected when the schema is compiled, as
//   are back-references (see below); a pattern is never silently ignored.
//
// Safety (event data is untrusted; patterns come from the operator):
// - Matching runs libstdc++'s breadth-first (Thompson NFA) executor, selected
//   with its std::regex_constants::__polynomial extension, on the pattern
//   wrapped as "[\s\S]*(?:PATTERN)" anchored at the start. Time is
//   O(input length x pattern size), with no catastrophic backtracking
//   ("(a+)+$" on 4096 'a's takes milliseconds), and recursion depth is
//   bounded by the pattern, not by the input. Back-references need the
//   backtracking executor, so they are rejected.
// - The caller bounds the input length (SchemaLimits::max_pattern_input).
// - Patterns are bounded in bytes and in estimated automaton size (counted
//   repetitions like "a{1000}" expand into copies), and group nesting is
//   bounded, because libstdc++ compiles and builds the automaton recursively.
//   Repetition counts are limited to 9 digits: libstdc++ accumulates them in
//   a long without an overflow check (found by tests/fuzz/json_schema_fuzz).
#pragma once

#include <cstddef>
#include <regex>
#include <string>
#include <string_view>

#include "core/status.h"

namespace eventlake::ingest::schema_internal {

// Estimated automaton states above which a pattern is rejected. libstdc++
// itself refuses 100,000; this keeps the epsilon-closure recursion shallow.
inline constexpr size_t kMaxPatternStates = 4000;
// Nesting of groups "((...))" above which a pattern is rejected.
inline constexpr size_t kMaxPatternGroupDepth = 32;

class SchemaPattern {
 public:
  // Compiles `pattern` (UTF-8). InvalidArgument when it is longer than
  // `max_bytes`, too complex, uses a back-reference or is not a valid
  // std::regex ECMAScript expression; the message says which.
  static Result<SchemaPattern> Compile(std::string_view pattern, size_t max_bytes);

  // True when the pattern matches somewhere in `text` (valid UTF-8; invalid
  // sequences are matched as U+FFFD). Safe to call from many threads at once.
  bool Matches(std::string_view text) const;

  // The pattern as written in the schema.
  const std::string& source() const { return source_; }

 private:
  SchemaPattern(std::string source, std::wregex regex)
      : source_(std::move(source)), regex_(std::move(regex)) {}

  std::string source_;
  std::wregex regex_;  // "[\s\S]*(?:source)", matched with match_continuous
};

// Appends the code points of UTF-8 `text` to `out` (wchar_t is UTF-32 on
// Linux); an invalid byte becomes U+FFFD.
void DecodeUtf8(std::string_view text, std::wstring* out);

// Checks a pattern's size estimate and group nesting (see above) without
// compiling it; exposed for tests.
Status CheckPatternComplexity(std::string_view pattern);

}  // namespace eventlake::ingest::schema_internal
