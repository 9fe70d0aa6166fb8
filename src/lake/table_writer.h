// TableWriter: buffers rows of one lake table and commits them as Parquet
// files plus one Delta commit (docs/formats/table.md).
//
//   auto writer = TableWriter::Open(store, db, options, clock);
//   writer->Add(cells);                 // per row; InvalidArgument: the row does not fit
//   if (writer->ShouldFlush()) writer->Flush({txn...});
//
// Rows are buffered per partition in memory, column by column
// (column_buffer.h: a store or two per cell, strings copied once). Flush
// hands each buffer to DuckDB as a table function, which computes its
// stats and COPYs it to one zstd Parquet file per partition in the store's
// staging directory (the strings read in place, not copied again), moves it
// into the table and commits every file with the given txn actions in one
// commit: all of the flush is in the table, or none of it.
//
// Schema: the table's columns come from its log, or from
// options.initial_columns for a new table; a row may add nullable columns
// (when options.add_columns) and widen integer -> long -> double; RFC 3339
// text goes into a timestamp column as the time it names. A value that
// needs anything else makes Add refuse the whole row, naming the column:
// the caller dead-letters it. Schema changes are committed with the
// next flush.
//
// Checkpoints: after a commit whose version is a multiple of
// checkpoint_interval, the writer writes the table's checkpoint (a failure
// there is logged; the commit stands).
//
// Failure: when Flush fails, its rows are dropped from the buffers and the
// schema returns to the table's: the caller restarts from the table's txn
// versions (the loader does). Files written by a failed flush are orphans
// for vacuum.
//
// Threads: one thread at a time. The store and the database outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/status.h"
#include "engine/database.h"
#include "engine/row_source.h"
#include "lake/delta_log.h"
#include "lake/object_store.h"
#include "lake/partition_spec.h"
#include "lake/table_row.h"

namespace eventlake::lake {

struct TableWriterOptions {
  std::string name;                       // "<zone>.<table>", e.g. "curated.events"
  std::vector<std::string> partition_by;  // "day(time)", "hour(time)", "<column>"
  std::vector<Column> initial_columns;    // the first columns of a new table
  bool add_columns = true;                // rows may add columns
  uint64_t max_rows = 1'000'000;          // ShouldFlush at this many buffered rows
  uint64_t max_bytes = 128ull << 20;      // or this many bytes (estimated)
  std::chrono::milliseconds max_age{10'000};  // or when the oldest buffered row is this old
  uint64_t row_group_rows = 122'880;
  uint32_t checkpoint_interval = 10;      // a checkpoint after every version divisible by this; 0: none
  MetricsRegistry* metrics = nullptr;     // optional
};

struct FlushResult {
  int64_t version = -1;  // the commit's version; -1 when there was nothing to commit
  size_t files = 0;
  uint64_t rows = 0;
  uint64_t bytes = 0;
};

// "part-<5-digit number>-<UUIDv7>.zstd.parquet": a data file's name.
std::string NewDataFileName(size_t file_number);

// "<zone>.<table>" -> "<zone>/<table>", checking both names.
Result<std::string> TablePrefix(std::string_view name);

class TableWriter {
 public:
  static Result<std::unique_ptr<TableWriter>> Open(ObjectStore* store, engine::Database* db,
                                                   TableWriterOptions options, Clock* clock);
  ~TableWriter();
  TableWriter(const TableWriter&) = delete;
  TableWriter& operator=(const TableWriter&) = delete;

  Status Add(std::span<const Cell> cells);
  bool ShouldFlush() const;
  // Writes the buffered rows as files and commits them with `txns`. With
  // kReplace the commit also removes every file the table had (an
  // overwrite: the table is then exactly these rows, possibly none); a
  // writer that commits first with new files makes it a Conflict.
  enum class FlushMode { kAppend, kReplace };
  Result<FlushResult> Flush(std::vector<TxnAction> txns, FlushMode mode = FlushMode::kAppend);
  // Drops the buffered rows and returns to the table's schema.
  void Discard();
  // Discard(), then reads the table's latest version (after another writer
  // committed, or a failed flush).
  Status Reload();

  uint64_t buffered_rows() const { return buffered_rows_; }
  uint64_t buffered_bytes() const { return buffered_bytes_; }
  const TableSchema& schema() const { return schema_; }
  std::shared_ptr<const TableSnapshot> snapshot() const { return snapshot_; }
  const DeltaLog& log() const { return log_; }
  const TableWriterOptions& options() const { return options_; }

 private:
  struct Buffer;
  struct PendingChange {
    bool add = false;  // else widen
    Column column;
  };

  TableWriter(ObjectStore* store, engine::Database* db, TableWriterOptions options,
              std::string prefix, Clock* clock);
  void MaybeCheckpoint();
  Status CreateOrLoad();
  void IndexColumns();
  static constexpr int kPartitionCell = -1;
  static constexpr int kUnknownCell = -2;
  // Which column each cell goes to; collects the schema changes a row needs.
  Status Resolve(std::span<const Cell> cells, std::vector<PendingChange>* changes);
  // True when the row has the last layout and every value fits its column
  // as it is: cell_columns_ is then right without looking names up.
  bool FitsLastLayout(std::span<const Cell> cells) const;
  Status ApplyChanges(const std::vector<PendingChange>& changes);
  Result<Buffer*> BufferFor(std::span<const Cell> cells);
  Status AppendRow(Buffer& buffer, std::span<const Cell> cells);
  // table_writer_flush.cpp
  Result<AddAction> WriteFile(Buffer& buffer, size_t file_number);
  DeltaCommit MakeCommit(std::vector<TxnAction> txns, std::vector<AddAction> adds, FlushMode mode) const;

  ObjectStore* store_;
  const TableWriterOptions options_;
  const std::string prefix_;
  Clock* clock_;
  DeltaLog log_;
  std::shared_ptr<const TableSnapshot> snapshot_;
  std::vector<PartitionField> fields_;
  std::unique_ptr<engine::Connection> connection_;
  // The table function <source_name_>() on connection_, reading the buffer
  // being flushed.
  std::unique_ptr<engine::RowSource> source_;
  std::string source_name_;

  TableSchema schema_;  // the table's plus the changes not yet committed
  bool schema_changed_ = false;
  std::vector<Column> data_columns_;                   // schema_ minus partition columns
  std::unordered_map<std::string, int> column_index_;  // lower-cased name -> data column, -1: partition
  // Per cell of the current row: its data column, kPartitionCell, or
  // kUnknownCell (a NULL in a column the table does not have).
  std::vector<int> cell_columns_;
  std::vector<const CellValue*> row_slots_;  // per data column of the current row
  // Values of the current row converted for their column (RFC 3339 text
  // into a timestamp column), per cell; only read when has_conversions_.
  std::vector<CellValue> converted_;
  bool has_conversions_ = false;
  // The names of the last row resolved the slow way: rows of one source
  // mostly repeat them, and then cell_columns_ holds as it is.
  std::vector<std::string> layout_names_;
  std::vector<PartitionValue> row_partition_;  // the current row's, reused
  Buffer* last_buffer_ = nullptr;               // the previous row's buffer

  std::map<std::string, std::unique_ptr<Buffer>> buffers_;  // by partition directory
  uint64_t buffered_rows_ = 0;
  uint64_t buffered_bytes_ = 0;
  int64_t oldest_row_micros_ = 0;

  Counter* rows_written_ = nullptr;
  Counter* files_written_ = nullptr;
  Counter* bytes_written_ = nullptr;
  Counter* commits_ = nullptr;
  Counter* commit_failures_ = nullptr;
  Histogram* flush_seconds_ = nullptr;
};

}  // namespace eventlake::lake
