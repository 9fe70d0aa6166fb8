// JSON Schema validation of event data, fast enough for the ingest hot path:
// a schema is compiled once into a tree of small structs and every event is
// checked against it without re-parsing the schema.
//
// Dialect: a subset of JSON Schema draft 2020-12. Enforced keywords:
//   type (a name or an array of names; "integer" is any number with no
//   fractional part, 1.0 included), properties, required,
//   additionalProperties (boolean or schema), enum, const (deep equality,
//   numbers by value: 1 == 1.0), minimum, maximum, exclusiveMinimum,
//   exclusiveMaximum (numbers), minLength, maxLength (Unicode code points),
//   pattern (json_schema_pattern.h), items (one schema for every element),
//   minItems, maxItems, format "date-time" (RFC 3339, core/cloud_event.h:
//   ParseRfc3339, which rejects leap seconds). Boolean schemas (true, false)
//   are accepted wherever a schema is.
// Accepted and ignored (annotations): $schema, $id, $comment, $anchor,
//   $dynamicAnchor, $vocabulary, $defs, definitions, title, description,
//   examples, default, deprecated, readOnly, writeOnly, contentEncoding,
//   contentMediaType, contentSchema, keywords starting with "x-", and any
//   "format" other than "date-time" (annotation only, as the spec allows).
// Everything else is rejected by Compile with an InvalidArgument naming the
// keyword and its JSON pointer in the schema: the keywords that would change
// validation ($ref, allOf, anyOf, oneOf, not, if/then/else,
// patternProperties, dependentRequired, multipleOf, uniqueItems, ...) and
// unknown ones (a typo such as "minimun"), so that a user never believes a
// rule is enforced when it is not.
//
// Validation stops at the first violation. The order is deterministic: at
// each schema, type, const, enum, then the keywords of the instance's type
// (numbers: bounds in schema order; strings: minLength, maxLength, pattern,
// format; arrays: minItems, maxItems, then items in element order; objects:
// members in the instance's order against properties/additionalProperties,
// then required in schema order).
//
// Limits (SchemaLimits): schema text size and nesting, pattern size; a string
// longer than max_pattern_input bytes fails a "pattern" with a clear message
// instead of being matched (matching costs up to O(length x pattern size);
// json_schema_pattern.h says how stack depth and backtracking are bounded).
// Validation recursion follows the schema tree, so it is bounded by the
// schema's nesting, and is also capped at max_validation_depth.
//
// Errors: Compile's messages read `json schema at "<schema pointer>": ...`;
// a violation is a SchemaViolation, or an InvalidArgument whose message is
// "<instance pointer>: <what is wrong>" ("/items/3/price: must be >= 0, got
// -2"), the message alone at the root. Messages never quote the instance's
// string values, only its numbers and the schema's own values; pointers hold
// the instance's member names verbatim (as long as the request let them be).
//
// Thread safety: a JsonSchema is immutable; copies share the compiled tree
// and may be used from any number of threads at once.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace eventlake::ingest {

namespace schema_internal {
struct CompiledSchema;
}  // namespace schema_internal

struct SchemaLimits {
  size_t max_schema_bytes = size_t{1} << 20;  // size of the schema text
  size_t max_schema_depth = 64;               // nesting of arrays/objects in the schema text
  size_t max_pattern_bytes = 1024;            // size of one "pattern"
  // Longest string (bytes) a "pattern" is matched against; longer ones fail.
  size_t max_pattern_input = 4096;
  size_t max_validation_depth = 256;  // instance levels validation descends
};

// Where an instance breaks the schema and how.
struct SchemaViolation {
  // RFC 6901 pointer into the instance ("" is the root, "/items/3/price");
  // for a missing required property, the pointer of that property.
  std::string pointer;
  // What is wrong, e.g. "must be >= 0, got -2".
  std::string message;

  // "<pointer>: <message>", or just the message at the root.
  std::string ToString() const;

  friend bool operator==(const SchemaViolation&, const SchemaViolation&) = default;
};

// Appends `token` to an RFC 6901 pointer ("/" then the token with ~ as ~0 and / as ~1).
void AppendPointerToken(std::string_view token, std::string* pointer);

class JsonSchema {
 public:
  // Compiles schema text. InvalidArgument for invalid JSON, a schema over
  // the limits, an invalid keyword value or an unsupported or unknown
  // keyword; the message names the keyword's pointer in the schema.
  static Result<JsonSchema> Compile(std::string_view schema_json, const SchemaLimits& limits = {});

  // The first violation of the schema by `value`, or nullopt when it is valid.
  std::optional<SchemaViolation> FirstViolation(const simdjson::dom::element& value) const;

  // OK, or InvalidArgument whose message is FirstViolation(...)->ToString().
  Status Validate(const simdjson::dom::element& value) const;

  // Parses `json` with `parser` (whose limits apply) and validates it. Invalid
  // JSON is an InvalidArgument starting "invalid JSON: ".
  Status ValidateJson(std::string_view json, simdjson::dom::parser& parser) const;
  // The same with a parser owned by the calling thread (kept between calls).
  Status ValidateJson(std::string_view json) const;

  const SchemaLimits& limits() const;

 private:
  explicit JsonSchema(std::shared_ptr<const schema_internal::CompiledSchema> compiled)
      : compiled_(std::move(compiled)) {}

  std::shared_ptr<const schema_internal::CompiledSchema> compiled_;  // never null
};

}  // namespace eventlake::ingest
