// Building dead-letter events.
#include "ingest/dead_letter.h"

#include "ingest/json_text.h"
#include "ingest/source_options.h"

namespace eventlake::ingest {

CloudEvent DeadLetterEnvelope(std::string id, std::string source, TimestampMicros now, std::string data) {
  CloudEvent letter;
  letter.id = std::move(id);
  letter.source = std::move(source);
  letter.type = std::string(kDeadLetterType);
  letter.time = now;
  letter.data_content_type = "application/json";
  letter.data = std::move(data);
  return letter;
}

CloudEvent MakeDeadLetterEvent(const DeadLetterInput& input) {
  CloudEvent letter = DeadLetterEnvelope(input.id, SourceEventSource(input.source_name), input.now, "");
  std::string& data = letter.data;
  data.reserve(input.body.size() + input.problem->detail.size() + 160);
  data.append("{\"source\":");
  AppendJsonString(input.source_name, &data);
  data.append(",\"problem\":{\"type\":");
  AppendJsonString(ProblemTypeName(input.problem->type), &data);
  data.append(",\"detail\":");
  AppendJsonString(input.problem->detail, &data);
  data.append(",\"pointer\":");
  AppendJsonString(input.problem->pointer, &data);
  data.push_back('}');
  if (input.event != nullptr) {
    data.append(",\"event_id\":");
    AppendJsonString(input.event->id, &data);
    data.append(",\"event_type\":");
    AppendJsonString(input.event->type, &data);
  }
  data.append(",\"body\":");
  AppendJsonString(input.body, &data);
  data.push_back('}');
  return letter;
}

}  // namespace eventlake::ingest
