// DataShapes: simdjson says whether the data is JSON; a scan of the
// (then well-formed) text writes its shape.
#include "pipeline/data_shapes.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace eventlake::pipeline {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool IsNumberChar(char c) {
  return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
}

// The end of the string literal that opens at text[i] (a quote): past
// the next quote that an even run of backslashes leads (memchr finds the
// quotes; the text between is skipped, not read byte by byte).
size_t StringEnd(std::string_view text, size_t i) {
  size_t from = i + 1;
  while (from < text.size()) {
    const void* quote = std::memchr(text.data() + from, '"', text.size() - from);
    if (quote == nullptr) break;
    const size_t at = static_cast<size_t>(static_cast<const char*>(quote) - text.data());
    size_t escapes = 0;
    while (at - escapes > i + 1 && text[at - escapes - 1] == '\\') ++escapes;
    if (escapes % 2 == 0) return at + 1;
    from = at + 1;
  }
  return text.size() + 1;
}

// Appends a number's kind: r (a fraction or exponent), n (negative), u
// (not), or, past 18 digits (where 64 bits may end), the number itself.
void AppendNumberKind(std::string_view number, std::string* shape) {
  if (number.find_first_of(".eE") != std::string_view::npos) {
    shape->push_back('r');
  } else if (number.size() > 18) {
    shape->append(number);
  } else {
    shape->push_back(number[0] == '-' ? 'n' : 'u');
  }
}

// The shape of well-formed JSON text: keys and punctuation as they are,
// each value that is not an object or array as its kind.
void AppendShape(std::string_view text, std::string* shape) {
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (IsSpace(c)) {
      ++i;
    } else if (c == '"') {
      const size_t end = StringEnd(text, i);
      size_t next = end;
      while (next < text.size() && IsSpace(text[next])) ++next;
      if (next < text.size() && text[next] == ':') {
        shape->append(text.substr(i, end - i));  // a key
      } else {
        shape->push_back('s');
      }
      i = end;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t end = i;
      while (end < text.size() && IsNumberChar(text[end])) ++end;
      AppendNumberKind(text.substr(i, end - i), shape);
      i = end;
    } else if (c == 't' || c == 'f' || c == 'n') {  // true, false, null: T, F, Z (n is a number's)
      shape->push_back(c == 't' ? 'T' : c == 'f' ? 'F' : 'Z');
      i += c == 'f' ? 5 : 4;
    } else {
      shape->push_back(c);
      ++i;
    }
  }
}

// The shape with each object's members sorted by key, from `shape` at
// *at (AppendShape's output): shapes that differ only in the order of
// members (a Lua table's, a map's) have one structure.
std::string CanonicalShape(std::string_view shape, size_t* at) {
  if (*at >= shape.size()) return {};
  const char open = shape[*at];
  if (open != '{' && open != '[') {
    const size_t end = shape.find_first_of(",]}", *at);
    const size_t stop = end == std::string_view::npos ? shape.size() : end;
    std::string kind(shape.substr(*at, stop - *at));
    *at = stop;
    return kind;
  }
  const char close = open == '{' ? '}' : ']';
  ++*at;
  std::vector<std::string> items;
  while (*at < shape.size() && shape[*at] != close) {
    std::string item;
    if (open == '{') {
      const size_t key_end = StringEnd(shape, *at);
      item.assign(shape.substr(*at, key_end - *at));
      *at = key_end + 1;  // and the colon
      item.push_back(':');
    }
    item += CanonicalShape(shape, at);
    items.push_back(std::move(item));
    if (*at < shape.size() && shape[*at] == ',') ++*at;
  }
  ++*at;
  // Keys are JSON strings, each ending at its closing quote: sorting the
  // members sorts them by key.
  if (open == '{') std::sort(items.begin(), items.end());
  std::string out(1, open);
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += items[i];
  }
  out.push_back(close);
  return out;
}

}  // namespace

struct DataShapes::Parser {
  simdjson::dom::parser parser;
  // Each shape as written (one per member order) to its canonical form:
  // the few forms a stream's events take, so it is worked out once each.
  std::unordered_map<std::string, std::string> canonical;
};

DataShapes::DataShapes() : parser_(std::make_unique<Parser>()) {}
DataShapes::~DataShapes() = default;

std::optional<ShapeSample> DataShapes::Sample(std::span<const BatchRecord> batch) {
  constexpr size_t kMaxWrittenShapes = 4096;
  std::vector<std::pair<std::string_view, size_t>> firsts;  // canonical shape, first event
  std::string shape;
  for (size_t i = 0; i < batch.size(); ++i) {
    const CloudEvent& e = batch[i].event;
    if (e.data.empty() || e.data_is_binary) continue;  // NULL in the batch: no structure
    simdjson::dom::element root;
    if (parser_->parser.parse(e.data).get(root) != simdjson::SUCCESS) return std::nullopt;
    if (!root.is_object()) continue;
    shape.clear();
    AppendShape(e.data, &shape);
    auto written = parser_->canonical.find(shape);
    if (written == parser_->canonical.end()) {
      if (parser_->canonical.size() == kMaxWrittenShapes) {  // members in ever new orders
        parser_->canonical.clear();  // (the views in `firsts` die with the sample)
        return std::nullopt;
      }
      size_t at = 0;
      std::string canonical = CanonicalShape(shape, &at);
      written = parser_->canonical.emplace(shape, std::move(canonical)).first;
    }
    const std::string_view canonical = written->second;
    if (std::any_of(firsts.begin(), firsts.end(), [&](const auto& f) { return f.first == canonical; })) continue;
    if (firsts.size() == kMaxShapes) return std::nullopt;
    firsts.emplace_back(canonical, i);
  }
  // The key lists the shapes sorted, so that it does not depend on which
  // came first; the events asked are still the first of each.
  std::sort(firsts.begin(), firsts.end());
  ShapeSample sample;
  for (const auto& [canonical, first] : firsts) {
    sample.key += canonical;
    sample.key += '\n';  // never in a shape: well-formed JSON has no raw line break in a key
    sample.ordinals.push_back(first);
  }
  std::sort(sample.ordinals.begin(), sample.ordinals.end());
  return sample;
}

}  // namespace eventlake::pipeline
