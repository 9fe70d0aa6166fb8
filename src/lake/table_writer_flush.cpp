// TableWriter::Flush: buffers to Parquet files (through DuckDB's COPY),
// their Delta stats, and the one commit that makes them part of the table.
#include <chrono>
#include <cstdio>

#include "core/id.h"
#include "core/logging.h"
#include "lake/column_buffer.h"
#include "lake/delta_checkpoint.h"
#include "lake/file_stats.h"
#include "lake/table_writer.h"
#include "lake/table_writer_buffer.h"

namespace eventlake::lake {
std::string NewDataFileName(size_t file_number) {
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "part-%05zu-", file_number);
  return prefix + NewEventId() + ".zstd.parquet";
}

Result<AddAction> TableWriter::WriteFile(Buffer& buffer, size_t file_number) {
  const std::string name = NewDataFileName(file_number);
  const std::string staged = store_->StagingDirectory() + "/" + name;
  // The buffer as the table function source_name_(): its columns, or one
  // NULL column when the table has none (a relation needs a column).
  std::vector<engine::SourceColumn> columns;
  for (const Column& c : data_columns_) columns.push_back({c.name, SourceTypeOf(c.type)});
  const bool no_columns = columns.empty();
  if (no_columns) columns.push_back({"_empty", engine::SourceType::kBoolean});
  source_->SetColumns(std::move(columns));
  source_->SetRows(buffer.rows,
                   [&buffer, no_columns](size_t first, size_t rows, engine::RowWriter& writer) {
                     if (no_columns) {
                       engine::ColumnWriter empty = writer.Column(0);
                       for (size_t r = 0; r < rows; ++r) empty.Null(r);
                       return;
                     }
                     buffer.columns.Fill(first, rows, writer);
                   });
  const std::string relation = source_name_ + "()";
  auto written = [&]() -> Result<std::string> {
    EL_ASSIGN_OR_RETURN(std::string stats,
                        ComputeFileStats(*connection_, relation, data_columns_, buffer.rows));
    const std::string select =
        no_columns ? "SELECT * EXCLUDE (_empty) FROM " + relation : "SELECT * FROM " + relation;
    EL_RETURN_IF_ERROR(connection_->Execute("COPY (" + select + ") TO " +
                                            engine::SqlString(staged) +
                                            " (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE " +
                                            std::to_string(options_.row_group_rows) + ")"));
    return stats;
  }();
  source_->SetRows(0, {});  // the buffer goes away after the flush
  EL_ASSIGN_OR_RETURN(std::string stats, std::move(written));
  const std::string path = buffer.directory.empty() ? name : buffer.directory + "/" + name;
  EL_RETURN_IF_ERROR(store_->PutFile(prefix_ + "/" + path, staged));
  EL_ASSIGN_OR_RETURN(ObjectInfo info, store_->Head(prefix_ + "/" + path));
  return AddAction{.path = path,
                   .partition_values = buffer.values,
                   .size = static_cast<int64_t>(info.size),
                   .modification_time = info.modified_millis,
                   .data_change = true,
                   .stats = std::move(stats)};
}

DeltaCommit TableWriter::MakeCommit(std::vector<TxnAction> txns, std::vector<AddAction> adds,
                                    FlushMode mode) const {
  const int64_t now_ms = clock_->NowMicros() / 1000;
  const bool replace = mode == FlushMode::kReplace;
  DeltaCommit commit;
  commit.info = CommitInfoAction{.timestamp = now_ms,
                                 .operation = "WRITE",
                                 .parameters = {{"mode", replace ? "Overwrite" : "Append"}},
                                 .blind_append = !schema_changed_ && !replace};
  if (replace) {
    for (const auto& [path, file] : snapshot_->files) {
      commit.removes.push_back({.path = path,
                                .deletion_timestamp = now_ms,
                                .data_change = true,
                                .partition_values = file.partition_values,
                                .size = file.size});
    }
  }
  if (schema_changed_) {
    MetadataAction metadata = snapshot_->metadata;
    metadata.schema_string = ToDeltaSchemaString(schema_);
    commit.metadata = std::move(metadata);
  }
  for (TxnAction& t : txns) {
    if (t.last_updated == 0) t.last_updated = now_ms;
  }
  commit.txns = std::move(txns);
  commit.adds = std::move(adds);
  return commit;
}

void TableWriter::MaybeCheckpoint() {
  const uint32_t interval = options_.checkpoint_interval;
  if (interval == 0 || snapshot_->version <= 0 || snapshot_->version % interval != 0) return;
  Status s = WriteCheckpoint(store_, connection_.get(), prefix_, *snapshot_);
  if (!s.ok()) {
    LogWarn("lake", "checkpoint failed; readers replay the commits meanwhile",
            {{"table", options_.name}, {"version", snapshot_->version}, {"error", s.ToString()}});
  }
}

Result<FlushResult> TableWriter::Flush(std::vector<TxnAction> txns, FlushMode mode) {
  FlushResult result;
  if (buffers_.empty() && txns.empty() && !schema_changed_ && mode == FlushMode::kAppend) return result;
  const auto started = std::chrono::steady_clock::now();
  std::vector<AddAction> adds;
  Status failed;
  size_t file_number = 0;
  for (auto& [dir, buffer] : buffers_) {
    auto add = WriteFile(*buffer, file_number++);
    if (!add.has_value()) {
      failed = add.error();
      break;
    }
    result.rows += buffer->rows;
    result.bytes += static_cast<uint64_t>(add->size);
    adds.push_back(std::move(*add));
  }
  std::shared_ptr<const TableSnapshot> committed;
  if (failed.ok()) {
    auto next = log_.Commit(snapshot_, MakeCommit(std::move(txns), std::move(adds), mode));
    if (next.has_value()) {
      committed = std::move(*next);
    } else {
      failed = next.error();
    }
  }
  if (!failed.ok()) {
    if (commit_failures_ != nullptr) commit_failures_->Increment();
    Discard();
    return Err(failed.WithContext("flushing table " + options_.name));
  }
  buffers_.clear();
  last_buffer_ = nullptr;
  buffered_rows_ = 0;
  buffered_bytes_ = 0;
  snapshot_ = std::move(committed);
  schema_ = snapshot_->schema;
  schema_changed_ = false;
  IndexColumns();
  result.version = snapshot_->version;
  result.files = file_number;
  MaybeCheckpoint();
  if (rows_written_ != nullptr) {
    rows_written_->Increment(result.rows);
    files_written_->Increment(result.files);
    bytes_written_->Increment(result.bytes);
    commits_->Increment();
    flush_seconds_->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  return result;
}

}  // namespace eventlake::lake
