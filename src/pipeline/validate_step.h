// The `validate` step (issue 6): each event's data against a JSON Schema
// (the ingest room's validator: type, properties, required, enum, const,
// bounds, lengths, pattern, items, additionalProperties, format
// date-time). Valid events pass on unchanged; an invalid one fails alone
// with the first violation and its JSON pointer ("/price: must be >= 0,
// got -2"), so that it becomes a dead letter that says what to fix.
#pragma once

#include <span>
#include <string_view>

#include "core/status.h"
#include "ingest/json_schema.h"
#include "pipeline/batch_runner.h"

namespace eventlake::pipeline {

class ValidateStep {
 public:
  // InvalidArgument when the schema does not compile.
  static Result<ValidateStep> Create(std::string_view schema_json);

  StepResult Run(std::span<const BatchRecord> batch) const;

 private:
  explicit ValidateStep(ingest::JsonSchema schema) : schema_(std::move(schema)) {}
  ingest::JsonSchema schema_;
};

}  // namespace eventlake::pipeline
