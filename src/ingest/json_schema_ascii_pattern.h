// The JSON Schema `pattern` keyword's fast path: patterns of the simple shape
// most schemas use ("^user-[0-9]+$", "^[A-Z]{2}$", a UUID's), matched over
// ASCII text with a bit-parallel automaton instead of std::regex, which cost
// ~2,400 instructions per string on the HTTP bench's schema. Internal to the
// ingest room; SchemaPattern (json_schema_pattern.h) uses it when it can and
// std::regex otherwise, so it must answer exactly as std::regex would.
//
// The shape, all ASCII: an optional leading '^', then atoms, then an optional
// trailing '$'. An atom is a literal character, '.', an escaped punctuation
// character ("\-", "\."), \d \D \w \W, or a class "[...]" / "[^...]" of
// literal characters, ranges "a-z", escaped punctuation and \d \w; each atom
// may be followed by one greedy quantifier (*, +, ?, {n}, {n,}, {n,m}). Once
// counted repetitions are expanded, at most kMaxAsciiPatternElements
// elements. Anything else (groups, alternation, \s, \b, lazy quantifiers,
// non-ASCII) is left to std::regex.
//
// Over ASCII text these mean what ECMA-262 says: '.' is any character but
// '\n' and '\r', \w is [A-Za-z0-9_], '^' and '$' are the ends of the text,
// and an unanchored pattern matches anywhere. Non-ASCII text goes to
// std::regex, whose '.' and negated classes see code points.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace eventlake::ingest::schema_internal {

// Elements after expanding counted repetitions ("a{3}" is three); one bit
// each, and one more for "all matched", in a 64-bit state.
inline constexpr int kMaxAsciiPatternElements = 63;

class AsciiPattern {
 public:
  // The automaton for `pattern`, or nullopt when it does not have the shape
  // above. Expects a pattern std::regex accepted.
  static std::optional<AsciiPattern> Compile(std::string_view pattern);

  // True when the pattern matches somewhere in `text`, which must be ASCII
  // (IsAscii, json_text.h).
  bool Matches(std::string_view text) const;

 private:
  AsciiPattern() = default;

  // Bit k of accepts_[c]: element k matches character c.
  std::array<uint64_t, 128> accepts_{};
  uint64_t skippable_ = 0;   // elements that may match nothing (?, *)
  uint64_t repeatable_ = 0;  // elements that may match again (*)
  uint64_t done_ = 1;        // the bit past the last element: all matched
  bool anchored_start_ = false;
  bool anchored_end_ = false;
};

}  // namespace eventlake::ingest::schema_internal
