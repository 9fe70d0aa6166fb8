// The JSON Schema `pattern` keyword on std::wregex. Why two executors, the
// wrapping and the size estimate: see json_schema_pattern.h.
#include "ingest/json_schema_pattern.h"

#include <algorithm>
#include <exception>
#include <locale>
#include <optional>
#include <vector>

#include "ingest/json_text.h"

#if !defined(__GLIBCXX__)
#error "json_schema_pattern.cpp relies on libstdc++'s polynomial-time std::regex executor"
#endif

namespace eventlake::ingest::schema_internal {
namespace {

static_assert(sizeof(wchar_t) == 4, "patterns are matched over UTF-32 code points");

constexpr size_t kCap = kMaxPatternStates + 1;  // estimates saturate here
constexpr wchar_t kReplacement = 0xFFFD;

size_t Saturate(size_t n) { return std::min(n, kCap); }

// The running estimate for one group: `sum` of the finished atoms and the
// cost of the `last` atom, which a following quantifier multiplies.
struct Frame {
  size_t sum = 0;
  size_t last = 0;
  bool last_is_group = false;
  size_t Total() const { return Saturate(sum + last); }
  void Append(size_t cost, bool group = false) {
    sum = Saturate(sum + last);
    last = Saturate(cost);
    last_is_group = group;
  }
};

// Index of the ']' closing the class that opens at p[open], or p.size().
size_t SkipClass(std::string_view p, size_t open) {
  for (size_t i = open + 1; i < p.size(); ++i) {
    if (p[i] == '\\') {
      ++i;
    } else if (p[i] == ']') {
      return i;
    }
  }
  return p.size();
}

// libstdc++ accumulates the digits of a repetition count or a back-reference
// in a long without an overflow check (undefined behaviour past 18 digits).
constexpr size_t kMaxCountDigits = 9;

enum class Braces { kLiteral, kQuantifier, kTooManyDigits };

// What "{n}", "{n,}" or "{n,m}" stands for.
struct Repeat {
  size_t copies = 0;      // copies of the quantified atom libstdc++ builds
  bool variable = false;  // "{n,}" or "{n,m}" with m != n
  size_t close = 0;       // index of '}'
};

// Parses braces at p[open] into *repeat. A count of more than kMaxCountDigits
// digits is refused even where std::regex would go on to reject the braces.
Braces ParseBraces(std::string_view p, size_t open, Repeat* repeat) {
  size_t i = open + 1;
  size_t digits = 0;
  auto number = [&](size_t* out) {
    size_t start = i;
    *out = 0;
    for (; i < p.size() && p[i] >= '0' && p[i] <= '9'; ++i) {
      *out = Saturate(*out * 10 + static_cast<size_t>(p[i] - '0'));
    }
    digits = std::max(digits, i - start);
    return i > start;
  };
  size_t low = 0, high = 0;
  bool has_low = number(&low);
  high = low;
  bool variable = false;
  if (has_low && i < p.size() && p[i] == ',') {
    ++i;
    variable = !number(&high) || high != low;
    if (high < low) high = low;  // "{n,}": n copies and a loop
  }
  if (digits > kMaxCountDigits) return Braces::kTooManyDigits;
  if (!has_low || i >= p.size() || p[i] != '}') return Braces::kLiteral;
  *repeat = Repeat{Saturate(high + 1), variable, i};
  return Braces::kQuantifier;
}

// Walks a pattern token by token: estimates automaton states (one Frame per
// open group) and notes what makes backtracking super-linear.
class Analyzer {
 public:
  // Consumes the token that starts at p[*i]; leaves *i on its last byte.
  Status Step(std::string_view p, size_t* i) {
    switch (p[*i]) {
      case '\\':
        return Escape(p, i);
      case '[':
        *i = SkipClass(p, *i);
        frames_.back().Append(1);
        return Status::Ok();
      case '(':
        if (frames_.size() > kMaxPatternGroupDepth) {
          return InvalidArgument("pattern nests groups deeper than " +
                                 std::to_string(kMaxPatternGroupDepth) + " levels");
        }
        frames_.emplace_back();
        return Status::Ok();
      case ')':
        CloseGroup();
        return Status::Ok();
      case '|':
        alternation_ = true;
        frames_.back().Append(1);
        return Status::Ok();
      case '*':
      case '+':
      case '?':
        Quantify(2, true);
        return Status::Ok();
      case '{':
        return Braces(p, i);
      default:  // a literal, '.', '^' or '$': about one state each
        frames_.back().Append(1);
        return Status::Ok();
    }
  }

  PatternShape Shape(std::string_view p) const {
    PatternShape shape;
    for (const Frame& frame : frames_) shape.states = Saturate(shape.states + frame.Total() + 2);
    shape.anchored = p.starts_with('^') && !alternation_;
    size_t variable = variable_quantifiers_ + (shape.anchored ? 0 : 1);
    shape.backtracking_safe = !alternation_ && !quantified_group_ && variable <= 1;
    return shape;
  }

 private:
  Status Escape(std::string_view p, size_t* i) {
    ++*i;  // the escaped character is part of this atom
    if (*i < p.size() && p[*i] >= '0' && p[*i] <= '9') {
      return InvalidArgument("pattern uses a back-reference (\\" + std::string(1, p[*i]) +
                             "), which is not supported");
    }
    frames_.back().Append(1);
    return Status::Ok();
  }

  void CloseGroup() {
    if (frames_.size() == 1) {  // unbalanced: std::regex reports it
      frames_.back().Append(1);
      return;
    }
    size_t group = frames_.back().Total() + 2;
    frames_.pop_back();
    frames_.back().Append(group, /*group=*/true);
  }

  void Quantify(size_t copies, bool variable) {
    Frame& frame = frames_.back();
    quantified_group_ = quantified_group_ || frame.last_is_group;
    variable_quantifiers_ += variable ? 1 : 0;
    frame.last = Saturate(frame.last * copies + 2);
  }

  Status Braces(std::string_view p, size_t* i) {
    Repeat repeat;
    switch (ParseBraces(p, *i, &repeat)) {
      case Braces::kTooManyDigits:
        return InvalidArgument("pattern has a repetition count of more than " +
                               std::to_string(kMaxCountDigits) + " digits");
      case Braces::kQuantifier:
        Quantify(repeat.copies, repeat.variable);
        *i = repeat.close;
        return Status::Ok();
      case Braces::kLiteral:
        break;
    }
    frames_.back().Append(1);
    return Status::Ok();
  }

  std::vector<Frame> frames_{1};
  bool alternation_ = false;
  bool quantified_group_ = false;
  size_t variable_quantifiers_ = 0;
};

std::wregex MakeRegex(const std::wstring& text, bool backtracking) {
  std::wregex regex;
  regex.imbue(std::locale::classic());  // \w and friends stay ASCII whatever the global locale
  auto flags = std::regex::ECMAScript;
  if (!backtracking) flags |= std::regex_constants::__polynomial;
  regex.assign(text, flags);
  return regex;
}

// Length of the UTF-8 sequence led by `lead`, or 0 for a byte that cannot lead.
size_t SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

}  // namespace

Result<PatternShape> AnalyzePattern(std::string_view pattern) {
  Analyzer analyzer;
  for (size_t i = 0; i < pattern.size(); ++i) EL_RETURN_IF_ERROR(analyzer.Step(pattern, &i));
  PatternShape shape = analyzer.Shape(pattern);
  if (shape.states > kMaxPatternStates) {
    return Err(InvalidArgument(
        "pattern is too complex: its automaton would exceed " + std::to_string(kMaxPatternStates) +
        " states (counted repetitions such as {1000} copy what they repeat)"));
  }
  return shape;
}

Result<SchemaPattern> SchemaPattern::Compile(std::string_view pattern, size_t max_bytes) {
  if (pattern.size() > max_bytes) {
    return Err(InvalidArgument("pattern is " + std::to_string(pattern.size()) +
                               " bytes long, more than the limit of " + std::to_string(max_bytes)));
  }
  EL_ASSIGN_OR_RETURN(PatternShape shape, AnalyzePattern(pattern));
  std::wstring wide;
  DecodeUtf8(pattern, &wide);
  try {
    // Compiled alone first even when wrapped: the wrapper could hide a ")(".
    std::wregex polynomial = MakeRegex(wide, false);
    if (!shape.anchored) polynomial = MakeRegex(L"[\\s\\S]*(?:" + wide + L")", false);
    std::optional<std::wregex> backtracking;
    if (shape.backtracking_safe) backtracking = MakeRegex(wide, true);
    return SchemaPattern(std::string(pattern), shape.anchored, AsciiPattern::Compile(pattern),
                         std::move(backtracking), std::move(polynomial));
  } catch (const std::regex_error& e) {
    return Err(InvalidArgument(std::string("pattern is not supported by std::regex ECMAScript: ") +
                               e.what()));
  } catch (const std::exception& e) {
    return Err(InvalidArgument(std::string("pattern could not be compiled: ") + e.what()));
  }
}

bool SchemaPattern::Matches(std::string_view text) const {
  if (ascii_ && IsAscii(text)) return ascii_->Matches(text);
  return MatchesWithRegex(text);
}

bool SchemaPattern::MatchesWithRegex(std::string_view text) const {
  thread_local std::wstring wide;
  wide.clear();
  DecodeUtf8(text, &wide);
  if (backtracking_ && wide.size() <= kMaxBacktrackingInput) {
    return std::regex_search(
        wide.cbegin(), wide.cend(), *backtracking_,
        anchored_ ? std::regex_constants::match_continuous : std::regex_constants::match_default);
  }
  return std::regex_search(wide.cbegin(), wide.cend(), polynomial_,
                           std::regex_constants::match_continuous);
}

void DecodeUtf8(std::string_view text, std::wstring* out) {
  out->reserve(out->size() + text.size());
  for (size_t i = 0; i < text.size();) {
    auto lead = static_cast<unsigned char>(text[i]);
    size_t length = SequenceLength(lead);
    if (length == 1) {
      out->push_back(static_cast<wchar_t>(lead));
      ++i;
      continue;
    }
    uint32_t code = length == 0 ? 0 : lead & (0x7F >> length);
    bool valid = length != 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      valid = (next & 0xC0) == 0x80;
      code = (code << 6) | (next & 0x3F);
    }
    // Overlong 3- and 4-byte forms, surrogates and values past U+10FFFF.
    valid = valid && !(length == 3 && (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF))) &&
            !(length == 4 && (code < 0x10000 || code > 0x10FFFF));
    out->push_back(valid ? static_cast<wchar_t>(code) : kReplacement);
    i += valid ? length : 1;
  }
}

}  // namespace eventlake::ingest::schema_internal
