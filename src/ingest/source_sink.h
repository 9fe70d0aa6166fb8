// The path every event of a source takes after it was decoded: schema check,
// dead-lettering or rejection of invalid events, dedup, the append, and one
// outcome per item once everything is durable. The HTTP gateway calls
// Submit (it validates schemas while decoding, without a second parse); the
// self-running sources (file_drop, mqtt, kafka) use it as their EventSink.
//
// Per item, in order:
//   invalid (a CloudEvents rule or the schema of its type):
//     on_invalid reject      -> kRejected with the problem
//     on_invalid dead_letter -> kDeadLettered: a dead-letter event
//                               (dead_letter.h) appended to the dead-letter stream
//   valid, its (source, id) stored within the dedup window -> kDuplicate with
//     the first copy's position (nothing appended);
//   valid and new -> appended -> kStored, or kFailed with the append's error
//     (kResourceExhausted over quota, kUnavailable / kFailedPrecondition when a
//     partition cannot write): the item was not stored and may be retried.
// Two items of one Submit with the same (source, id) are stored once; the
// second is answered kDuplicate once the first is durable.
//
// Threads: Submit and Deliver may be called from any thread at once; `done`
// runs exactly once, on the caller's thread or a partition writer thread,
// and must not block.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/cloud_event.h"
#include "core/id.h"
#include "core/metrics.h"
#include "ingest/dedup_window.h"
#include "ingest/event_decoder.h"
#include "ingest/event_sink.h"
#include "ingest/schema_set.h"
#include "ingest/source_options.h"
#include "log/stream.h"

namespace eventlake::ingest {

struct SourceSinkOptions {
  std::string name;               // the source's name
  log::Stream* stream = nullptr;  // required
  InvalidEventPolicy on_invalid = InvalidEventPolicy::kReject;
  log::Stream* dead_letter = nullptr;  // required for kDeadLetter
  DedupWindow* dedup = nullptr;        // the stream's window; nullptr: no dedup
  const SchemaSet* schemas = nullptr;  // nullptr: no schemas
  Clock* clock = &SystemClock();
  IdGenerator* ids = nullptr;          // dead-letter ids; nullptr: NewEventId()
  MetricsRegistry* metrics = nullptr;  // optional
};

struct Submission {
  EventResult event;      // the decoded event or why it did not decode
  std::string_view body;  // the item as received (kept only if dead-lettered)
  // True when the data was already checked against the source's schemas
  // (the gateway does it while decoding, and sets `violation`); false:
  // Submit checks it.
  bool schema_checked = false;
  // Why a decoded event is invalid anyway (its schema); it keeps its id and
  // type for the answer and the dead letter.
  std::optional<IngestProblem> violation;
  size_t index = 0;  // where the producer sees it (DecodedItem::index); copied to the Outcome
};

enum class OutcomeKind { kStored, kDuplicate, kDeadLettered, kRejected, kFailed };

// "stored", "duplicate", "dead_lettered", "rejected", "failed".
std::string_view OutcomeKindName(OutcomeKind kind);

struct Outcome {
  OutcomeKind kind = OutcomeKind::kFailed;
  size_t index = 0;              // Submission::index
  std::string id;                // the event's id, when it decoded
  log::RecordPosition position;  // kStored, kDuplicate; kDeadLettered: in the dead-letter stream
  IngestProblem problem;         // kRejected, kDeadLettered
  Status error;                  // kFailed
};

using SubmitDone = std::function<void(std::vector<Outcome>)>;

class SourceSink final : public EventSink {
 public:
  // InvalidArgument when a required pointer is missing.
  static Result<std::unique_ptr<SourceSink>> Create(SourceSinkOptions options);
  ~SourceSink() override;

  const std::string& name() const { return options_.name; }
  log::Stream& stream() const { return *options_.stream; }
  const std::string& dead_letter_stream_name() const;

  void Submit(std::vector<Submission> items, SubmitDone done);

  // EventSink: kStored, kDuplicate and kDeadLettered are positions (the last
  // in the dead-letter stream), kRejected an InvalidArgument (ToStatus),
  // kFailed the append's error.
  void Deliver(std::vector<CloudEvent> events, std::function<void(DeliveryResults)> done) override;

  // The schema problem of `event`'s JSON data, parsing it on this thread;
  // nullopt when it has no schema, is not JSON or is valid.
  std::optional<IngestProblem> CheckSchema(const CloudEvent& event) const;

 private:
  struct Batch;
  struct Counters;
  explicit SourceSink(SourceSinkOptions options);
  void Classify(Batch& batch, std::vector<Submission>& items);
  void AppendNew(const std::shared_ptr<Batch>& batch);
  void AppendDeadLetters(const std::shared_ptr<Batch>& batch);
  void WaitForInFlight(const std::shared_ptr<Batch>& batch, size_t item, const DedupKey& key);
  void AppendOne(const std::shared_ptr<Batch>& batch, size_t item, const DedupKey& key);
  void Finish(const std::shared_ptr<Batch>& batch);
  void Count(const std::vector<Outcome>& outcomes) const;

  SourceSinkOptions options_;
  std::unique_ptr<Counters> counters_;
};

// A schema violation of data at `data_pointer` (the pointer of the data in
// the body: "/data", "/3/data", "" for plain JSON) as an IngestProblem.
IngestProblem SchemaProblem(const SchemaViolation& violation, std::string_view data_pointer);

}  // namespace eventlake::ingest
