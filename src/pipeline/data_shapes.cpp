// DataShapes: simdjson says whether the data is JSON; a scan of the
// (then well-formed) text writes its shape.
#include "pipeline/data_shapes.h"

#include <simdjson.h>

#include <string_view>
#include <unordered_set>

namespace eventlake::pipeline {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The end of the string literal that opens at text[i] (a quote).
size_t StringEnd(std::string_view text, size_t i) {
  for (++i; i < text.size() && text[i] != '"'; ++i) {
    if (text[i] == '\\') ++i;
  }
  return i + 1;
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
      while (end < text.size() && std::string_view("+-0123456789.eE").find(text[end]) != std::string_view::npos) ++end;
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

}  // namespace

struct DataShapes::Parser {
  simdjson::dom::parser parser;
};

DataShapes::DataShapes() : parser_(std::make_unique<Parser>()) {}
DataShapes::~DataShapes() = default;

std::optional<ShapeSample> DataShapes::Sample(std::span<const BatchRecord> batch) {
  ShapeSample sample;
  std::unordered_set<std::string> seen;
  std::string shape;
  for (size_t i = 0; i < batch.size(); ++i) {
    const CloudEvent& e = batch[i].event;
    if (e.data.empty() || e.data_is_binary) continue;  // NULL in the batch: no structure
    simdjson::dom::element root;
    if (parser_->parser.parse(e.data).get(root) != simdjson::SUCCESS) return std::nullopt;
    if (!root.is_object()) continue;
    shape.clear();
    AppendShape(e.data, &shape);
    if (seen.contains(shape)) continue;
    if (seen.size() == kMaxShapes) return std::nullopt;
    sample.key += shape;
    sample.key += '\n';  // never in a shape: well-formed JSON has no raw line break in a key
    sample.ordinals.push_back(i);
    seen.insert(shape);
  }
  return sample;
}

}  // namespace eventlake::pipeline
