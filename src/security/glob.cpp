// Wildcard matching (see glob.h).
//
// Why the greedy algorithm is complete: a star-free run of the pattern
// matches at a given text position in exactly one way, so the only choice is
// how much each `*` swallows. When a run after a later `*` fails, giving an
// earlier `*` more text can never help that the later `*` could not do
// itself, so only the last `*` is ever backtracked. `*` swallows and `?`
// consumes whole characters, so every position tried is a character boundary.
#include "security/glob.h"

#include <cstddef>

namespace eventlake::security {
namespace {

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// The length of the character starting at text[i]: a whole UTF-8 sequence
// when one starts there, else 1.
size_t CharLength(std::string_view text, size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  size_t n = 1;
  if ((lead & 0xE0) == 0xC0) {
    n = 2;
  } else if ((lead & 0xF0) == 0xE0) {
    n = 3;
  } else if ((lead & 0xF8) == 0xF0) {
    n = 4;
  }
  if (n == 1 || i + n > text.size()) return 1;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return 1;
  }
  return n;
}

// `fold_pattern` lower-cases pattern bytes too (GlobMatch); a compiled Glob
// has lower-cased its pattern already.
bool Match(std::string_view pattern, std::string_view text, bool fold_text, bool fold_pattern) {
  constexpr size_t kNoStar = std::string_view::npos;
  size_t p = 0;
  size_t t = 0;
  size_t star_p = kNoStar;  // pattern position just after the last `*` seen
  size_t star_t = 0;        // text position that `*` is currently matched up to
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star_p = ++p;
      star_t = t;
    } else if (p < pattern.size() && pattern[p] == '?') {
      ++p;
      t += CharLength(text, t);
    } else if (p < pattern.size() && (fold_pattern ? LowerAscii(pattern[p]) : pattern[p]) ==
                                         (fold_text ? LowerAscii(text[t]) : text[t])) {
      ++p;
      ++t;
    } else if (star_p != kNoStar) {
      star_t += CharLength(text, star_t);  // the last `*` swallows one more character
      t = star_t;
      p = star_p;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text, GlobCase glob_case) {
  const bool fold = glob_case == GlobCase::kAsciiInsensitive;
  return Match(pattern, text, fold, fold);
}

bool HasWildcard(std::string_view pattern) {
  return pattern.find_first_of("*?") != std::string_view::npos;
}

Glob::Glob(std::string_view pattern, GlobCase glob_case)
    : pattern_(pattern), folded_(pattern), case_(glob_case) {
  if (case_ == GlobCase::kAsciiInsensitive) {
    for (char& c : folded_) c = LowerAscii(c);
  }
  if (pattern_.find_first_not_of('*') == std::string::npos && !pattern_.empty()) {
    shape_ = Shape::kAnything;
  } else if (HasWildcard(pattern_)) {
    shape_ = Shape::kWildcard;
  } else {
    shape_ = Shape::kLiteral;
  }
}

bool Glob::Matches(std::string_view text) const {
  const bool fold = case_ == GlobCase::kAsciiInsensitive;
  switch (shape_) {
    case Shape::kAnything:
      return true;
    case Shape::kLiteral:
      if (text.size() != folded_.size()) return false;
      if (!fold) return text == folded_;
      for (size_t i = 0; i < text.size(); ++i) {
        if (LowerAscii(text[i]) != folded_[i]) return false;
      }
      return true;
    case Shape::kWildcard:
      return Match(folded_, text, fold, false);
  }
  return false;
}

}  // namespace eventlake::security
