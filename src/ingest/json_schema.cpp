// JsonSchema's entry points: parsing the schema text within its limits,
// turning violations into Status, and parsing instances for ValidateJson.
// The keyword compiler is json_schema_compile.cpp; the validator is
// json_schema_validate.cpp.
#include "ingest/json_schema.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "ingest/json_schema_node.h"

namespace eventlake::ingest {

using schema_internal::CompiledSchema;

std::string SchemaViolation::ToString() const {
  if (pointer.empty()) return message;
  return pointer + ": " + message;
}

void AppendPointerToken(std::string_view token, std::string* pointer) {
  pointer->push_back('/');
  for (char c : token) {
    if (c == '~') {
      pointer->append("~0");
    } else if (c == '/') {
      pointer->append("~1");
    } else {
      pointer->push_back(c);
    }
  }
}

Result<JsonSchema> JsonSchema::Compile(std::string_view schema_json, const SchemaLimits& limits) {
  if (schema_json.size() > limits.max_schema_bytes) {
    return Err(InvalidArgument("json schema is " + std::to_string(schema_json.size()) +
                               " bytes, more than the limit of " +
                               std::to_string(limits.max_schema_bytes)));
  }
  auto compiled = std::make_shared<CompiledSchema>();
  compiled->limits = limits;
  compiled->document = std::make_unique<simdjson::dom::document>();
  simdjson::dom::parser parser;
  if (parser.allocate(std::max<size_t>(schema_json.size(), 64), limits.max_schema_depth) !=
      simdjson::SUCCESS) {
    return Err(InvalidArgument("json schema: cannot allocate a parser for it"));
  }
  simdjson::dom::element root;
  simdjson::error_code error =
      parser.parse_into_document(*compiled->document, schema_json.data(), schema_json.size())
          .get(root);
  if (error == simdjson::DEPTH_ERROR) {
    return Err(InvalidArgument("json schema nests arrays and objects deeper than " +
                               std::to_string(limits.max_schema_depth) + " levels"));
  }
  if (error != simdjson::SUCCESS) {
    return Err(InvalidArgument(std::string("json schema is not valid JSON: ") +
                               simdjson::error_message(error)));
  }
  EL_RETURN_IF_ERROR(schema_internal::CompileSchemaTree(root, compiled.get()));
  return JsonSchema(std::move(compiled));
}

Status JsonSchema::Validate(const simdjson::dom::element& value) const {
  std::optional<SchemaViolation> violation = FirstViolation(value);
  if (!violation) return Status::Ok();
  return InvalidArgument(violation->ToString());
}

Status JsonSchema::ValidateJson(std::string_view json, simdjson::dom::parser& parser) const {
  simdjson::dom::element value;
  simdjson::error_code error = parser.parse(json.data(), json.size()).get(value);
  if (error != simdjson::SUCCESS) {
    return InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(error));
  }
  return Validate(value);
}

Status JsonSchema::ValidateJson(std::string_view json) const {
  thread_local simdjson::dom::parser parser;
  return ValidateJson(json, parser);
}

const SchemaLimits& JsonSchema::limits() const { return compiled_->limits; }

}  // namespace eventlake::ingest
