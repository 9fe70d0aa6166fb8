// Fuzzes the JSON Schema validator (src/ingest/json_schema.h) from both
// sides. Event data is untrusted, so any bytes validated against a fixed,
// realistic schema must never crash and must give a consistent answer. Schema
// text comes from operators but is parsed the same way, so any bytes compiled
// as a schema must either fail with InvalidArgument or yield a schema that
// validates small fixed instances (and short inputs themselves) safely.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/json_schema.h"

namespace {

using eventlake::StatusCode;
using eventlake::ingest::JsonSchema;
using eventlake::ingest::SchemaViolation;

constexpr std::string_view kClickSchema = R"({
  "type": "object",
  "required": ["event_id", "user_id", "ts", "page", "action"],
  "additionalProperties": false,
  "properties": {
    "event_id": {"type": "string", "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"},
    "user_id": {"type": "string", "minLength": 1, "maxLength": 64},
    "session_id": {"type": ["string", "null"]},
    "ts": {"type": "string", "format": "date-time"},
    "page": {"type": "string", "pattern": "^/", "maxLength": 2048},
    "action": {"enum": ["click", "view", "scroll", "purchase"]},
    "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
    "price": {"type": "number", "minimum": 0},
    "quantity": {"type": "integer", "minimum": 1, "maximum": 1000},
    "tags": {"type": "array", "items": {"type": "string", "maxLength": 32}, "maxItems": 10},
    "meta": {"const": {"v": [1, 2.5, "x", null, true]}},
    "device": {
      "type": "object",
      "required": ["os"],
      "properties": {
        "os": {"enum": ["ios", "android", "web", 1, {"k": []}]},
        "screen_width": {"type": "integer", "exclusiveMinimum": 0}
      }
    }
  }
})";

// Instances every fuzzed schema is tried on: all types, nesting, a date-time.
constexpr std::string_view kInstances[] = {
    "null",
    "-1.5",
    "18446744073709551615",
    R"("ab")",
    R"([1,"x",{},[]])",
    R"({"a":1,"b":"2026-01-01T00:00:00Z","c":[null,{"d":"e"}]})",
};

void CheckViolation(const JsonSchema& schema, const simdjson::dom::element& value) {
  std::optional<SchemaViolation> violation = schema.FirstViolation(value);
  eventlake::Status status = schema.Validate(value);
  if (violation.has_value() == status.ok()) __builtin_trap();
  if (!violation) return;
  if (status.code() != StatusCode::kInvalidArgument) __builtin_trap();
  if (status.message() != violation->ToString()) __builtin_trap();
  if (!violation->pointer.empty() && violation->pointer[0] != '/') __builtin_trap();
  if (violation->message.empty()) __builtin_trap();
}

void ValidateText(const JsonSchema& schema, std::string_view text, simdjson::dom::parser& parser) {
  simdjson::dom::element value;
  if (parser.parse(text.data(), text.size()).get(value) != simdjson::SUCCESS) return;
  CheckViolation(schema, value);
}

const JsonSchema& ClickSchema() {
  static const JsonSchema schema = [] {
    eventlake::Result<JsonSchema> compiled = JsonSchema::Compile(kClickSchema);
    if (!compiled.has_value()) __builtin_trap();
    return *compiled;
  }();
  return schema;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static simdjson::dom::parser parser;
  std::string_view input(reinterpret_cast<const char*>(data), size);

  ValidateText(ClickSchema(), input, parser);

  eventlake::Result<JsonSchema> compiled = JsonSchema::Compile(input);
  if (!compiled.has_value()) {
    if (compiled.error().code() != StatusCode::kInvalidArgument) __builtin_trap();
    return 0;
  }
  for (std::string_view instance : kInstances) ValidateText(*compiled, instance, parser);
  // Short inputs only: a fuzzed pattern may be large, and matching is
  // linear in input length times pattern size.
  if (size <= 512) ValidateText(*compiled, input, parser);
  return 0;
}
