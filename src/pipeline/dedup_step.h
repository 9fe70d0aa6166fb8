// The `dedup` step (issue 6): drops an event whose key was already seen
// within a time window, and remembers the keys across restarts.
//
//   - dedup: { key: [data.order_id], window: 10m, max_entries: 1000000 }
//
// The key is a list of fields: the attributes id, source, type, subject
// and time by name, members of the data as `data.<path>` ("data.user.id");
// the default, [source, id], is the event's CloudEvents identity. Values
// are compared as JSON text (the string "7" and the number 7 differ). An
// event without one of the key's fields fails alone (retries, then a dead
// letter): it cannot be told apart from a duplicate.
//
// The first event of a key passes and claims the key for `window` (from
// when it passed) for its record (partition, offset); a later event of the
// key from another record is a duplicate and dropped, within a batch too. The claimant's own record seen again
// (a batch that runs again after a crash or a failed sink, a replay within
// the window) passes again: what runs again is not its own duplicate.
// Redriven dead letters are not checked (they passed, or were claimed, when
// they first ran) but claim keys that are new.
//
// State: the claims live in memory (ingest's DedupTable: at most
// max_entries, the oldest evicted first) and in a journal (ingest's
// DedupJournal, docs/formats/dedup.md) under the pipeline's state
// directory, appended and synced before a batch's result is returned: the
// group moves past a batch only after its claims are durable.
//
// Threads: Run may be called from several partitions' threads; they take
// turns on the step's table (a mutex).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "ingest/dedup_journal.h"
#include "ingest/dedup_table.h"
#include "pipeline/batch_runner.h"

namespace eventlake::pipeline {

struct DedupStepOptions {
  std::vector<std::string> key = {"source", "id"};
  std::chrono::microseconds window = std::chrono::minutes(10);
  size_t max_entries = 1'000'000;
  std::string journal_path;  // required: <data_dir>/state/pipelines/<pipeline>/dedup-<step>.journal
  Clock* clock = &SystemClock();
};

// InvalidArgument unless `field` is an attribute name or data.<path>.
Status CheckDedupKeyField(std::string_view field);

class DedupStep {
 public:
  // Opens (or creates) the journal and loads the claims still in the window.
  static Result<std::unique_ptr<DedupStep>> Create(DedupStepOptions options);

  StepResult Run(std::span<const BatchRecord> batch);

  size_t entries() const;

 private:
  DedupStep(DedupStepOptions options, std::unique_ptr<ingest::DedupJournal> journal, size_t max_entries);
  // The key of `event`'s fields under the journal's secret, or why it has none.
  Result<ingest::DedupKey> KeyOf(const CloudEvent& event) const;
  // Makes the claims of a batch durable (a batch that runs again after a
  // failure here passes as its own claimant: the rewrite then saves them).
  Status Persist(std::span<const ingest::DedupEntry> claims, TimestampMicros now);

  DedupStepOptions options_;
  mutable std::mutex mu_;  // guards table_ and journal_
  std::unique_ptr<ingest::DedupJournal> journal_;
  ingest::DedupTable table_;
  bool journal_broken_ = false;  // a write failed: the next batch rewrites the journal
};

}  // namespace eventlake::pipeline
