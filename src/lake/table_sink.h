// TableSink: a pipeline's lake table sink (issue 6), exactly once. It
// adds what a pipeline's batches became to the table's TableWriter and
// commits, with the files of each flush, the offset each origin partition
// has reached: one txn action per partition, appId
// "<pipeline>/<origin stream>/<partition>", version next_offset - 1 (the
// loader's convention, docs/formats/table.md "Exactly-once loading").
//
// The pipeline moves its group only to DurableOffset and, after a restart,
// cuts its batches at the sink's durable and taken offsets, so a batch is
// wholly in the table or wholly not; Deliver skips the ones the table (or
// the buffer) already has. A batch that does not start where the last one
// of its partition ended (the rows between were lost by a failed flush, or
// the pipeline was rewound past them) is an error: the pipeline reads
// again from its group, and nothing is doubled or lost.
//
// Events the table cannot take (a value no column evolution allows, data
// that does not parse, a time outside [now - max_past, now + max_future])
// are refused one by one: the pipeline dead-letters them.
//
// Queries see the buffered rows (ForEachPendingRow) read against a
// snapshot: the rows of batches beyond the snapshot's txn versions, from
// the buffer and from the last flush.
//
// Threads: every method may be called from any thread; they take turns on
// the writer. Flushes happen in Deliver (the writer's row and byte limits),
// Tick (its age) and Flush.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "lake/event_row.h"
#include "lake/pending_rows.h"
#include "lake/table_writer.h"
#include "pipeline/pipeline.h"

namespace eventlake::lake {

struct TableSinkOptions {
  std::string pipeline;           // the appId prefix; no '/'
  TableWriter* writer = nullptr;  // required; the sink's alone
  std::chrono::microseconds max_future = std::chrono::hours(24);
  std::chrono::microseconds max_past = std::chrono::hours(24 * 365 * 10);
  Clock* clock = &SystemClock();
  MetricsRegistry* metrics = nullptr;
  // Each flush replaces the table's rows with what was delivered since the
  // last one (a scheduled pipeline recomputing an analytics table: one
  // batch per run, flushed at its end); no flush before Flush().
  bool overwrite = false;
};

class TableSink : public pipeline::Sink {
 public:
  // Reads the offsets the table has from its txn actions.
  static Result<std::unique_ptr<TableSink>> Create(TableSinkOptions options);

  std::string_view name() const override { return options_.writer->options().name; }
  Result<std::vector<pipeline::FailedItem>> Deliver(const pipeline::SinkBatch& batch) override;
  std::optional<uint64_t> DurableOffset(std::string_view origin, uint32_t partition) override;
  std::optional<uint64_t> TakenOffset(std::string_view origin, uint32_t partition) override;
  Status Tick() override;
  Status Flush() override;

  // The rows of batches the snapshot does not hold yet; at most max_rows.
  Result<PendingRowsResult> ForEachPendingRow(const TableSnapshot& snapshot,
                                              std::span<const PartitionField> partition_by,
                                              uint64_t max_rows, const PendingRowFn& row) const;

  const TableSinkOptions& options() const { return options_; }

 private:
  // Where one origin partition stands.
  struct Position {
    uint64_t durable = 0;  // every batch before this offset is committed
    uint64_t taken = 0;    // ... or buffered (>= durable)
    uint64_t rows = 0;     // rows buffered since the last flush
    bool lost = false;     // a failed flush dropped its rows: the next batch starts at `taken`
  };
  struct TakenBatch {
    std::string app_id;
    uint64_t next_offset = 0;
    std::vector<CloudEvent> events;  // the rows it added, as events (each with its time)
  };

  explicit TableSink(TableSinkOptions options) : options_(std::move(options)) {}
  std::string AppIdOf(std::string_view origin, uint32_t partition) const;
  Status FlushLocked();

  const TableSinkOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, Position, std::less<>> positions_;  // by appId
  EventRowEncoder encoder_;
  std::deque<TakenBatch> buffered_;  // since the last flush
  std::deque<TakenBatch> flushed_;   // by the last flush, for snapshots older than it
  bool replacing_ = false;           // overwrite: a batch was taken since the last flush
  Counter* skipped_ = nullptr;
  Counter* refused_ = nullptr;
};

}  // namespace eventlake::lake
