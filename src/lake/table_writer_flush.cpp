// TableWriter::Flush: buffers to Parquet files (through DuckDB's COPY),
// their Delta stats, and the one commit that makes them part of the table.
#include <chrono>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "core/id.h"
#include "lake/table_writer.h"
#include "lake/table_writer_buffer.h"

namespace eventlake::lake {
namespace {

constexpr size_t kStatsStringBytes = 32;

// The first `max` bytes of `s`, cut back to a UTF-8 character boundary.
std::string_view Utf8Prefix(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

std::string StatsTimestamp(int64_t micros, bool round_up) {
  int64_t ms = micros / 1000 - (micros % 1000 < 0 ? 1 : 0);
  if (round_up && micros % 1000 != 0) ++ms;
  const int64_t seconds = ms / 1000 - (ms % 1000 < 0 ? 1 : 0);
  const int64_t millis = ms - seconds * 1000;
  std::string text = FormatRfc3339(seconds * 1'000'000);  // "...:SS.000000Z"
  char frac[24];
  std::snprintf(frac, sizeof frac, ".%03lld", static_cast<long long>(millis));
  return text.substr(0, 19) + frac + "Z";
}

std::string FileName(size_t file_number) {
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "part-%05zu-", file_number);
  return prefix + NewEventId() + ".zstd.parquet";
}

}  // namespace

Result<std::string> TableWriter::FileStats(const Buffer& buffer, uint64_t rows) {
  std::string sql = "SELECT ";
  for (size_t i = 0; i < data_columns_.size(); ++i) {
    const Column& c = data_columns_[i];
    const std::string col = engine::SqlIdentifier(c.name);
    if (i > 0) sql += ", ";
    if (c.type == ColumnType::kTimestamp) {
      sql += "epoch_us(min(" + col + ")), epoch_us(max(" + col + "))";
    } else {
      sql += "min(" + col + "), max(" + col + ")";
    }
    sql += ", count(*) - count(" + col + ")";
  }
  nlohmann::ordered_json stats = {{"numRecords", rows}};
  if (data_columns_.empty()) return stats.dump();
  EL_ASSIGN_OR_RETURN(engine::QueryResult r, connection_->Query(sql + " FROM " + buffer.table));
  nlohmann::ordered_json min = nlohmann::ordered_json::object();
  nlohmann::ordered_json max = nlohmann::ordered_json::object();
  nlohmann::ordered_json nulls = nlohmann::ordered_json::object();
  for (size_t i = 0; i < data_columns_.size(); ++i) {
    const Column& c = data_columns_[i];
    const size_t at = i * 3;
    nulls[c.name] = r.Int64(at + 2, 0).value_or(0);
    if (r.IsNull(at, 0)) continue;  // no values in this file
    switch (c.type) {
      case ColumnType::kLong:
      case ColumnType::kInteger:
        min[c.name] = *r.Int64(at, 0);
        max[c.name] = *r.Int64(at + 1, 0);
        break;
      case ColumnType::kDouble: {
        const double lo = *r.Double(at, 0), hi = *r.Double(at + 1, 0);
        if (std::isfinite(lo) && std::isfinite(hi)) {
          min[c.name] = lo;
          max[c.name] = hi;
        }
        break;
      }
      case ColumnType::kTimestamp:
        min[c.name] = StatsTimestamp(*r.Int64(at, 0), false);
        max[c.name] = StatsTimestamp(*r.Int64(at + 1, 0), true);
        break;
      case ColumnType::kString: {
        const std::string lo = *r.String(at, 0), hi = *r.String(at + 1, 0);
        min[c.name] = std::string(Utf8Prefix(lo, kStatsStringBytes));
        if (hi.size() <= kStatsStringBytes) max[c.name] = hi;
        break;
      }
      case ColumnType::kDate:
        min[c.name] = *r.String(at, 0);
        max[c.name] = *r.String(at + 1, 0);
        break;
      case ColumnType::kBoolean:
        break;  // Delta writers leave booleans out of min/max
    }
  }
  stats["minValues"] = std::move(min);
  stats["maxValues"] = std::move(max);
  stats["nullCount"] = std::move(nulls);
  return stats.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Result<AddAction> TableWriter::WriteFile(Buffer& buffer, size_t file_number) {
  if (buffer.appender.has_value()) {
    EL_RETURN_IF_ERROR(buffer.appender->Close());
    buffer.appender.reset();
  }
  const std::string name = FileName(file_number);
  const std::string staged = store_->StagingDirectory() + "/" + name;
  EL_ASSIGN_OR_RETURN(std::string stats, FileStats(buffer, buffer.rows));
  std::string select = "SELECT * FROM " + buffer.table;
  if (data_columns_.empty()) select = "SELECT * EXCLUDE (_empty) FROM " + buffer.table;
  EL_RETURN_IF_ERROR(connection_->Execute(
      "COPY (" + select + ") TO " + engine::SqlString(staged) +
      " (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE " +
      std::to_string(options_.row_group_rows) + ")"));
  EL_RETURN_IF_ERROR(connection_->Execute("DROP TABLE " + buffer.table));
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

DeltaCommit TableWriter::MakeCommit(std::vector<TxnAction> txns,
                                    std::vector<AddAction> adds) const {
  const int64_t now_ms = clock_->NowMicros() / 1000;
  DeltaCommit commit;
  commit.info = CommitInfoAction{.timestamp = now_ms,
                                 .operation = "WRITE",
                                 .parameters = {{"mode", "Append"}},
                                 .blind_append = !schema_changed_};
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

Result<FlushResult> TableWriter::Flush(std::vector<TxnAction> txns) {
  FlushResult result;
  if (buffers_.empty() && txns.empty() && !schema_changed_) return result;
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
    auto next = log_.Commit(snapshot_, MakeCommit(std::move(txns), std::move(adds)));
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
  buffers_.clear();  // their tables were dropped by WriteFile
  last_buffer_ = nullptr;
  buffered_rows_ = 0;
  buffered_bytes_ = 0;
  snapshot_ = std::move(committed);
  schema_ = snapshot_->schema;
  schema_changed_ = false;
  IndexColumns();
  result.version = snapshot_->version;
  result.files = file_number;
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
