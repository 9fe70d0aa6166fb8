// What every self-running source (file_drop, mqtt, kafka) is given by the
// server besides its own options: its name, the CloudEvents attributes of the
// events it wraps, where it delivers and the shared services. Everything
// pointed to must outlive the source.
#pragma once

#include <string>

#include "core/clock.h"
#include "core/id.h"
#include "core/metrics.h"
#include "ingest/event_sink.h"
#include "ingest/ingest_limits.h"

namespace eventlake::ingest {

struct SourceContext {
  std::string name;           // the source's name in eventlake.yaml
  std::string event_type;     // CloudEvents `type` of wrapped records; "" = the source's default
  IngestLimits limits;        // applied to every message, line or file it decodes
  EventSink* sink = nullptr;  // required
  MetricsRegistry* metrics = nullptr;  // required
  Clock* clock = &SystemClock();
  IdGenerator* ids = nullptr;  // nullptr: NewEventId()

  // "/eventlake/sources/<name>": the CloudEvents `source` of wrapped records.
  std::string EventSource() const { return "/eventlake/sources/" + name; }
};

}  // namespace eventlake::ingest
