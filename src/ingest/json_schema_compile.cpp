// Compiles a parsed JSON Schema into the SchemaNode tree (json_schema_node.h).
// Every keyword is looked up in one of three lists: enforced (a handler),
// annotation (ignored) or not supported; anything else is an unknown keyword.
// Both of the last two are errors, so no rule is silently dropped.
#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <span>
#include <utility>

#include "ingest/json_schema_node.h"

namespace eventlake::ingest::schema_internal {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr size_t kMaxValueInMessage = 120;  // bytes of const/enum JSON quoted in messages

// clang-format off
constexpr std::array<std::string_view, 18> kAnnotations = {
    "$schema", "$id", "$comment", "$anchor", "$dynamicAnchor", "$vocabulary", "$defs",
    "definitions", "title", "description", "examples", "default", "deprecated", "readOnly",
    "writeOnly", "contentEncoding", "contentMediaType", "contentSchema"};

// Keywords of draft 2020-12 (and earlier drafts) that would change validation.
constexpr std::array<std::string_view, 27> kUnsupported = {
    "$ref", "$dynamicRef", "$recursiveRef", "$recursiveAnchor", "allOf", "anyOf", "oneOf", "not",
    "if", "then", "else", "patternProperties", "propertyNames", "dependentRequired",
    "dependentSchemas", "dependencies", "prefixItems", "additionalItems", "contains",
    "minContains", "maxContains", "uniqueItems", "multipleOf", "minProperties", "maxProperties",
    "unevaluatedItems", "unevaluatedProperties"};
// clang-format on

bool Contains(std::span<const std::string_view> list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

// By value: a range-for over get_array().value_unsafe() would iterate a
// reference into a destroyed temporary (g++ 12 lacks C++23's lifetime extension).
simdjson::dom::array ArrayOf(const element& e) { return e.get_array().value_unsafe(); }
simdjson::dom::object ObjectOf(const element& e) { return e.get_object().value_unsafe(); }

uint8_t TypeBitOf(std::string_view name) {
  if (name == "null") return kNullBit;
  if (name == "boolean") return kBooleanBit;
  if (name == "object") return kObjectBit;
  if (name == "array") return kArrayBit;
  if (name == "number") return kNumberBit;
  if (name == "integer") return kIntegerBit;
  if (name == "string") return kStringBit;
  return 0;
}

// Extends a JSON pointer by one token for the life of the scope.
class PointerScope {
 public:
  PointerScope(std::string* pointer, std::string_view token)
      : pointer_(pointer), size_(pointer->size()) {
    AppendPointerToken(token, pointer);
  }
  ~PointerScope() { pointer_->resize(size_); }
  PointerScope(const PointerScope&) = delete;
  PointerScope& operator=(const PointerScope&) = delete;

 private:
  std::string* pointer_;
  size_t size_;
};

// One schema object being compiled: its node, and its property rules keyed by
// name while "properties" and "required" fill them in either order.
struct NodeBuilder {
  SchemaNode* node;
  std::map<std::string, PropertyRule, std::less<>> rules;
};

class Compiler {
 public:
  explicit Compiler(const SchemaLimits& limits) : limits_(limits) {}

  // Compiles the schema at pointer_ into *node.
  Status CompileNode(const element& schema, SchemaNode* node);

 private:
  using Handler = Status (Compiler::*)(const element&, NodeBuilder*);
  struct Keyword {
    std::string_view name;
    Handler handler;
  };
  static const std::array<Keyword, 17> kKeywords;

  Status CompileKeyword(std::string_view name, const element& value, NodeBuilder* builder,
                        uint32_t* seen);
  // Compiles a child schema into *out; `true` leaves *out null (no rule).
  Status CompileChild(const element& schema, std::unique_ptr<SchemaNode>* out);

  Status Type(const element& value, NodeBuilder* b);
  Status Properties(const element& value, NodeBuilder* b);
  Status Required(const element& value, NodeBuilder* b);
  Status AdditionalProperties(const element& value, NodeBuilder* b);
  Status Enum(const element& value, NodeBuilder* b);
  Status Const(const element& value, NodeBuilder* b);
  Status Bound(const element& value, NodeBuilder* b, bool lower, bool exclusive);
  Status Minimum(const element& v, NodeBuilder* b) { return Bound(v, b, true, false); }
  Status Maximum(const element& v, NodeBuilder* b) { return Bound(v, b, false, false); }
  Status ExclusiveMinimum(const element& v, NodeBuilder* b) { return Bound(v, b, true, true); }
  Status ExclusiveMaximum(const element& v, NodeBuilder* b) { return Bound(v, b, false, true); }
  Status Count(const element& value, std::optional<uint64_t>* out);
  Status MinLength(const element& v, NodeBuilder* b) { return Count(v, &b->node->min_length); }
  Status MaxLength(const element& v, NodeBuilder* b) { return Count(v, &b->node->max_length); }
  Status MinItems(const element& v, NodeBuilder* b) { return Count(v, &b->node->min_items); }
  Status MaxItems(const element& v, NodeBuilder* b) { return Count(v, &b->node->max_items); }
  Status Pattern(const element& value, NodeBuilder* b);
  Status Format(const element& value, NodeBuilder* b);
  Status Items(const element& value, NodeBuilder* b);

  Status Error(std::string_view what) const {
    return InvalidArgument("json schema at \"" + pointer_ + "\": " + std::string(what));
  }

  const SchemaLimits& limits_;
  std::string pointer_;  // where in the schema the compiler is
};

const std::array<Compiler::Keyword, 17> Compiler::kKeywords = {{
    {"type", &Compiler::Type},
    {"properties", &Compiler::Properties},
    {"required", &Compiler::Required},
    {"additionalProperties", &Compiler::AdditionalProperties},
    {"enum", &Compiler::Enum},
    {"const", &Compiler::Const},
    {"minimum", &Compiler::Minimum},
    {"maximum", &Compiler::Maximum},
    {"exclusiveMinimum", &Compiler::ExclusiveMinimum},
    {"exclusiveMaximum", &Compiler::ExclusiveMaximum},
    {"minLength", &Compiler::MinLength},
    {"maxLength", &Compiler::MaxLength},
    {"pattern", &Compiler::Pattern},
    {"format", &Compiler::Format},
    {"items", &Compiler::Items},
    {"minItems", &Compiler::MinItems},
    {"maxItems", &Compiler::MaxItems},
}};

Status Compiler::CompileNode(const element& schema, SchemaNode* node) {
  if (schema.is_bool()) {
    node->reject_all = !schema.get_bool().value_unsafe();
    return Status::Ok();
  }
  if (!schema.is_object()) return Error("a schema must be an object or a boolean");
  NodeBuilder builder{node, {}};
  uint32_t seen = 0;  // bit i: kKeywords[i] already compiled (a repeated key is ambiguous)
  for (auto [name, value] : ObjectOf(schema)) {
    PointerScope scope(&pointer_, name);
    EL_RETURN_IF_ERROR(CompileKeyword(name, value, &builder, &seen));
  }
  std::vector<std::string> names;
  for (auto& [name, rule] : builder.rules) {
    names.push_back(name);
    node->properties.push_back(std::move(rule));
  }
  node->property_index = StringIndex(std::move(names));
  return Status::Ok();
}

Status Compiler::CompileKeyword(std::string_view name, const element& value, NodeBuilder* builder,
                                uint32_t* seen) {
  for (size_t i = 0; i < kKeywords.size(); ++i) {
    if (kKeywords[i].name != name) continue;
    if (*seen & (1u << i)) return Error("keyword \"" + std::string(name) + "\" appears twice");
    *seen |= 1u << i;
    return (this->*kKeywords[i].handler)(value, builder);
  }
  if (Contains(kAnnotations, name) || name.starts_with("x-")) return Status::Ok();
  std::string quoted = "\"" + std::string(name) + "\"";
  if (Contains(kUnsupported, name)) {
    return Error("keyword " + quoted +
                 " is not supported by eventlake's validator, so the schema could not be "
                 "enforced as written; remove it or express the rule with the supported keywords");
  }
  return Error("unknown keyword " + quoted +
               " (a typo? extension keywords must start with \"x-\"); eventlake rejects it "
               "rather than ignore a rule it does not enforce");
}

Status Compiler::CompileChild(const element& schema, std::unique_ptr<SchemaNode>* out) {
  if (schema.is_bool() && schema.get_bool().value_unsafe()) {
    out->reset();
    return Status::Ok();
  }
  *out = std::make_unique<SchemaNode>();
  return CompileNode(schema, out->get());
}

Status Compiler::Type(const element& value, NodeBuilder* b) {
  std::vector<std::string_view> names;
  if (value.is_string()) {
    names.push_back(value.get_string().value_unsafe());
  } else if (value.is_array()) {
    for (element name : ArrayOf(value)) {
      if (!name.is_string()) return Error("type names must be strings");
      names.push_back(name.get_string().value_unsafe());
    }
    if (names.empty()) return Error("the array of type names is empty");
  } else {
    return Error("must be a type name or an array of type names");
  }
  SchemaNode* node = b->node;
  for (std::string_view name : names) {
    uint8_t bit = TypeBitOf(name);
    if (bit == 0) {
      return Error("unknown type \"" + std::string(name) +
                   "\" (null, boolean, object, array, number, integer, string)");
    }
    if (node->types & bit) return Error("type \"" + std::string(name) + "\" is listed twice");
    node->types |= bit;
    if (!node->type_names.empty()) node->type_names += " or ";
    node->type_names += name;
  }
  return Status::Ok();
}

Status Compiler::Properties(const element& value, NodeBuilder* b) {
  if (!value.is_object()) return Error("must be an object mapping property names to schemas");
  for (auto [name, schema] : ObjectOf(value)) {
    PointerScope scope(&pointer_, name);
    auto [it, inserted] = b->rules.try_emplace(std::string(name));
    PropertyRule& rule = it->second;
    if (rule.declared) return Error("property is declared twice");
    rule.name = name;
    rule.declared = true;
    rule.schema = std::make_unique<SchemaNode>();
    EL_RETURN_IF_ERROR(CompileNode(schema, rule.schema.get()));
  }
  return Status::Ok();
}

Status Compiler::Required(const element& value, NodeBuilder* b) {
  if (!value.is_array()) return Error("must be an array of property names");
  for (element name : ArrayOf(value)) {
    if (!name.is_string()) return Error("property names must be strings");
    std::string_view text = name.get_string().value_unsafe();
    auto [it, inserted] = b->rules.try_emplace(std::string(text));
    PropertyRule& rule = it->second;
    if (rule.required_index >= 0) return Error("\"" + std::string(text) + "\" is listed twice");
    rule.name = text;
    rule.required_index = static_cast<int32_t>(b->node->required.size());
    b->node->required.emplace_back(text);
  }
  return Status::Ok();
}

Status Compiler::AdditionalProperties(const element& value, NodeBuilder* b) {
  return CompileChild(value, &b->node->additional);
}

Status Compiler::Items(const element& value, NodeBuilder* b) {
  if (value.is_array()) {
    return Error("the array form of items (tuples; prefixItems in draft 2020-12) is not supported");
  }
  return CompileChild(value, &b->node->items);
}

Status Compiler::Enum(const element& value, NodeBuilder* b) {
  if (!value.is_array()) return Error("must be an array of values");
  SchemaNode* node = b->node;
  node->has_enum = true;
  node->enum_all_strings = true;
  std::vector<std::string> strings;
  for (element option : ArrayOf(value)) {
    node->enum_values.push_back(option);
    if (option.is_string()) {
      strings.emplace_back(option.get_string().value_unsafe());
    } else {
      node->enum_all_strings = false;
    }
  }
  if (node->enum_all_strings) node->enum_index = StringIndex(std::move(strings));
  std::optional<std::string> text = ShortJson(value, kMaxValueInMessage);
  node->enum_message = text ? "must be one of " + *text
                            : "must be one of the " + std::to_string(node->enum_values.size()) +
                                  " values of the schema's enum";
  return Status::Ok();
}

Status Compiler::Const(const element& value, NodeBuilder* b) {
  b->node->const_value = value;
  std::optional<std::string> text = ShortJson(value, kMaxValueInMessage);
  b->node->const_message = text ? "must equal " + *text : "must equal the schema's const value";
  return Status::Ok();
}

Status Compiler::Bound(const element& value, NodeBuilder* b, bool lower, bool exclusive) {
  std::optional<JsonNumber> limit = NumberOf(value);
  if (!limit) {
    return Error(value.is_bool() ? "must be a number (draft-04's boolean form is not supported)"
                                 : "must be a number");
  }
  b->node->bounds.push_back(NumberBound{*limit, lower, exclusive});
  return Status::Ok();
}

Status Compiler::Count(const element& value, std::optional<uint64_t>* out) {
  std::optional<JsonNumber> n = NumberOf(value);
  if (!n || !IsIntegral(*n) || CompareNumbers(*n, JsonNumber{}) < 0) {
    return Error("must be a non-negative integer");
  }
  if (n->kind == JsonNumber::Kind::kInt64) {
    *out = static_cast<uint64_t>(n->i);
  } else if (n->kind == JsonNumber::Kind::kUint64) {
    *out = n->u;
  } else {  // an integral double such as 3.0 or 1e300 (no instance is that long)
    *out = n->d >= 18446744073709551616.0 ? std::numeric_limits<uint64_t>::max()
                                          : static_cast<uint64_t>(n->d);
  }
  return Status::Ok();
}

Status Compiler::Pattern(const element& value, NodeBuilder* b) {
  if (!value.is_string()) return Error("must be a string");
  Result<SchemaPattern> pattern =
      SchemaPattern::Compile(value.get_string().value_unsafe(), limits_.max_pattern_bytes);
  if (!pattern) return Error(pattern.error().message());
  b->node->pattern.emplace(std::move(*pattern));
  return Status::Ok();
}

Status Compiler::Format(const element& value, NodeBuilder* b) {
  if (!value.is_string()) return Error("must be a string");
  // Other formats are annotations (JSON Schema 2020-12, format-annotation vocabulary).
  b->node->date_time = value.get_string().value_unsafe() == "date-time";
  return Status::Ok();
}

}  // namespace

Status CompileSchemaTree(const element& root, CompiledSchema* compiled) {
  Compiler compiler(compiled->limits);
  return compiler.CompileNode(root, &compiled->root);
}

}  // namespace eventlake::ingest::schema_internal
