// Building dead-letter events.
#include "ingest/dead_letter.h"

#include "ingest/json_text.h"
#include "ingest/source_options.h"

namespace eventlake::ingest {

CloudEvent MakeDeadLetterEvent(const DeadLetterInput& input) {
  CloudEvent letter;
  letter.id = input.id;
  letter.source = SourceEventSource(input.source_name);
  letter.type = std::string(kDeadLetterType);
  letter.time = input.now;
  letter.data_content_type = "application/json";
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
