// SourceSink: classification of submitted items, then up to three kinds of
// asynchronous work per Submit (the append of new events, the append of
// dead letters, waits on in-flight duplicates), joined by a counter.
#include "ingest/source_sink.h"

#include <atomic>
#include <mutex>

#include "ingest/attribute_rules.h"
#include "ingest/dead_letter.h"

namespace eventlake::ingest {

std::string_view OutcomeKindName(OutcomeKind kind) {
  switch (kind) {
    case OutcomeKind::kStored:
      return "stored";
    case OutcomeKind::kDuplicate:
      return "duplicate";
    case OutcomeKind::kDeadLettered:
      return "dead_lettered";
    case OutcomeKind::kRejected:
      return "rejected";
    case OutcomeKind::kFailed:
      return "failed";
  }
  return "?";
}

IngestProblem SchemaProblem(const SchemaViolation& violation, std::string_view data_pointer) {
  IngestProblem problem;
  problem.type = ProblemType::kSchemaViolation;
  problem.pointer = std::string(data_pointer) + violation.pointer;
  problem.detail = "data does not match the schema";
  if (!violation.pointer.empty()) problem.detail += " at " + violation.pointer;
  problem.detail += ": " + violation.message;
  return problem;
}

struct SourceSink::Counters {
  Counter* by_kind[5] = {};
};

// The state of one Submit, shared by its asynchronous parts.
struct SourceSink::Batch {
  std::vector<Outcome> outcomes;  // one per item; each written by exactly one part
  // Valid new events for the main append, with their items and dedup keys.
  std::vector<CloudEvent> fresh;
  std::vector<size_t> fresh_items;
  std::vector<DedupKey> fresh_keys;
  // Dead letters, with their items.
  std::vector<CloudEvent> letters;
  std::vector<size_t> letter_items;
  // Events whose id is being stored by another request right now, by item.
  std::vector<std::pair<size_t, CloudEvent>> waiting;
  std::atomic<size_t> parts{1};  // the Submit call itself is the first part
  SubmitDone done;
};

SourceSink::SourceSink(SourceSinkOptions options)
    : options_(std::move(options)), counters_(std::make_unique<Counters>()) {
  if (options_.metrics == nullptr) return;
  for (OutcomeKind kind :
       {OutcomeKind::kStored, OutcomeKind::kDuplicate, OutcomeKind::kDeadLettered,
        OutcomeKind::kRejected, OutcomeKind::kFailed}) {
    counters_->by_kind[static_cast<int>(kind)] = &options_.metrics->GetCounter(
        "eventlake_ingest_events_total", "Events a source was given, by what became of them.",
        {{"source", options_.name}, {"outcome", std::string(OutcomeKindName(kind))}});
  }
}

SourceSink::~SourceSink() = default;

Result<std::unique_ptr<SourceSink>> SourceSink::Create(SourceSinkOptions options) {
  if (options.stream == nullptr) return Err(InvalidArgument("source sink: no stream"));
  if (options.on_invalid == InvalidEventPolicy::kDeadLetter && options.dead_letter == nullptr) {
    return Err(InvalidArgument("source sink: on_invalid dead_letter without a dead-letter stream"));
  }
  if (options.clock == nullptr) options.clock = &SystemClock();
  return std::unique_ptr<SourceSink>(new SourceSink(std::move(options)));
}

const std::string& SourceSink::dead_letter_stream_name() const {
  static const std::string kNone;
  return options_.dead_letter == nullptr ? kNone : options_.dead_letter->name();
}

std::optional<IngestProblem> SourceSink::CheckSchema(const CloudEvent& event) const {
  if (options_.schemas == nullptr) return std::nullopt;
  const JsonSchema* schema = options_.schemas->For(event.type);
  if (schema == nullptr || event.data_is_binary) return std::nullopt;
  if (event.data_content_type.has_value() && !IsJsonMediaType(*event.data_content_type)) {
    return std::nullopt;
  }
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(event.data);
  simdjson::dom::element value;
  if (parser.parse(padded).get(value) != simdjson::SUCCESS) {
    return IngestProblem{ProblemType::kSchemaViolation, "data is not valid JSON", "/data"};
  }
  auto violation = schema->FirstViolation(value);
  if (!violation.has_value()) return std::nullopt;
  return SchemaProblem(*violation, "/data");
}

void SourceSink::Classify(Batch& batch, std::vector<Submission>& items) {
  const TimestampMicros now = options_.clock->NowMicros();
  // Valid events to claim in the dedup window, all at once after this loop;
  // the vectors are the thread's, so that a request does not allocate them.
  thread_local std::vector<size_t> claimed_items;
  thread_local std::vector<DedupKey> keys;
  thread_local std::vector<DedupClaim> claims;
  if (keys.capacity() > 4096) {  // a huge batch went before: do not keep its memory
    claimed_items = {};
    keys = {};
    claims = {};
  }
  claimed_items.clear();
  keys.clear();
  for (size_t i = 0; i < items.size(); ++i) {
    Submission& item = items[i];
    Outcome& outcome = batch.outcomes[i];
    outcome.index = item.index;
    std::optional<IngestProblem> problem = std::move(item.violation);
    if (!item.event.has_value()) {
      problem = item.event.error();
    } else {
      outcome.id = item.event->id;
      if (!problem.has_value() && !item.schema_checked) problem = CheckSchema(*item.event);
    }
    if (problem.has_value()) {
      outcome.problem = std::move(*problem);
      if (options_.on_invalid == InvalidEventPolicy::kReject) {
        outcome.kind = OutcomeKind::kRejected;
        continue;
      }
      batch.letters.push_back(MakeDeadLetterEvent(
          {.source_name = options_.name,
           .problem = &outcome.problem,
           .event = item.event.has_value() ? &*item.event : nullptr,
           .body = item.body,
           .now = now,
           .id = options_.ids != nullptr ? options_.ids->Next() : NewEventId()}));
      batch.letter_items.push_back(i);
      continue;
    }
    if (options_.dedup == nullptr) {
      batch.fresh.push_back(std::move(*item.event));
      batch.fresh_items.push_back(i);
      batch.fresh_keys.emplace_back();
      continue;
    }
    claimed_items.push_back(i);
    keys.push_back(options_.dedup->KeyFor(item.event->source, item.event->id));
  }
  if (keys.empty()) return;
  claims.resize(keys.size());
  options_.dedup->ClaimAll(keys, claims);
  for (size_t k = 0; k < claims.size(); ++k) {
    const size_t i = claimed_items[k];
    CloudEvent& event = *items[i].event;
    Outcome& outcome = batch.outcomes[i];
    switch (claims[k].verdict) {
      case DedupVerdict::kDuplicate:
        outcome.kind = OutcomeKind::kDuplicate;
        outcome.position = claims[k].position;
        break;
      case DedupVerdict::kNew:
        batch.fresh.push_back(std::move(event));
        batch.fresh_items.push_back(i);
        batch.fresh_keys.push_back(claims[k].key);
        break;
      case DedupVerdict::kInFlight:
        batch.waiting.emplace_back(i, std::move(event));
        break;
    }
  }
}

void SourceSink::Submit(std::vector<Submission> items, SubmitDone done) {
  auto batch = std::make_shared<Batch>();
  batch->outcomes.resize(items.size());
  batch->done = std::move(done);
  Classify(*batch, items);
  if (!batch->fresh.empty()) AppendNew(batch);
  if (!batch->letters.empty()) AppendDeadLetters(batch);
  for (size_t w = 0; w < batch->waiting.size(); ++w) {
    const CloudEvent& event = batch->waiting[w].second;
    WaitForInFlight(batch, w, options_.dedup->KeyFor(event.source, event.id));
  }
  Finish(batch);
}

void SourceSink::AppendNew(const std::shared_ptr<Batch>& batch) {
  batch->parts.fetch_add(1);
  options_.stream->Append(batch->fresh, [this, batch](std::vector<Result<log::RecordPosition>> r) {
    for (size_t k = 0; k < r.size(); ++k) {
      Outcome& outcome = batch->outcomes[batch->fresh_items[k]];
      if (r[k].has_value()) {
        outcome.kind = OutcomeKind::kStored;
        outcome.position = *r[k];
      } else {
        outcome.kind = OutcomeKind::kFailed;
        outcome.error = r[k].error();
      }
    }
    if (options_.dedup != nullptr) options_.dedup->CommitOrAbortAll(batch->fresh_keys, r);
    Finish(batch);
  });
}

void SourceSink::AppendDeadLetters(const std::shared_ptr<Batch>& batch) {
  batch->parts.fetch_add(1);
  options_.dead_letter->Append(batch->letters,
                               [this, batch](std::vector<Result<log::RecordPosition>> r) {
                                 for (size_t k = 0; k < r.size(); ++k) {
                                   Outcome& outcome = batch->outcomes[batch->letter_items[k]];
                                   if (r[k].has_value()) {
                                     outcome.kind = OutcomeKind::kDeadLettered;
                                     outcome.position = *r[k];
                                   } else {
                                     outcome.kind = OutcomeKind::kFailed;
                                     outcome.error = r[k].error();
                                   }
                                 }
                                 Finish(batch);
                               });
}

// `waiting` index w: runs once the other request's append ended.
void SourceSink::WaitForInFlight(const std::shared_ptr<Batch>& batch, size_t w,
                                 const DedupKey& key) {
  batch->parts.fetch_add(1);
  options_.dedup->WaitFor(key, [this, batch, w](const DedupClaim& claim) {
    if (claim.verdict == DedupVerdict::kNew) return AppendOne(batch, w, claim.key);
    Outcome& outcome = batch->outcomes[batch->waiting[w].first];
    outcome.kind = OutcomeKind::kDuplicate;
    outcome.position = claim.position;
    Finish(batch);
  });
}

// The first copy failed: this item now owns its key and is appended alone.
void SourceSink::AppendOne(const std::shared_ptr<Batch>& batch, size_t w, const DedupKey& key) {
  std::span<const CloudEvent> one(&batch->waiting[w].second, 1);
  options_.stream->Append(one, [this, batch, w, key](std::vector<Result<log::RecordPosition>> r) {
    Outcome& outcome = batch->outcomes[batch->waiting[w].first];
    if (r[0].has_value()) {
      outcome.kind = OutcomeKind::kStored;
      outcome.position = *r[0];
      options_.dedup->Commit(key, *r[0]);
    } else {
      outcome.kind = OutcomeKind::kFailed;
      outcome.error = r[0].error();
      options_.dedup->Abort(key);
    }
    Finish(batch);
  });
}

void SourceSink::Finish(const std::shared_ptr<Batch>& batch) {
  // acq_rel: the last part sees every outcome the others wrote.
  if (batch->parts.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  Count(batch->outcomes);
  SubmitDone done = std::move(batch->done);
  done(std::move(batch->outcomes));
}

void SourceSink::Count(const std::vector<Outcome>& outcomes) const {
  if (options_.metrics == nullptr) return;
  uint64_t counts[5] = {};
  for (const Outcome& outcome : outcomes) ++counts[static_cast<int>(outcome.kind)];
  for (int k = 0; k < 5; ++k) {
    if (counts[k] != 0) counters_->by_kind[k]->Increment(counts[k]);
  }
}

void SourceSink::Deliver(std::vector<CloudEvent> events,
                         std::function<void(DeliveryResults)> done) {
  std::vector<Submission> items;
  items.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    items.push_back({.event = std::move(events[i]), .body = {}, .index = i});
  }
  Submit(std::move(items), [done = std::move(done)](std::vector<Outcome> outcomes) {
    DeliveryResults results;
    results.reserve(outcomes.size());
    for (Outcome& outcome : outcomes) {
      switch (outcome.kind) {
        case OutcomeKind::kStored:
        case OutcomeKind::kDuplicate:
        case OutcomeKind::kDeadLettered:
          results.emplace_back(outcome.position);
          break;
        case OutcomeKind::kRejected:
          results.emplace_back(Err(ToStatus(outcome.problem)));
          break;
        case OutcomeKind::kFailed:
          results.emplace_back(Err(std::move(outcome.error)));
          break;
      }
    }
    done(std::move(results));
  });
}

}  // namespace eventlake::ingest
