// CloudEvents attribute value rules. Media type syntax follows RFC 2045's
// token (any printable ASCII but tspecials) because RFC 2046, which the spec
// cites, builds on it.
#include "ingest/attribute_rules.h"

#include <cstdint>
#include <cstring>

#include "ingest/json_text.h"

namespace eventlake::ingest {
namespace {

bool IsTokenChar(char c) {
  if (c <= 0x20 || c >= 0x7f) return false;
  switch (c) {
    case '(':
    case ')':
    case '<':
    case '>':
    case '@':
    case ',':
    case ';':
    case ':':
    case '\\':
    case '"':
    case '/':
    case '[':
    case ']':
    case '?':
    case '=':
      return false;
    default:
      return true;
  }
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// Consumes a token at text[*pos]; false when there is none.
bool Token(std::string_view text, size_t* pos) {
  size_t start = *pos;
  while (*pos < text.size() && IsTokenChar(text[*pos])) ++*pos;
  return *pos > start;
}

// Consumes a quoted-string at text[*pos] (which is '"').
bool QuotedString(std::string_view text, size_t* pos) {
  for (++*pos; *pos < text.size(); ++*pos) {
    unsigned char c = static_cast<unsigned char>(text[*pos]);
    if (c == '"') {
      ++*pos;
      return true;
    }
    if (c == '\\') {
      if (++*pos == text.size()) return false;
      c = static_cast<unsigned char>(text[*pos]);
    }
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return false;
}

void SkipSpace(std::string_view text, size_t* pos) {
  while (*pos < text.size() && IsSpace(text[*pos])) ++*pos;
}

// `*( OWS ";" OWS [ token "=" ( token / quoted-string ) ] ) OWS` up to the end.
bool Parameters(std::string_view text, size_t pos) {
  while (true) {
    SkipSpace(text, &pos);
    if (pos == text.size()) return true;
    if (text[pos] != ';') return false;
    ++pos;
    SkipSpace(text, &pos);
    if (pos == text.size() || text[pos] == ';') continue;
    if (!Token(text, &pos) || pos == text.size() || text[pos] != '=') return false;
    ++pos;
    if (pos < text.size() && text[pos] == '"') {
      if (!QuotedString(text, &pos)) return false;
    } else if (!Token(text, &pos)) {
      return false;
    }
  }
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = Lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Decodes the UTF-8 sequence at text[*i] (valid input), advancing *i.
char32_t NextCodePoint(std::string_view text, size_t* i) {
  auto byte = [&](size_t k) { return static_cast<char32_t>(static_cast<uint8_t>(text[k])); };
  char32_t c = byte(*i);
  if (c < 0x80) {
    ++*i;
    return c;
  }
  int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
  c &= extra == 3 ? 0x07 : extra == 2 ? 0x0F : 0x1F;
  for (int k = 1; k <= extra && *i + k < text.size(); ++k) c = c << 6 | (byte(*i + k) & 0x3F);
  *i += 1 + extra;
  return c;
}

// True when the 8 bytes at `p` are all in 0x20..0x7E (word-at-a-time: a
// byte below 0x20, equal to 0x7F or above it sets that byte's top bit).
bool AllPrintableAscii(const char* p) {
  constexpr uint64_t kOnes = 0x0101010101010101;
  constexpr uint64_t kHigh = 0x8080808080808080;
  uint64_t v;
  std::memcpy(&v, p, 8);
  uint64_t below_space = (v - 0x20 * kOnes) & ~v;
  uint64_t del = ((v ^ (0x7F * kOnes)) - kOnes) & ~(v ^ (0x7F * kOnes));
  return ((v | below_space | del) & kHigh) == 0;
}

// Removes the double quotes of a quoted-string header value (RFC 7230 3.2.6).
Result<std::string> Unquote(std::string_view raw) {
  size_t pos = 0;
  if (!QuotedString(raw, &pos) || pos != raw.size()) {
    return Err(InvalidArgument("malformed quoted string"));
  }
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 1; i + 1 < raw.size(); ++i) {
    if (raw[i] == '\\') ++i;
    out.push_back(raw[i]);
  }
  return out;
}

}  // namespace

bool IsValidMediaType(std::string_view text) {
  size_t pos = 0;
  SkipSpace(text, &pos);
  if (!Token(text, &pos) || pos == text.size() || text[pos] != '/') return false;
  ++pos;
  if (!Token(text, &pos)) return false;
  return Parameters(text, pos);
}

std::string_view MediaTypeEssence(std::string_view text) {
  text = text.substr(0, text.find(';'));
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

bool IsJsonMediaType(std::string_view text) {
  std::string_view essence = MediaTypeEssence(text);
  size_t slash = essence.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view subtype = essence.substr(slash + 1);
  if (subtype.size() < 4) return false;
  std::string_view tail = subtype.substr(subtype.size() - 4);
  if (!EqualsIgnoreCase(tail, "json")) return false;
  return subtype.size() == 4 || subtype[subtype.size() - 5] == '+';
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

bool IsExtensionName(std::string_view name) {
  if (name.empty() || name.size() > 20) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

bool IsAbsoluteUri(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  for (size_t i = 0; i < colon; ++i) {
    char c = Lower(text[i]);
    bool alpha = c >= 'a' && c <= 'z';
    if (!alpha && (i == 0 || !((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))) {
      return false;
    }
  }
  return text.find_first_of(" \t") == std::string_view::npos;
}

std::optional<char32_t> FindDisallowedCharacter(std::string_view utf8) {
  size_t i = 0;
  while (i < utf8.size()) {
    if (i + 8 <= utf8.size() && AllPrintableAscii(utf8.data() + i)) {
      i += 8;
      continue;
    }
    auto b = static_cast<uint8_t>(utf8[i]);
    if (b >= 0x20 && b < 0x7f) {  // the common case: printable ASCII
      ++i;
      continue;
    }
    char32_t c = NextCodePoint(utf8, &i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return c;
    if ((c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE) return c;
  }
  return std::nullopt;
}

std::string CodePointName(char32_t c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string digits;
  for (uint32_t v = c; v != 0 || digits.size() < 4; v >>= 4)
    digits.insert(digits.begin(), kHex[v & 15]);
  return "U+" + digits;
}

Result<std::string> DecodeHeaderValue(std::string_view raw) {
  std::string unquoted;
  if (!raw.empty() && raw.front() == '"') {
    EL_ASSIGN_OR_RETURN(unquoted, Unquote(raw));
    raw = unquoted;
  }
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      out.push_back(raw[i]);
      continue;
    }
    int hi = i + 2 < raw.size() ? HexValue(raw[i + 1]) : -1;
    int lo = hi >= 0 ? HexValue(raw[i + 2]) : -1;
    if (lo < 0)
      return Err(InvalidArgument("invalid percent-encoding at byte " + std::to_string(i)));
    out.push_back(static_cast<char>(hi << 4 | lo));
    i += 2;
  }
  if (!IsValidUtf8(out)) return Err(InvalidArgument("percent-decodes to invalid UTF-8"));
  return out;
}

}  // namespace eventlake::ingest
