// Where values sit in JSON text that a parser has already accepted.
// simdjson's DOM does not remember where a value came from, and event data
// must be stored token for token (a number such as 12.50 or
// 123456789012345678 must not be re-printed as a double), so the decoder
// finds the text of `data`, of batch items and of array elements here.
//
// Preconditions: `text` is valid JSON (checked by simdjson before). On other
// input the functions stay inside `text` and return something meaningless,
// never crash.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace eventlake::ingest {

// `text` without leading and trailing JSON whitespace.
std::string_view TrimJsonSpace(std::string_view text);

// Appends the text of each element of the JSON array `array_text` to *out.
void AppendArrayElementSpans(std::string_view array_text, std::vector<std::string_view>* out);

// Appends the text of each member value of the JSON object `object_text`,
// in text order, to *out (nothing when it is not an object).
void AppendObjectMemberSpans(std::string_view object_text, std::vector<std::string_view>* out);

// The elements of a JSON array in order, in one pass over its text; for an
// object element also the text of each member value (what a batch needs to
// find every event's `data`).
class ArrayElementCursor {
 public:
  explicit ArrayElementCursor(std::string_view array_text);
  // The next element's text, or empty after the last. *members is cleared,
  // then gets the member value texts when the element is an object.
  std::string_view Next(std::vector<std::string_view>* members);

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

// `text` (a JSON value) without whitespace outside strings, into *out
// (replacing its content). Tokens are kept byte for byte.
void MinifyJsonInto(std::string_view text, std::string* out);

}  // namespace eventlake::ingest
