// JSON value helpers shared by the JSON Schema compiler and validator
// (json_schema.h): exact comparison of JSON numbers across simdjson's three
// number representations, deep equality for `const`/`enum`, and the type
// names used in messages. Internal to the ingest room.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eventlake::ingest::schema_internal {

// A read-only set of strings for the hot path: open addressing over a
// power-of-two table at most half full, one string comparison per hit.
class StringIndex {
 public:
  StringIndex() = default;
  // Indexes `keys`; for a duplicate, Find returns the first index.
  explicit StringIndex(std::vector<std::string> keys);

  // The index of `key` in the keys given, or -1.
  int32_t Find(std::string_view key) const;

 private:
  std::vector<std::string> keys_;
  std::vector<int32_t> slots_;  // indexes into keys_, -1 for an empty slot
};

// A JSON number exactly as simdjson parsed it.
struct JsonNumber {
  enum class Kind : uint8_t { kInt64, kUint64, kDouble };
  Kind kind = Kind::kInt64;
  int64_t i = 0;   // valid when kind == kInt64
  uint64_t u = 0;  // valid when kind == kUint64
  double d = 0;    // valid when kind == kDouble (always finite: JSON has no NaN or Inf)
};

// The number held by `value`, or nullopt when it is not a number.
std::optional<JsonNumber> NumberOf(const simdjson::dom::element& value);

// Compares by mathematical value, exactly (no rounding through double):
// negative when a < b, zero when equal (so 1 == 1.0), positive when a > b.
int CompareNumbers(const JsonNumber& a, const JsonNumber& b);

// True when the number has no fractional part (1 and 1.0 are integers).
bool IsIntegral(const JsonNumber& n);

// Shortest text that reads back as the same number ("-2", "0.5", "1e+300").
std::string FormatNumber(const JsonNumber& n);

// Deep JSON equality: numbers by value, strings by code points, arrays in
// order, objects as unordered sets of members. Recursion is bounded by the
// depth of the shallower value at each step, hence by either document's depth.
bool JsonEqual(const simdjson::dom::element& a, const simdjson::dom::element& b);

// "null", "boolean", "object", "array", "integer" (a number with no fraction),
// "number" or "string": the JSON Schema type name of an instance, for messages.
std::string_view JsonTypeName(const simdjson::dom::element& value);

// The compact JSON text of `value` when it is at most `max_bytes` long.
std::optional<std::string> ShortJson(const simdjson::dom::element& value, size_t max_bytes);

}  // namespace eventlake::ingest::schema_internal
