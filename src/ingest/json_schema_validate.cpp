// Validates a simdjson DOM element against a compiled schema tree
// (json_schema_node.h). Built for the hot path: no allocation of its own while
// the instance is valid (std::regex allocates inside); the pointer of a
// violation is assembled only on the way back up from the failure.
#include <iterator>
#include <string>
#include <vector>

#include "core/cloud_event.h"
#include "ingest/json_schema_node.h"

namespace eventlake::ingest {
namespace {

using schema_internal::CompiledSchema;
using schema_internal::JsonNumber;
using schema_internal::SchemaNode;
using simdjson::dom::element;
using simdjson::dom::element_type;

// Prepends `token` to the pointer of a violation found one level down.
void PrependToken(std::string_view token, std::string* pointer) {
  std::string prefix;
  AppendPointerToken(token, &prefix);
  pointer->insert(0, prefix);
}

// The TypeBit mask of an instance; integers also carry kNumberBit.
uint8_t InstanceTypeBits(const element& value) {
  using namespace schema_internal;
  switch (value.type()) {
    case element_type::NULL_VALUE:
      return kNullBit;
    case element_type::BOOL:
      return kBooleanBit;
    case element_type::OBJECT:
      return kObjectBit;
    case element_type::ARRAY:
      return kArrayBit;
    case element_type::STRING:
      return kStringBit;
    default:
      return IsIntegral(*NumberOf(value)) ? kNumberBit | kIntegerBit : kNumberBit;
  }
}

// "must be at least 3 characters long, got 2": the bound of a count rule.
std::string CountMessage(std::string_view rule, uint64_t bound, std::string_view noun,
                         std::string_view tail, uint64_t actual) {
  return std::string(rule) + " " + std::to_string(bound) + " " + std::string(noun) +
         (bound == 1 ? "" : "s") + std::string(tail) + ", got " + std::to_string(actual);
}

// Code points of valid UTF-8: every byte that is not a continuation byte.
uint64_t CodePoints(std::string_view text) {
  uint64_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Marks which required properties were seen; no allocation up to 64 of them.
class SeenSet {
 public:
  explicit SeenSet(size_t n) {
    if (n > 64) more_.resize((n + 63) / 64);
  }
  void Set(size_t i) {
    if (more_.empty()) {
      small_ |= uint64_t{1} << i;
    } else {
      more_[i / 64] |= uint64_t{1} << (i % 64);
    }
  }
  bool Has(size_t i) const {
    return more_.empty() ? (small_ >> i) & 1 : (more_[i / 64] >> (i % 64)) & 1;
  }

 private:
  uint64_t small_ = 0;
  std::vector<uint64_t> more_;
};

class Validator {
 public:
  explicit Validator(const CompiledSchema& schema) : limits_(schema.limits) {}

  // False, with *out describing the first violation, when `value` breaks `node`.
  bool Check(const SchemaNode& node, const element& value, size_t depth,
             SchemaViolation* out) const;

 private:
  bool CheckValue(const SchemaNode& node, const element& value, SchemaViolation* out) const;
  bool CheckNumber(const SchemaNode& node, const JsonNumber& n, SchemaViolation* out) const;
  bool CheckString(const SchemaNode& node, std::string_view text, SchemaViolation* out) const;
  bool CheckArray(const SchemaNode& node, const simdjson::dom::array& array, size_t depth,
                  SchemaViolation* out) const;
  bool CheckObject(const SchemaNode& node, const simdjson::dom::object& object, size_t depth,
                   SchemaViolation* out) const;

  static bool Fail(std::string message, SchemaViolation* out) {
    out->pointer.clear();
    out->message = std::move(message);
    return false;
  }

  const SchemaLimits& limits_;
};

bool Validator::Check(const SchemaNode& node, const element& value, size_t depth,
                      SchemaViolation* out) const {
  if (node.reject_all) return Fail("is not allowed here (the schema is false)", out);
  if (depth > limits_.max_validation_depth) {
    return Fail("nested deeper than " + std::to_string(limits_.max_validation_depth) +
                    " levels, the most the schema validator descends",
                out);
  }
  if (!CheckValue(node, value, out)) return false;
  switch (value.type()) {
    case element_type::STRING:
      return !node.HasStringRules() || CheckString(node, value.get_string().value_unsafe(), out);
    case element_type::ARRAY:
      return !node.HasArrayRules() ||
             CheckArray(node, value.get_array().value_unsafe(), depth, out);
    case element_type::OBJECT:
      return !node.HasObjectRules() ||
             CheckObject(node, value.get_object().value_unsafe(), depth, out);
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return node.bounds.empty() || CheckNumber(node, *schema_internal::NumberOf(value), out);
    default:
      return true;
  }
}

// The keywords that apply to every type: type, const, enum.
bool Validator::CheckValue(const SchemaNode& node, const element& value,
                           SchemaViolation* out) const {
  if (node.types != 0 && (node.types & InstanceTypeBits(value)) == 0) {
    return Fail(
        "must be " + node.type_names + ", got " + std::string(schema_internal::JsonTypeName(value)),
        out);
  }
  if (node.const_value && !schema_internal::JsonEqual(value, *node.const_value)) {
    return Fail(node.const_message, out);
  }
  if (!node.has_enum) return true;
  if (node.enum_all_strings) {
    if (value.is_string() && node.enum_index.Find(value.get_string().value_unsafe()) >= 0) {
      return true;
    }
    return Fail(node.enum_message, out);
  }
  for (const element& option : node.enum_values) {
    if (schema_internal::JsonEqual(value, option)) return true;
  }
  return Fail(node.enum_message, out);
}

bool Validator::CheckNumber(const SchemaNode& node, const JsonNumber& n,
                            SchemaViolation* out) const {
  for (const schema_internal::NumberBound& bound : node.bounds) {
    int c = schema_internal::CompareNumbers(n, bound.limit);
    bool ok = bound.lower ? (bound.exclusive ? c > 0 : c >= 0) : (bound.exclusive ? c < 0 : c <= 0);
    if (ok) continue;
    std::string op = bound.lower ? (bound.exclusive ? ">" : ">=") : (bound.exclusive ? "<" : "<=");
    return Fail("must be " + op + " " + schema_internal::FormatNumber(bound.limit) + ", got " +
                    schema_internal::FormatNumber(n),
                out);
  }
  return true;
}

bool Validator::CheckString(const SchemaNode& node, std::string_view text,
                            SchemaViolation* out) const {
  if (node.min_length || node.max_length) {
    uint64_t length = CodePoints(text);
    if (node.min_length && length < *node.min_length) {
      return Fail(CountMessage("must be at least", *node.min_length, "character", " long", length),
                  out);
    }
    if (node.max_length && length > *node.max_length) {
      return Fail(CountMessage("must be at most", *node.max_length, "character", " long", length),
                  out);
    }
  }
  if (node.pattern) {
    if (text.size() > limits_.max_pattern_input) {
      return Fail("is " + std::to_string(text.size()) + " bytes long; strings longer than " +
                      std::to_string(limits_.max_pattern_input) +
                      " bytes are not matched against a pattern and fail it",
                  out);
    }
    if (!node.pattern->Matches(text)) {
      return Fail("must match the pattern \"" + node.pattern->source() + "\"", out);
    }
  }
  if (node.date_time && !ParseRfc3339(text).has_value()) {
    return Fail("must be an RFC 3339 date-time such as \"2026-01-31T12:00:00Z\"", out);
  }
  return true;
}

bool Validator::CheckArray(const SchemaNode& node, const simdjson::dom::array& array, size_t depth,
                           SchemaViolation* out) const {
  if (node.min_items || node.max_items) {
    size_t count = array.size();
    if (count >= 0xFFFFFF) count = static_cast<size_t>(std::distance(array.begin(), array.end()));
    if (node.min_items && count < *node.min_items) {
      return Fail(CountMessage("must have at least", *node.min_items, "item", "", count), out);
      ;
    }
    if (node.max_items && count > *node.max_items) {
      return Fail(CountMessage("must have at most", *node.max_items, "item", "", count), out);
      ;
    }
  }
  if (!node.items) return true;
  size_t index = 0;
  for (element item : array) {
    if (!Check(*node.items, item, depth + 1, out)) {
      PrependToken(std::to_string(index), &out->pointer);
      return false;
    }
    ++index;
  }
  return true;
}

bool Validator::CheckObject(const SchemaNode& node, const simdjson::dom::object& object,
                            size_t depth, SchemaViolation* out) const {
  SeenSet seen(node.required.size());
  for (auto [key, value] : object) {
    int32_t found = node.property_index.Find(key);
    const schema_internal::PropertyRule* rule =
        found < 0 ? nullptr : &node.properties[static_cast<size_t>(found)];
    if (rule != nullptr && rule->required_index >= 0) {
      seen.Set(static_cast<size_t>(rule->required_index));
    }
    bool declared = rule != nullptr && rule->declared;
    const SchemaNode* child = declared ? rule->schema.get() : node.additional.get();
    if (child == nullptr) continue;
    bool ok = true;
    if (!declared && child->reject_all) {
      ok = Fail("is not allowed: the schema has no such property and additionalProperties is false",
                out);
    } else {
      ok = Check(*child, value, depth + 1, out);
    }
    if (!ok) {
      PrependToken(key, &out->pointer);
      return false;
    }
  }
  for (size_t i = 0; i < node.required.size(); ++i) {
    if (seen.Has(i)) continue;
    Fail("is required but missing", out);
    AppendPointerToken(node.required[i], &out->pointer);
    return false;
  }
  return true;
}

}  // namespace

std::optional<SchemaViolation> JsonSchema::FirstViolation(const element& value) const {
  SchemaViolation violation;
  if (Validator(*compiled_).Check(compiled_->root, value, 0, &violation)) return std::nullopt;
  return violation;
}

}  // namespace eventlake::ingest
