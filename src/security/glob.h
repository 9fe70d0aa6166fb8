// Wildcard patterns of the policy language: `*` matches any run of
// characters (also empty, also across '/' and '.'), `?` matches exactly one
// character, every other byte matches itself. There is no escape and no other
// metacharacter, as in AWS IAM action and resource patterns.
//
// A "character" is one UTF-8 code point; a byte that does not start a valid
// UTF-8 sequence counts as one character on its own, so any byte string can
// be matched. Literal bytes compare byte for byte.
//
// Matching is the two-pointer greedy algorithm that backtracks only to the
// last `*`: O(pattern * text) in the worst case, never exponential
// ("a*a*a*a*b" against a long run of 'a' is fine), and it never allocates.
#pragma once

#include <string>
#include <string_view>

namespace eventlake::security {

enum class GlobCase {
  kSensitive,        // resources: "Stream/x" does not match "stream/x"
  kAsciiInsensitive  // actions: "EVENTS:put" matches "events:Put" (ASCII letters only)
};

// True when `pattern` matches all of `text`. The empty pattern matches only
// the empty text.
bool GlobMatch(std::string_view pattern, std::string_view text,
               GlobCase glob_case = GlobCase::kSensitive);

// True when `pattern` holds a `*` or a `?`.
bool HasWildcard(std::string_view pattern);

// A pattern compiled once (at config time) and matched many times: literal
// patterns compare directly, "*" matches without looking at the text, and
// case-insensitive patterns are lower-cased once. Immutable; safe to use from
// any thread.
class Glob {
 public:
  explicit Glob(std::string_view pattern, GlobCase glob_case = GlobCase::kSensitive);

  bool Matches(std::string_view text) const;

  // The pattern as written (before lower-casing).
  const std::string& pattern() const { return pattern_; }

 private:
  enum class Shape { kAnything, kLiteral, kWildcard };

  std::string pattern_;  // as written
  std::string folded_;   // what is matched: lower-cased when case-insensitive
  GlobCase case_;
  Shape shape_;
};

}  // namespace eventlake::security
