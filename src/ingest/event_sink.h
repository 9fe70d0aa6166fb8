// Where every source delivers the events it produced: behind a sink sit the
// checks of the source (CloudEvents rules, JSON Schema, dedup) and the append
// to its stream. A source acknowledges its own producer (a broker, a file
// move, an HTTP answer) only from `done`, so nothing is acknowledged before it
// is durable.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "core/cloud_event.h"
#include "core/status.h"
#include "log/log_record.h"

namespace eventlake::ingest {

// The fate of one delivered event, in the order the events were given.
using DeliveryResults = std::vector<Result<log::RecordPosition>>;

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Delivers `events`; `done` runs exactly once, possibly on another thread,
  // with a result per event: its position once durable (also for a duplicate
  // that was stored before), or why it was not stored. `done` must not block.
  virtual void Deliver(std::vector<CloudEvent> events,
                       std::function<void(DeliveryResults)> done) = 0;
};

// A source that runs on its own (file_drop, mqtt, kafka). HTTP-shaped sources
// (the gateway, s3_notifications) are routes of the server instead.
class Source {
 public:
  virtual ~Source() = default;
  virtual std::string_view name() const = 0;
  // Starts the source's own thread(s); events go to the sink given at creation.
  virtual Status Start() = 0;
  // Stops taking new input and waits for deliveries in flight. Idempotent.
  virtual void Stop() = 0;
};

}  // namespace eventlake::ingest
