// The compiled form of a JSON Schema (json_schema.h): a tree of small
// structs, one per (sub)schema, built once by the compiler and only read by
// the validator, so no JSON is re-parsed at validation time. Internal to the
// ingest room.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/json_schema.h"
#include "ingest/json_schema_pattern.h"
#include "ingest/json_schema_value.h"

namespace eventlake::ingest::schema_internal {

// Bits of SchemaNode::types. An integer instance has both kNumber and kInteger.
enum TypeBit : uint8_t {
  kNullBit = 1 << 0,
  kBooleanBit = 1 << 1,
  kObjectBit = 1 << 2,
  kArrayBit = 1 << 3,
  kNumberBit = 1 << 4,
  kIntegerBit = 1 << 5,
  kStringBit = 1 << 6,
};

struct SchemaNode;

// A property named by "properties", by "required", or by both.
struct PropertyRule {
  std::string name;
  bool declared = false;               // listed in "properties"
  std::unique_ptr<SchemaNode> schema;  // its schema when declared
  int32_t required_index = -1;         // index in SchemaNode::required, or -1
};

// A numeric bound: minimum, maximum, exclusiveMinimum or exclusiveMaximum.
struct NumberBound {
  JsonNumber limit;
  bool lower = true;       // minimum / exclusiveMinimum
  bool exclusive = false;  // exclusiveMinimum / exclusiveMaximum
};

struct SchemaNode {
  bool reject_all = false;  // the boolean schema `false`
  uint8_t types = 0;        // TypeBit mask; 0 means any type
  std::string type_names;   // "string or null", for messages

  // const and enum: elements of CompiledSchema::document.
  std::optional<simdjson::dom::element> const_value;
  std::string const_message;
  bool has_enum = false;
  std::vector<simdjson::dom::element> enum_values;
  bool enum_all_strings = false;  // then enum_index holds them: the fast path
  StringIndex enum_index;
  std::string enum_message;

  std::vector<NumberBound> bounds;  // in schema order

  std::optional<uint64_t> min_length, max_length;  // in code points
  std::optional<SchemaPattern> pattern;
  bool date_time = false;  // "format": "date-time"

  std::optional<uint64_t> min_items, max_items;
  std::unique_ptr<SchemaNode> items;  // null: any items

  std::vector<PropertyRule> properties;
  StringIndex property_index;              // names of `properties`
  std::vector<std::string> required;       // schema order
  std::unique_ptr<SchemaNode> additional;  // null: additional properties allowed

  bool HasStringRules() const { return min_length || max_length || pattern || date_time; }
  bool HasArrayRules() const { return min_items || max_items || items; }
  bool HasObjectRules() const { return !properties.empty() || additional; }
};

// What a JsonSchema shares between its copies; immutable once built.
struct CompiledSchema {
  SchemaLimits limits;
  // The parsed schema text; const/enum elements point into it, so it lives
  // (at a stable address) as long as the tree.
  std::unique_ptr<simdjson::dom::document> document;
  SchemaNode root;
};

// Builds `compiled->root` from `compiled->document`'s root element.
Status CompileSchemaTree(const simdjson::dom::element& root, CompiledSchema* compiled);

}  // namespace eventlake::ingest::schema_internal
