// The windowed `sql` step (issue 6): tumbling windows by event time with a
// watermark and an allowed lateness, each window's events aggregated by
// the step's statement once, when the watermark passes its end.
//
//   - sql:
//       sql: SELECT window_start, window_end, country, count(*) AS clicks FROM batch GROUP BY ALL
//       window: {size: 1m, allowed_lateness: 30s, late: dead_letter, max_events: 1000000}
//
// An event belongs to the window [start, start + size) that holds its
// `time` attribute (windows are aligned to the epoch, UTC). The watermark
// is the newest event time the step has seen, minus allowed_lateness: the
// step expects no event older than that. When the watermark reaches a
// window's end, the statement runs over that window's events (the table
// `batch`, with the columns window_start and window_end), and its rows are
// the step's events, once: the window is closed. An event whose window is
// closed (or would end at or before the watermark) is late: with
// `late: dead_letter` (the default) it fails alone, without retries, as a
// dead letter that says so; with `late: drop` it is counted and dropped.
// An event without a time fails alone. A window whose statement fails is
// closed too: its events become dead letters with the error, so that one
// window cannot stop the stream. Windows close only as event time moves:
// the last window waits for a later event.
//
// Crashes: the step keeps the events of its open windows, which windows
// it closed and on which record, the watermark, and per partition how far
// it has read, in a journal (state_journal.h) synced before a batch's
// result is returned. A batch that runs again (a crash, a failed sink)
// finds its records held already and adds them no second time; the
// record on which a window closed, seen again, closes it again (the sinks
// had not taken it, or take it once: a table commits offsets). A closed
// window's events are kept until the trigger group has committed past all
// of them and its closing record (`committed`), so it can be closed again
// until then. A record before what the step has read, that it no longer
// holds (a replay), passes without effect: its windows are in the sinks.
// Records are told apart by partition, offset and the event's source and
// id: steps before this one keep each record's offset (StepResult::sources)
// except a sql statement, a lua batch function and a function that
// returns new events, after which a batch cut differently when it runs
// again may count an event twice.
//
// Threads: Run may be called from several partitions' threads; they take
// turns (a mutex): the windows are the stream's, not a partition's.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/metrics.h"
#include "core/status.h"
#include "pipeline/batch_runner.h"
#include "pipeline/sql_step.h"
#include "pipeline/state_journal.h"

namespace eventlake::pipeline {

enum class LateEvents { kDeadLetter, kDrop };

struct WindowOptions {
  std::chrono::microseconds size = std::chrono::minutes(1);
  std::chrono::microseconds allowed_lateness{0};
  LateEvents late = LateEvents::kDeadLetter;
  size_t max_events = 1'000'000;  // held at once (open windows, closed ones not yet committed)
};

struct WindowStepOptions {
  WindowOptions window;
  std::string journal_path;  // required: <data_dir>/state/pipelines/<pipeline>/window-<step>.journal
  // The trigger group's committed offsets, one per partition: what will
  // not be read again. Empty: nothing is known committed (closed windows
  // are then kept until the next restart's first batch knows).
  std::function<Result<std::vector<uint64_t>>()> committed;
  MetricsRegistry* metrics = nullptr;
  std::string pipeline;  // the metrics' label
};

// InvalidArgument unless the window's options make sense.
Status CheckWindowOptions(const WindowOptions& window);

class WindowStep {
 public:
  // `sql` must have been made with window_columns. Opens (or creates) the
  // journal and takes up the windows it holds.
  static Result<std::unique_ptr<WindowStep>> Create(WindowStepOptions options, std::unique_ptr<SqlStep> sql);

  StepResult Run(std::span<const BatchRecord> batch);

  size_t held_events() const;
  size_t open_windows() const;

 private:
  // One record as the step tells records apart.
  struct RecordId {
    uint32_t partition = 0;
    uint64_t offset = 0;
    bool redriven = false;
    uint64_t event = 0;  // a hash of the event's source and id
    bool operator==(const RecordId&) const = default;
  };
  struct RecordIdHash {
    size_t operator()(const RecordId& r) const;
  };
  struct Window {
    std::vector<RecordId> ids;          // of the records, in step
    std::vector<BatchRecord> records;   // the window's events: what its statement reads
    std::optional<RecordId> closed_by;  // set once the window is closed
  };
  using Windows = std::map<TimestampMicros, Window>;  // by start

  WindowStep(WindowStepOptions options, std::unique_ptr<SqlStep> sql, std::unique_ptr<StateJournal> journal);
  static RecordId IdOf(const BatchRecord& r);
  // Journal entries (docs/formats/window.md).
  static void PutId(std::string& out, const RecordId& id);
  static void PutAdd(std::string& out, TimestampMicros start, const RecordId& id, const BatchRecord& record);
  // The event in the window starting at `start` (and in held_); false when
  // it is held already.
  bool Hold(TimestampMicros start, const RecordId& id, BatchRecord record);
  // The window and its events gone; the next window.
  Windows::iterator Forget(Windows::iterator window);
  // Takes up one journal frame (Create).
  Status Apply(std::string_view frame);
  // Why a record failed here: the same answer when it runs again.
  enum class Verdict : uint8_t { kLate = 1, kFull = 2, kNoTime = 3 };

  // Forgets closed windows the group has committed past, and failed
  // records; what it forgot goes into `changes`.
  void Settle(const std::vector<uint64_t>& committed, std::string& changes);
  // The statement over `window`'s events: its rows (as batch[closing]'s),
  // or the window's events as dead letters when it fails.
  void Close(TimestampMicros start, const Window& window, size_t closing, StepResult& result);
  // The failure of batch[index] for `verdict`, in `result` (a late event
  // with late: drop is only counted).
  void Fail(Verdict verdict, size_t index, const BatchRecord& record, std::optional<TimestampMicros> watermark,
            StepResult& result);
  // This batch's changes, appended to the journal and synced (or the whole
  // state rewritten when the journal has grown well past it).
  Status Persist(const std::string& changes);
  std::string Snapshot() const;

  WindowStepOptions options_;
  std::unique_ptr<SqlStep> sql_;
  mutable std::mutex mu_;  // guards what follows
  std::unique_ptr<StateJournal> journal_;
  Windows windows_;
  std::unordered_set<RecordId, RecordIdHash> held_;
  std::unordered_map<RecordId, Verdict, RecordIdHash> failed_;  // until committed past
  std::optional<TimestampMicros> newest_;            // the newest event time seen
  std::vector<uint64_t> read_;                       // per partition: after the last record seen
  size_t held_bytes_ = 0;                            // what a snapshot would take, roughly
  bool journal_broken_ = false;                      // a write failed: the next batch rewrites it

  Counter* closed_ = nullptr;
  Counter* late_events_ = nullptr;
  Counter* failed_windows_ = nullptr;
};

}  // namespace eventlake::pipeline
