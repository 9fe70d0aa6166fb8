// A forward scanner over valid JSON that looks only at the bytes that can
// change its state (quotes, backslashes, brackets), found 16 at a time with
// SSE2. Every loop is bounded by the text's end.
#include "ingest/json_spans.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <algorithm>
#include <bit>

namespace eventlake::ingest {
namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t SkipSpace(std::string_view text, size_t pos) {
  while (pos < text.size() && IsJsonSpace(text[pos])) ++pos;
  return pos;
}

// The position of the first of `Cs` at or after `pos`, or text.size(). Reads
// only inside `text`; 16 bytes at a time where SSE2 is there.
template <char... Cs>
size_t FindAny(std::string_view text, size_t pos) {
#ifdef __SSE2__
  for (; pos + 16 <= text.size(); pos += 16) {
    __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + pos));
    __m128i hits = _mm_setzero_si128();
    ((hits = _mm_or_si128(hits, _mm_cmpeq_epi8(block, _mm_set1_epi8(Cs)))), ...);
    if (int mask = _mm_movemask_epi8(hits); mask != 0) {
      return pos + static_cast<size_t>(std::countr_zero(static_cast<unsigned>(mask)));
    }
  }
#endif
  for (; pos < text.size(); ++pos) {
    if (((text[pos] == Cs) || ...)) return pos;
  }
  return text.size();
}

// `pos` is at an opening quote; returns the position after the closing one.
size_t StringEnd(std::string_view text, size_t pos) {
  for (size_t i = pos + 1;;) {
    size_t hit = FindAny<'"', '\\'>(text, i);
    if (hit >= text.size()) return text.size();
    if (text[hit] == '"') return hit + 1;
    i = hit + 2;  // an escape: skip the escaped character
  }
}

// `pos` is at '[' or '{'; returns the position after the matching bracket.
size_t ContainerEnd(std::string_view text, size_t pos) {
  size_t depth = 0;
  while (true) {
    pos = FindAny<'"', '[', ']', '{', '}'>(text, pos);
    if (pos >= text.size()) return text.size();
    char c = text[pos];
    if (c == '"') {
      pos = StringEnd(text, pos);
      continue;
    }
    ++pos;
    if (c == '[' || c == '{') {
      ++depth;
    } else if (--depth == 0) {
      return pos;
    }
  }
}

// `pos` is at the first byte of a value; returns the position after it.
size_t ValueEnd(std::string_view text, size_t pos) {
  if (pos >= text.size()) return text.size();
  char c = text[pos];
  if (c == '"') return StringEnd(text, pos);
  if (c == '[' || c == '{') return ContainerEnd(text, pos);
  while (pos < text.size() && !IsJsonSpace(text[pos]) && text[pos] != ',' && text[pos] != ']' &&
         text[pos] != '}') {
    ++pos;
  }
  return pos;
}

// `pos` is at '{': appends the text of each member's value to *members and
// returns the position after the closing '}' (at least pos + 1).
size_t ScanObject(std::string_view text, size_t pos, std::vector<std::string_view>* members) {
  const size_t start = pos;
  pos = SkipSpace(text, pos + 1);
  while (pos < text.size() && text[pos] == '"') {
    pos = SkipSpace(text, StringEnd(text, pos));
    if (pos >= text.size() || text[pos] != ':') return std::max(pos, start + 1);  // not JSON
    pos = SkipSpace(text, pos + 1);
    size_t end = ValueEnd(text, pos);
    members->push_back(text.substr(pos, end - pos));
    pos = SkipSpace(text, end);
    if (pos < text.size() && text[pos] == ',') pos = SkipSpace(text, pos + 1);
  }
  return pos < text.size() && text[pos] == '}' ? pos + 1 : std::max(pos, start + 1);
}

}  // namespace

std::string_view TrimJsonSpace(std::string_view text) {
  size_t begin = SkipSpace(text, 0);
  size_t end = text.size();
  while (end > begin && IsJsonSpace(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

void AppendArrayElementSpans(std::string_view array_text, std::vector<std::string_view>* out) {
  size_t pos = SkipSpace(array_text, 0);
  if (pos >= array_text.size() || array_text[pos] != '[') return;
  pos = SkipSpace(array_text, pos + 1);
  while (pos < array_text.size() && array_text[pos] != ']') {
    size_t end = ValueEnd(array_text, pos);
    out->push_back(array_text.substr(pos, end - pos));
    pos = SkipSpace(array_text, end);
    if (pos < array_text.size() && array_text[pos] == ',') pos = SkipSpace(array_text, pos + 1);
    if (end == pos && pos < array_text.size() && array_text[pos] != ']') ++pos;  // not JSON
  }
}

void AppendObjectMemberSpans(std::string_view object_text, std::vector<std::string_view>* out) {
  size_t pos = SkipSpace(object_text, 0);
  if (pos < object_text.size() && object_text[pos] == '{') ScanObject(object_text, pos, out);
}

ArrayElementCursor::ArrayElementCursor(std::string_view array_text) : text_(array_text) {
  pos_ = SkipSpace(text_, 0);
  pos_ = pos_ < text_.size() && text_[pos_] == '[' ? SkipSpace(text_, pos_ + 1) : text_.size();
}

std::string_view ArrayElementCursor::Next(std::vector<std::string_view>* members) {
  members->clear();
  if (pos_ >= text_.size() || text_[pos_] == ']') return {};
  size_t start = pos_;
  size_t end = text_[pos_] == '{' ? ScanObject(text_, pos_, members) : ValueEnd(text_, pos_);
  pos_ = SkipSpace(text_, std::max(end, start + 1));
  if (pos_ < text_.size() && text_[pos_] == ',') pos_ = SkipSpace(text_, pos_ + 1);
  return text_.substr(start, end - start);
}

void MinifyJsonInto(std::string_view text, std::string* out) {
  out->clear();
  out->reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t hit = FindAny<'"', ' ', '\t', '\n', '\r'>(text, pos);
    out->append(text.substr(pos, hit - pos));
    if (hit >= text.size()) break;
    if (text[hit] == '"') {
      pos = StringEnd(text, hit);
      out->append(text.substr(hit, pos - hit));
    } else {
      pos = hit + 1;
    }
  }
}

}  // namespace eventlake::ingest
