// Plain JSON ingestion (`Content-Type: application/json`): each JSON object a
// producer posts becomes the data of a new CloudEvent whose context attributes
// eventlake fills in. The way to send events without knowing CloudEvents.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cloud_event.h"
#include "core/id.h"
#include "core/status.h"
#include "ingest/cloudevent_json.h"

namespace eventlake::ingest {

// What the wrapper fills in.
struct PlainJsonContext {
  std::string source;                    // "/eventlake/sources/<source>"
  std::string type = "eventlake.event";  // or the ce-type header
  // The Idempotency-Key header: the id of a single object, "<key>-<index>"
  // for the objects of an array. Without it ids are new UUIDv7s.
  std::optional<std::string> idempotency_key;
  TimestampMicros now = 0;     // the events' time
  IdGenerator* ids = nullptr;  // makes the ids; nullptr: NewEventId()
};

// `json` is one object or an array of objects (at most limits.max_events);
// each becomes an event with datacontenttype application/json and the
// object's JSON text as data.
Result<std::vector<CloudEvent>> WrapPlainJson(std::string_view json,
                                              const PlainJsonContext& context,
                                              const JsonLimits& limits = {});

}  // namespace eventlake::ingest
