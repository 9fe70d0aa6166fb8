// JSON string escaping with UTF-8 validation in one pass.
#include "ingest/json_text.h"

#include <cstdint>
#include <cstring>

namespace eventlake::ingest {
namespace {

// Length of the well-formed UTF-8 sequence at text[i], or 0 when it is not one.
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  auto at = [&](size_t k) -> uint8_t {
    return k < text.size() ? static_cast<uint8_t>(text[k]) : 0;
  };
  auto cont = [&](size_t k) { return (at(k) & 0xC0) == 0x80; };
  uint8_t c = at(i);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    uint8_t c1 = at(i + 1);
    if (c == 0xE0 && c1 < 0xA0) return 0;   // overlong
    if (c == 0xED && c1 >= 0xA0) return 0;  // surrogates
    return cont(i + 1) && cont(i + 2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    uint8_t c1 = at(i + 1);
    if (c == 0xF0 && c1 < 0x90) return 0;   // overlong
    if (c == 0xF4 && c1 >= 0x90) return 0;  // above U+10FFFF
    return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

// Printable ASCII other than '"' and '\\': written as it is.
bool NeedsNoEscape(uint8_t c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

constexpr uint64_t kEachByte = 0x0101010101010101u;
constexpr uint64_t kHighBits = 0x8080808080808080u;

// text[i..i+8) as a word, when the text has 8 bytes there.
bool WordAt(std::string_view text, size_t i, uint64_t* word) {
  if (i + sizeof *word > text.size()) return false;
  std::memcpy(word, text.data() + i, sizeof *word);
  return true;
}

// Nonzero when a byte of `word` is below `n`; every byte of `word` must be below 0x80.
uint64_t BytesBelow(uint64_t word, uint8_t n) { return (word - kEachByte * n) & ~word & kHighBits; }

bool AsciiWordAt(std::string_view text, size_t i) {
  uint64_t word = 0;
  return WordAt(text, i, &word) && (word & kHighBits) == 0;
}

// 8 bytes that NeedsNoEscape, tested at once.
bool PlainWordAt(std::string_view text, size_t i) {
  uint64_t word = 0;
  if (!WordAt(text, i, &word) || (word & kHighBits) != 0) return false;
  return (BytesBelow(word, 0x20) | BytesBelow(word ^ (kEachByte * '"'), 1) |
          BytesBelow(word ^ (kEachByte * '\\'), 1)) == 0;
}

enum class BadUtf8 { kReplace, kRefuse };

// The escaping of AppendJsonString; with kRefuse, false at the first byte
// that is not UTF-8 (and `out` holds part of the text).
bool AppendEscaped(std::string_view text, BadUtf8 bad, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->reserve(out->size() + text.size() + 2);
  out->push_back('"');
  size_t i = 0;
  while (i < text.size()) {
    // A run of bytes that stand for themselves, appended at once.
    const size_t run = i;
    while (PlainWordAt(text, i)) i += 8;
    while (i < text.size() && NeedsNoEscape(static_cast<uint8_t>(text[i]))) ++i;
    if (i > run) out->append(text.data() + run, i - run);
    if (i == text.size()) break;
    uint8_t c = static_cast<uint8_t>(text[i]);
    if (c >= 0x80) {
      size_t n = Utf8SequenceLength(text, i);
      if (n == 0) {
        if (bad == BadUtf8::kRefuse) return false;
        out->append("\xEF\xBF\xBD");  // U+FFFD for the bad byte
        ++i;
      } else {
        out->append(text.substr(i, n));
        i += n;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
  return true;
}

}  // namespace

bool IsAscii(std::string_view text) {
  size_t i = 0;
  while (AsciiWordAt(text, i)) i += 8;
  for (; i < text.size(); ++i) {
    if (static_cast<uint8_t>(text[i]) >= 0x80) return false;
  }
  return true;
}

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    if (AsciiWordAt(text, i)) {  // most text is ASCII: 8 bytes at a time
      i += 8;
      continue;
    }
    if (static_cast<uint8_t>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t n = Utf8SequenceLength(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void AppendJsonString(std::string_view text, std::string* out) {
  AppendEscaped(text, BadUtf8::kReplace, out);
}

bool AppendValidJsonString(std::string_view text, std::string* out) {
  const size_t start = out->size();
  if (AppendEscaped(text, BadUtf8::kRefuse, out)) return true;
  out->resize(start);
  return false;
}

std::string JsonString(std::string_view text) {
  std::string out;
  AppendJsonString(text, &out);
  return out;
}

}  // namespace eventlake::ingest
