// The dead-letter event: what a source stores instead of an invalid event
// when its on_invalid is dead_letter. It carries the reason and the item
// exactly as received, so that it can be inspected, fixed and replayed.
//
//   type   eventlake.deadletter       source  /eventlake/sources/<source>
//   id     a fresh UUIDv7             time    when it was dead-lettered
//   data   {"source":"<source>", "problem":{"type","detail","pointer"},
//           "event_id":"<id>"?, "event_type":"<type>"?,   (when the event decoded)
//           "body":"<the item's text, as a JSON string>"}
#pragma once

#include <string>
#include <string_view>

#include "core/cloud_event.h"
#include "ingest/problem_type.h"

namespace eventlake::ingest {

inline constexpr std::string_view kDeadLetterType = "eventlake.deadletter";

struct DeadLetterInput {
  std::string_view source_name;  // the eventlake source
  const IngestProblem* problem;  // why (required)
  const CloudEvent* event;       // the decoded event, when it decoded (schema violations)
  std::string_view body;         // the item as received
  TimestampMicros now = 0;
  std::string id;  // the dead-letter event's own id
};

CloudEvent MakeDeadLetterEvent(const DeadLetterInput& input);

// The envelope every dead letter shares (a source's, a loader's, a
// pipeline's): type eventlake.deadletter, JSON `data`, the given id,
// source and time.
CloudEvent DeadLetterEnvelope(std::string id, std::string source, TimestampMicros now, std::string data);

}  // namespace eventlake::ingest
