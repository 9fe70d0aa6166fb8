// The `pattern` fast path: parsing the simple shape into one 64-bit automaton
// and running it (see json_schema_ascii_pattern.h).
//
// Element k of the expanded pattern owns bit k of the state; a set bit k
// means "elements 0..k-1 have matched, k is next". A character moves every
// set bit whose element accepts it one place on (and keeps it when the
// element repeats); a bit whose element may match nothing also sets the next
// one. All elements matched is the bit past the last, done_.
#include "ingest/json_schema_ascii_pattern.h"

#include <bitset>

#include "ingest/json_text.h"

namespace eventlake::ingest::schema_internal {
namespace {

using CharSet = std::bitset<128>;
constexpr uint32_t kUnbounded = UINT32_MAX;
// Longest repetition count read; a larger one cannot fit in 63 elements.
constexpr size_t kMaxCountDigits = 3;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// Printable ASCII that is not a letter or digit: escaped, it stands for itself.
bool IsPunct(char c) { return c > ' ' && c < 0x7F && !IsAlnum(c); }

CharSet Range(char low, char high) {
  CharSet set;
  for (int c = low; c <= high; ++c) set.set(static_cast<size_t>(c));
  return set;
}

CharSet Digits() { return Range('0', '9'); }

CharSet WordCharacters() {
  CharSet set = Range('a', 'z') | Range('A', 'Z') | Digits();
  set.set('_');
  return set;
}

CharSet AnyButLineTerminators() {
  CharSet set;
  set.set();
  set.reset('\n');
  set.reset('\r');
  return set;
}

// Reads the pattern's atoms and quantifiers; every method returns false for
// anything outside the shape, which sends the pattern to std::regex.
class Parser {
 public:
  Parser(std::string_view pattern, size_t begin, size_t end) : p_(pattern), i_(begin), end_(end) {}

  bool AtEnd() const { return i_ >= end_; }

  bool Atom(CharSet* set) {
    char c = p_[i_];
    switch (c) {
      case '\\': {
        bool single = false;
        return Escape(/*in_class=*/false, set, &single);
      }
      case '[':
        return Class(set);
      case '.':
        ++i_;
        *set = AnyButLineTerminators();
        return true;
      case '^':
      case '$':
      case '*':
      case '+':
      case '?':
      case '(':
      case ')':
      case ']':
      case '{':
      case '}':
      case '|':
        return false;
      default:
        ++i_;
        set->reset();
        set->set(static_cast<unsigned char>(c));
        return true;
    }
  }

  // A quantifier after an atom, if any: [min, max] repetitions (1, 1 without).
  bool Quantifier(uint32_t* min, uint32_t* max) {
    *min = 1;
    *max = 1;
    if (AtEnd()) return true;
    switch (p_[i_]) {
      case '*':
        *min = 0;
        *max = kUnbounded;
        ++i_;
        break;
      case '+':
        *max = kUnbounded;
        ++i_;
        break;
      case '?':
        *min = 0;
        ++i_;
        break;
      case '{':
        if (!Braces(min, max)) return false;
        break;
      default:
        return true;
    }
    // A lazy '?' or a second quantifier is left to std::regex.
    if (AtEnd()) return true;
    char next = p_[i_];
    return next != '?' && next != '*' && next != '+' && next != '{';
  }

 private:
  // "{n}", "{n,}" or "{n,m}", from the '{'.
  bool Braces(uint32_t* min, uint32_t* max) {
    ++i_;
    if (!Count(min)) return false;
    *max = *min;
    if (!AtEnd() && p_[i_] == ',') {
      ++i_;
      *max = kUnbounded;
      if (!AtEnd() && IsDigit(p_[i_]) && !Count(max)) return false;
    }
    if (AtEnd() || p_[i_] != '}' || *max < *min) return false;
    ++i_;
    return true;
  }

  bool Count(uint32_t* out) {
    size_t start = i_;
    *out = 0;
    for (; !AtEnd() && IsDigit(p_[i_]); ++i_) {
      if (i_ - start == kMaxCountDigits) return false;
      *out = *out * 10 + static_cast<uint32_t>(p_[i_] - '0');
    }
    return i_ > start;
  }

  // "\d", "\w", "\D", "\W" (the last two outside classes) or an escaped
  // punctuation character, which sets *single.
  bool Escape(bool in_class, CharSet* set, bool* single) {
    if (i_ + 1 >= end_) return false;
    char c = p_[i_ + 1];
    i_ += 2;
    *single = false;
    switch (c) {
      case 'd':
        *set = Digits();
        return true;
      case 'w':
        *set = WordCharacters();
        return true;
      case 'D':
        *set = ~Digits();
        return !in_class;
      case 'W':
        *set = ~WordCharacters();
        return !in_class;
      default:
        if (!IsPunct(c)) return false;
        set->reset();
        set->set(static_cast<unsigned char>(c));
        *single = true;
        return true;
    }
  }

  // One member of a class: a character (*single set, its value in *c) or \d, \w.
  bool ClassMember(CharSet* set, bool* single, char* c) {
    *c = p_[i_];
    if (*c == '\\') {
      if (!Escape(/*in_class=*/true, set, single)) return false;
      if (*single) *c = p_[i_ - 1];
      return true;
    }
    if (*c == '[') return false;  // "[[:alpha:]]" and friends
    ++i_;
    set->reset();
    set->set(static_cast<unsigned char>(*c));
    *single = true;
    return true;
  }

  bool Class(CharSet* set) {
    ++i_;
    bool negated = !AtEnd() && p_[i_] == '^';
    if (negated) ++i_;
    if (AtEnd() || p_[i_] == ']') return false;  // "[]" and "[^]"
    set->reset();
    while (!AtEnd() && p_[i_] != ']') {
      CharSet member;
      bool single = false;
      char low = 0;
      if (!ClassMember(&member, &single, &low)) return false;
      bool range = i_ + 1 < end_ && p_[i_] == '-' && p_[i_ + 1] != ']';
      if (range) {
        ++i_;
        CharSet ignored;
        bool high_single = false;
        char high = 0;
        if (!single || !ClassMember(&ignored, &high_single, &high) || !high_single || high < low) {
          return false;
        }
        member = Range(low, high);
      }
      *set |= member;
    }
    if (AtEnd()) return false;
    ++i_;  // ']'
    if (negated) set->flip();
    return true;
  }

  std::string_view p_;
  size_t i_;
  size_t end_;
};

// True when p[at] is preceded by an odd number of backslashes.
bool Escaped(std::string_view p, size_t at) {
  size_t slashes = 0;
  while (at > slashes && p[at - slashes - 1] == '\\') ++slashes;
  return slashes % 2 == 1;
}

}  // namespace

std::optional<AsciiPattern> AsciiPattern::Compile(std::string_view pattern) {
  if (!IsAscii(pattern)) return std::nullopt;
  AsciiPattern out;
  size_t begin = 0;
  size_t end = pattern.size();
  out.anchored_start_ = pattern.starts_with('^');
  if (out.anchored_start_) ++begin;
  out.anchored_end_ = end > begin && pattern[end - 1] == '$' && !Escaped(pattern, end - 1);
  if (out.anchored_end_) --end;

  Parser parser(pattern, begin, end);
  int elements = 0;
  auto add = [&](const CharSet& set, bool skippable, bool repeatable) {
    if (elements == kMaxAsciiPatternElements) return false;
    const uint64_t bit = uint64_t{1} << elements++;
    for (size_t c = 0; c < set.size(); ++c) {
      if (set.test(c)) out.accepts_[c] |= bit;
    }
    if (skippable) out.skippable_ |= bit;
    if (repeatable) out.repeatable_ |= bit;
    return true;
  };
  while (!parser.AtEnd()) {
    CharSet set;
    uint32_t min = 1;
    uint32_t max = 1;
    if (!parser.Atom(&set) || !parser.Quantifier(&min, &max)) return std::nullopt;
    if (min > kMaxAsciiPatternElements) return std::nullopt;
    for (uint32_t k = 0; k < min; ++k) {
      if (!add(set, false, false)) return std::nullopt;
    }
    if (max == kUnbounded) {
      if (!add(set, true, true)) return std::nullopt;
    } else {
      if (max - min > kMaxAsciiPatternElements) return std::nullopt;
      for (uint32_t k = min; k < max; ++k) {
        if (!add(set, true, false)) return std::nullopt;
      }
    }
  }
  out.done_ = uint64_t{1} << elements;
  return out;
}

bool AsciiPattern::Matches(std::string_view text) const {
  // Sets the bits that elements which may match nothing lead on to.
  auto close = [this](uint64_t state) {
    for (;;) {
      uint64_t next = state | ((state & skippable_) << 1);
      if (next == state) return state;
      state = next;
    }
  };
  const uint64_t start = close(1);
  uint64_t state = start;
  if (!anchored_end_ && (state & done_) != 0) return true;
  for (char ch : text) {
    const uint64_t moved = state & accepts_[static_cast<unsigned char>(ch)];
    state = close((moved << 1) | (moved & repeatable_));
    if (!anchored_start_) state |= start;  // a match may begin at every character
    if ((state & done_) != 0) {
      if (!anchored_end_) return true;
    } else if (state == 0) {
      return false;
    }
  }
  return (state & done_) != 0;
}

}  // namespace eventlake::ingest::schema_internal
