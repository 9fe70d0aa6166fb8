// JSON value helpers for the JSON Schema validator. Numbers are compared
// exactly: a bound like 9007199254740993 must not be rounded to a double
// before comparing it with an int64 instance.
#include "ingest/json_schema_value.h"

#include <charconv>
#include <cmath>
#include <functional>
#include <utility>

namespace eventlake::ingest::schema_internal {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr double kTwoPow63 = 9223372036854775808.0;
constexpr double kTwoPow64 = 18446744073709551616.0;

template <typename T>
int Sign(T a, T b) {
  return a < b ? -1 : (a > b ? 1 : 0);
}

// `d` - trunc(d) is exact for every finite double, so the fraction decides ties.
int FractionSign(double d, double truncated) {
  double fraction = d - truncated;
  return fraction > 0 ? -1 : (fraction < 0 ? 1 : 0);
}

int CompareInt64Double(int64_t i, double d) {
  if (d >= kTwoPow63) return -1;
  if (d < -kTwoPow63) return 1;
  double truncated = std::trunc(d);
  int64_t t = static_cast<int64_t>(truncated);  // in range: checked above
  if (i != t) return Sign(i, t);
  return FractionSign(d, truncated);
}

int CompareUint64Double(uint64_t u, double d) {
  if (d >= kTwoPow64) return -1;
  if (d < 0) return 1;
  double truncated = std::trunc(d);
  uint64_t t = static_cast<uint64_t>(truncated);
  if (u != t) return Sign(u, t);
  return FractionSign(d, truncated);
}

int CompareInt64Uint64(int64_t i, uint64_t u) {
  if (i < 0) return -1;
  return Sign(static_cast<uint64_t>(i), u);
}

// Member count of an object; simdjson saturates its stored count at 0xFFFFFF.
size_t MemberCount(const simdjson::dom::object& object) {
  size_t n = object.size();
  if (n < 0xFFFFFF) return n;
  n = 0;
  for ([[maybe_unused]] auto member : object) ++n;
  return n;
}

// Every member of `a` has a member of the same name in `b` with an equal value.
bool MembersContained(const simdjson::dom::object& a, const simdjson::dom::object& b) {
  for (auto [key, value] : a) {
    element other;
    if (b.at_key(key).get(other) != simdjson::SUCCESS) return false;
    if (!JsonEqual(value, other)) return false;
  }
  return true;
}

// Every member name of `a` is also a member name of `b` (values not compared).
bool KeysContained(const simdjson::dom::object& a, const simdjson::dom::object& b) {
  for (auto [key, value] : a) {
    element other;
    if (b.at_key(key).get(other) != simdjson::SUCCESS) return false;
  }
  return true;
}

bool ArraysEqual(const simdjson::dom::array& a, const simdjson::dom::array& b) {
  auto it_a = a.begin();
  auto it_b = b.begin();
  for (; it_a != a.end() && it_b != b.end(); ++it_a, ++it_b) {
    if (!JsonEqual(*it_a, *it_b)) return false;
  }
  return it_a == a.end() && it_b == b.end();
}

size_t Slot(std::string_view key, size_t mask) {
  size_t hash = std::hash<std::string_view>{}(key);
  return hash & mask;
}

}  // namespace

StringIndex::StringIndex(std::vector<std::string> keys) : keys_(std::move(keys)) {
  if (keys_.empty()) return;
  size_t size = 2;
  while (size < 2 * keys_.size()) size *= 2;
  slots_.assign(size, -1);
  for (size_t k = 0; k < keys_.size(); ++k) {
    if (Find(keys_[k]) >= 0) continue;  // a duplicate
    size_t i = Slot(keys_[k], size - 1);
    while (slots_[i] >= 0) i = (i + 1) & (size - 1);
    slots_[i] = static_cast<int32_t>(k);
  }
}

int32_t StringIndex::Find(std::string_view key) const {
  if (slots_.empty()) return -1;
  size_t mask = slots_.size() - 1;
  for (size_t i = Slot(key, mask);; i = (i + 1) & mask) {
    int32_t slot = slots_[i];
    if (slot < 0 || keys_[static_cast<size_t>(slot)] == key) return slot;
  }
}

std::optional<JsonNumber> NumberOf(const element& value) {
  JsonNumber n;
  switch (value.type()) {
    case element_type::INT64:
      n.kind = JsonNumber::Kind::kInt64;
      n.i = value.get_int64().value_unsafe();
      return n;
    case element_type::UINT64:
      n.kind = JsonNumber::Kind::kUint64;
      n.u = value.get_uint64().value_unsafe();
      return n;
    case element_type::DOUBLE:
      n.kind = JsonNumber::Kind::kDouble;
      n.d = value.get_double().value_unsafe();
      return n;
    default:
      return std::nullopt;
  }
}

int CompareNumbers(const JsonNumber& a, const JsonNumber& b) {
  using Kind = JsonNumber::Kind;
  switch (a.kind) {
    case Kind::kInt64:
      if (b.kind == Kind::kInt64) return Sign(a.i, b.i);
      if (b.kind == Kind::kUint64) return CompareInt64Uint64(a.i, b.u);
      return CompareInt64Double(a.i, b.d);
    case Kind::kUint64:
      if (b.kind == Kind::kInt64) return -CompareInt64Uint64(b.i, a.u);
      if (b.kind == Kind::kUint64) return Sign(a.u, b.u);
      return CompareUint64Double(a.u, b.d);
    case Kind::kDouble:
      if (b.kind == Kind::kInt64) return -CompareInt64Double(b.i, a.d);
      if (b.kind == Kind::kUint64) return -CompareUint64Double(b.u, a.d);
      return Sign(a.d, b.d);
  }
  return 0;
}

bool IsIntegral(const JsonNumber& n) {
  return n.kind != JsonNumber::Kind::kDouble || std::trunc(n.d) == n.d;
}

std::string FormatNumber(const JsonNumber& n) {
  char buffer[64];
  std::to_chars_result r;
  switch (n.kind) {
    case JsonNumber::Kind::kInt64:
      r = std::to_chars(buffer, buffer + sizeof(buffer), n.i);
      break;
    case JsonNumber::Kind::kUint64:
      r = std::to_chars(buffer, buffer + sizeof(buffer), n.u);
      break;
    default:
      r = std::to_chars(buffer, buffer + sizeof(buffer), n.d);
      break;
  }
  return std::string(buffer, r.ptr);
}

bool JsonEqual(const element& a, const element& b) {
  std::optional<JsonNumber> na = NumberOf(a);
  if (na.has_value()) {
    std::optional<JsonNumber> nb = NumberOf(b);
    return nb.has_value() && CompareNumbers(*na, *nb) == 0;
  }
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case element_type::NULL_VALUE:
      return true;
    case element_type::BOOL:
      return a.get_bool().value_unsafe() == b.get_bool().value_unsafe();
    case element_type::STRING:
      return a.get_string().value_unsafe() == b.get_string().value_unsafe();
    case element_type::ARRAY:
      return ArraysEqual(a.get_array().value_unsafe(), b.get_array().value_unsafe());
    case element_type::OBJECT: {
      auto oa = a.get_object().value_unsafe();
      auto ob = b.get_object().value_unsafe();
      // Names are checked both ways so that duplicate member names cannot fake
      // equality; values only one way, which keeps the work linear in depth.
      return MemberCount(oa) == MemberCount(ob) && MembersContained(oa, ob) &&
             KeysContained(ob, oa);
    }
    default:
      return false;
  }
}

std::string_view JsonTypeName(const element& value) {
  switch (value.type()) {
    case element_type::NULL_VALUE:
      return "null";
    case element_type::BOOL:
      return "boolean";
    case element_type::OBJECT:
      return "object";
    case element_type::ARRAY:
      return "array";
    case element_type::STRING:
      return "string";
    default:
      return IsIntegral(*NumberOf(value)) ? "integer" : "number";
  }
}

std::optional<std::string> ShortJson(const element& value, size_t max_bytes) {
  std::string text = simdjson::minify(value);
  if (text.size() > max_bytes) return std::nullopt;
  return text;
}

}  // namespace eventlake::ingest::schema_internal
