// ValidateStep: one schema, each event's data.
#include "pipeline/validate_step.h"

namespace eventlake::pipeline {

Result<ValidateStep> ValidateStep::Create(std::string_view schema_json) {
  auto schema = ingest::JsonSchema::Compile(schema_json);
  if (!schema.has_value()) return Err(schema.error().WithContext("validate step"));
  return ValidateStep(std::move(*schema));
}

StepResult ValidateStep::Run(std::span<const BatchRecord> batch) const {
  StepResult result;
  for (size_t i = 0; i < batch.size(); ++i) {
    const CloudEvent& e = batch[i].event;
    Status valid = e.data_is_binary ? InvalidArgument("the event's data is binary, not JSON")
                                    : schema_.ValidateJson(e.data.empty() ? std::string_view("null") : e.data);
    if (valid.ok()) {
      result.Keep(i);
    } else {
      result.failed.push_back({i, valid.WithContext("validate")});
    }
  }
  return result;
}

}  // namespace eventlake::pipeline
