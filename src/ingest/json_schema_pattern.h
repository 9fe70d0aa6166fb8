// The JSON Schema `pattern` keyword: an ECMA-262 regular expression,
// compiled once when the schema is compiled and matched against strings of
// event data (json_schema.h). Internal to the ingest room.
//
// Semantics:
// - Unanchored, as the spec says: "^a" matches "abc", "a" matches "bab".
// - Matching is over Unicode code points (the strings are decoded from UTF-8),
//   so "." matches "é" and "^.{3}$" matches "héé"; \w, \d, \s and \b are the
//   ASCII classes of ECMA-262.
// - The dialect is std::regex ECMAScript: no \p{...}, \u{...}, lookbehind,
//   named groups or "{,n}". Such patterns are rejected when the schema is
//   compiled, as are back-references; a pattern is never silently ignored.
//
// Speed: a pattern of the simple shape most schemas use ("^user-[0-9]+$")
// is matched against ASCII strings by AsciiPattern (json_schema_ascii_pattern.h),
// ~10x faster than std::regex and with the same answers; the rest below
// covers every other pattern and string.
//
// Safety (event data is untrusted; patterns come from the operator). Two
// libstdc++ executors are used, chosen per pattern when it is compiled:
// - Backtracking (std::regex's default, fastest: ~0.1-0.4 us for typical
//   patterns) only for patterns that cannot backtrack super-linearly: no
//   alternation, no quantified group, and at most one variable quantifier
//   (*, +, ?, {n,}, {n,m}), counting the implicit leading ".*" of an
//   unanchored pattern as one. "^[0-9a-f]{8}-...$", "^/" and "^[A-Z]{2}$"
//   qualify. Its recursion depth grows with the input, so it only gets
//   inputs of up to kMaxBacktrackingInput code points.
// - Otherwise, and for longer inputs, breadth-first (Thompson NFA), libstdc++'s
//   std::regex_constants::__polynomial extension, anchored at the start with
//   "[\s\S]*(?:PATTERN)" when the pattern is not: time O(input x pattern),
//   recursion bounded by the pattern; "(a+)+$" on 4096 'a's takes
//   milliseconds instead of forever. It is slower (~1-7 us per string).
// - Patterns are bounded in bytes and in estimated automaton size (counted
//   repetitions like "a{1000}" expand into copies), and group nesting is
//   bounded, because libstdc++ compiles and builds the automaton recursively.
//   Repetition counts are limited to 9 digits: libstdc++ accumulates them in
//   a long without an overflow check (found by tests/fuzz/json_schema_fuzz).
#pragma once

#include <cstddef>
#include <optional>
#include <regex>
#include <string>
#include <string_view>

#include "core/status.h"
#include "ingest/json_schema_ascii_pattern.h"

namespace eventlake::ingest::schema_internal {

// Estimated automaton states above which a pattern is rejected. libstdc++
// itself refuses 100,000; this keeps its recursive construction shallow.
inline constexpr size_t kMaxPatternStates = 4000;
// Nesting of groups "((...))" above which a pattern is rejected.
inline constexpr size_t kMaxPatternGroupDepth = 32;
// Longest input (code points) given to the backtracking executor, whose
// recursion takes up to ~300 bytes of stack per code point: ~300 KiB here.
// Longer inputs go to the polynomial executor whatever the pattern.
inline constexpr size_t kMaxBacktrackingInput = 1024;

// What is learnt from a pattern's text before std::regex sees it.
struct PatternShape {
  size_t states = 0;               // estimated automaton states
  bool anchored = false;           // starts with '^'
  bool backtracking_safe = false;  // may use the backtracking executor (see above)
};

// InvalidArgument for a back-reference, a repetition count of more than 9
// digits, groups nested deeper than kMaxPatternGroupDepth or more than
// kMaxPatternStates estimated states. Syntax errors are left to std::regex.
Result<PatternShape> AnalyzePattern(std::string_view pattern);

class SchemaPattern {
 public:
  // Compiles `pattern` (UTF-8). InvalidArgument when it is longer than
  // `max_bytes`, fails AnalyzePattern or is not a valid std::regex
  // ECMAScript expression; the message says which.
  static Result<SchemaPattern> Compile(std::string_view pattern, size_t max_bytes);

  // True when the pattern matches somewhere in `text` (valid UTF-8; invalid
  // sequences are matched as U+FFFD). Safe to call from many threads at once.
  bool Matches(std::string_view text) const;

  // The pattern as written in the schema.
  const std::string& source() const { return source_; }
  // True when inputs up to kMaxBacktrackingInput code points are matched by
  // the backtracking executor.
  bool backtracking() const { return backtracking_.has_value(); }
  // True when ASCII strings are matched by AsciiPattern.
  bool ascii_fast_path() const { return ascii_.has_value(); }
  // Matches with std::regex whatever the pattern and `text`: what the fast
  // path must agree with (tests and fuzz_schema_pattern).
  bool MatchesWithRegex(std::string_view text) const;

 private:
  SchemaPattern(std::string source, bool anchored, std::optional<AsciiPattern> ascii,
                std::optional<std::wregex> backtracking, std::wregex polynomial)
      : source_(std::move(source)),
        anchored_(anchored),
        ascii_(std::move(ascii)),
        backtracking_(std::move(backtracking)),
        polynomial_(std::move(polynomial)) {}

  std::string source_;
  bool anchored_;
  // The automaton for ASCII strings, when the pattern has its shape.
  std::optional<AsciiPattern> ascii_;
  // The pattern for the backtracking executor, when it is safe for it.
  std::optional<std::wregex> backtracking_;
  // For the polynomial executor, always from the first code point: the
  // pattern itself when anchored, else wrapped in "[\s\S]*(?:...)".
  std::wregex polynomial_;
};

// Appends the code points of UTF-8 `text` to `out` (wchar_t is UTF-32 on
// Linux); an invalid byte becomes U+FFFD.
void DecodeUtf8(std::string_view text, std::wstring* out);

}  // namespace eventlake::ingest::schema_internal
