// TableWriter: opening the table, resolving rows against the schema,
// evolving it, and appending rows to per-partition buffers.
#include "lake/table_writer.h"

#include <algorithm>
#include <atomic>

#include "core/id.h"
#include "lake/table_writer_buffer.h"

namespace eventlake::lake {
namespace {

Status ValidateZoneOrTable(std::string_view what, std::string_view name) {
  if (name.empty() || name.size() > 63 || !(name[0] >= 'a' && name[0] <= 'z')) {
    return InvalidArgument(std::string(what) + " " + std::string(name) +
                           ": must match [a-z][a-z0-9_]{0,62}");
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return InvalidArgument(std::string(what) + " " + std::string(name) +
                             ": must match [a-z][a-z0-9_]{0,62}");
    }
  }
  return Status::Ok();
}

size_t ValueBytes(const CellValue& v) {
  if (const auto* s = std::get_if<std::string_view>(&v)) return s->size() + 4;
  return 8;
}

}  // namespace

Result<std::string> TablePrefix(std::string_view name) {
  const size_t dot = name.find('.');
  if (dot == std::string_view::npos) {
    return Err(InvalidArgument("table name " + std::string(name) + ": expected <zone>.<table>"));
  }
  const std::string_view zone = name.substr(0, dot);
  const std::string_view table = name.substr(dot + 1);
  if (zone != "raw" && zone != "curated" && zone != "analytics" && zone != "archive") {
    return Err(InvalidArgument("table name " + std::string(name) +
                               ": the zone must be raw, curated, analytics or archive"));
  }
  EL_RETURN_IF_ERROR(ValidateZoneOrTable("table", table));
  return std::string(zone) + "/" + std::string(table);
}

TableWriter::TableWriter(ObjectStore* store, engine::Database* db, TableWriterOptions options,
                         std::string prefix, Clock* clock)
    : store_(store),
      options_(std::move(options)),
      prefix_(std::move(prefix)),
      clock_(clock),
      log_(store, prefix_, db) {
  if (options_.metrics != nullptr) {
    const MetricLabels labels = {{"table", options_.name}};
    MetricsRegistry& m = *options_.metrics;
    rows_written_ = &m.GetCounter("eventlake_lake_rows_written_total",
                                  "Rows committed to the table.", labels);
    files_written_ = &m.GetCounter("eventlake_lake_files_written_total",
                                   "Parquet files committed to the table.", labels);
    bytes_written_ = &m.GetCounter("eventlake_lake_bytes_written_total",
                                   "Bytes of Parquet committed to the table.", labels);
    commits_ = &m.GetCounter("eventlake_lake_commits_total", "Commits to the table.", labels);
    commit_failures_ = &m.GetCounter("eventlake_lake_commit_failures_total",
                                     "Flushes that failed; their rows are loaded again.", labels);
    flush_seconds_ = &m.GetHistogram("eventlake_lake_flush_seconds",
                                     "Time to write and commit one flush.",
                                     {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}, labels);
  }
}

TableWriter::~TableWriter() { Discard(); }

Result<std::unique_ptr<TableWriter>> TableWriter::Open(ObjectStore* store, engine::Database* db,
                                                       TableWriterOptions options, Clock* clock) {
  EL_ASSIGN_OR_RETURN(std::string prefix, TablePrefix(options.name));
  EL_ASSIGN_OR_RETURN(std::vector<PartitionField> fields, ParsePartitionBy(options.partition_by));
  for (const Column& c : options.initial_columns) EL_RETURN_IF_ERROR(ValidateColumnName(c.name));
  auto writer = std::unique_ptr<TableWriter>(
      new TableWriter(store, db, std::move(options), std::move(prefix), clock));
  writer->fields_ = std::move(fields);
  EL_ASSIGN_OR_RETURN(writer->connection_, db->Connect());
  // Table functions live in the database's catalog: one name per writer.
  // DuckDB cannot drop one, so the entry outlives its writer; nothing calls
  // it but the writer's own flush (the lake's database runs no user SQL).
  static std::atomic<uint64_t> writers{0};
  writer->source_name_ = "eventlake_table_writer_" + std::to_string(writers++);
  EL_ASSIGN_OR_RETURN(writer->source_,
                      engine::RowSource::Register(*writer->connection_, writer->source_name_, {}));
  EL_RETURN_IF_ERROR(writer->CreateOrLoad());
  return writer;
}

Status TableWriter::CreateOrLoad() {
  for (int attempt = 0; attempt < 10; ++attempt) {
    EL_ASSIGN_OR_RETURN(snapshot_, log_.Load());
    if (snapshot_->exists()) {
      std::vector<std::string> wanted;
      for (const PartitionField& f : fields_) wanted.push_back(f.column);
      if (snapshot_->schema.partition_columns != wanted) {
        return FailedPrecondition("table " + options_.name + " is partitioned by [" +
                                  [&] {
                                    std::string s;
                                    for (const auto& c : snapshot_->schema.partition_columns) {
                                      s += (s.empty() ? "" : ", ") + c;
                                    }
                                    return s;
                                  }() +
                                  "], not as configured; repartitioning is not supported");
      }
      schema_ = snapshot_->schema;
      IndexColumns();
      return Status::Ok();
    }
    TableSchema schema;
    schema.columns = options_.initial_columns;
    for (const PartitionField& f : fields_) {
      if (schema.Find(f.column) != nullptr) {
        if (f.kind != PartitionField::Kind::kColumn) {
          return InvalidArgument("partition column " + f.column + " is also a data column");
        }
        schema.Find(f.column)->type = ColumnType::kString;
      } else {
        schema.columns.push_back({f.column, f.type});
      }
      schema.partition_columns.push_back(f.column);
    }
    // Partition columns last, as the format says.
    std::stable_partition(schema.columns.begin(), schema.columns.end(),
                          [&](const Column& c) { return !schema.IsPartitionColumn(c.name); });
    const int64_t now_ms = clock_->NowMicros() / 1000;
    DeltaCommit create;
    create.info = CommitInfoAction{.timestamp = now_ms,
                                   .operation = "CREATE TABLE",
                                   .parameters = {{"partitionBy", [&] {
                                                     std::string s = "[";
                                                     for (const auto& c : schema.partition_columns) {
                                                       s += (s.size() > 1 ? ",\"" : "\"") + c + "\"";
                                                     }
                                                     return s + "]";
                                                   }()}}};
    create.protocol = ProtocolAction{};
    create.metadata = MetadataAction{.id = NewEventId(),
                                     .name = options_.name,
                                     .schema_string = ToDeltaSchemaString(schema),
                                     .partition_columns = schema.partition_columns,
                                     .created_time = now_ms};
    auto created = log_.Commit(snapshot_, std::move(create));
    if (created.has_value()) {
      snapshot_ = *created;
      schema_ = snapshot_->schema;
      IndexColumns();
      return Status::Ok();
    }
    if (created.error().code() != StatusCode::kConflict) return Err(created.error());
    // Another process created it first: load theirs.
  }
  return Conflict("could not create or load table " + options_.name);
}

void TableWriter::IndexColumns() {
  data_columns_ = schema_.DataColumns();
  column_index_.clear();
  for (size_t i = 0; i < data_columns_.size(); ++i) {
    column_index_[ColumnKey(data_columns_[i].name)] = static_cast<int>(i);
  }
  for (const std::string& p : schema_.partition_columns) column_index_[ColumnKey(p)] = kPartitionCell;
  row_slots_.assign(data_columns_.size(), nullptr);
  layout_names_.clear();  // column indexes moved
}

bool TableWriter::FitsLastLayout(std::span<const Cell> cells) const {
  if (cells.size() != layout_names_.size() || cells.size() != cell_columns_.size()) return false;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (cells[i].name != layout_names_[i]) return false;
    const std::optional<ColumnType> type = TypeOfValue(cells[i].value);
    if (!type.has_value()) continue;
    const int column = cell_columns_[i];
    if (column == kPartitionCell) continue;
    if (column == kUnknownCell) return false;  // a value for a column to add
    const ColumnType have = data_columns_[static_cast<size_t>(column)].type;
    if (have != *type && !(have == ColumnType::kDouble && *type == ColumnType::kLong)) {
      return false;  // widening or a conversion: the slow path
    }
  }
  return true;
}

Status TableWriter::Resolve(std::span<const Cell> cells, std::vector<PendingChange>* changes) {
  has_conversions_ = false;
  if (FitsLastLayout(cells)) return Status::Ok();
  cell_columns_.assign(cells.size(), kUnknownCell);
  converted_.assign(cells.size(), CellValue{});
  bool converts = false;
  for (size_t i = 0; i < cells.size(); ++i) {
    const Cell& cell = cells[i];
    auto it = column_index_.find(ColumnKey(cell.name));
    const std::optional<ColumnType> type = TypeOfValue(cell.value);
    if (it == column_index_.end()) {
      if (!type.has_value()) continue;  // a NULL adds no column
      if (!options_.add_columns) {
        return InvalidArgument("column " + std::string(cell.name) + " is not in table " +
                               options_.name);
      }
      EL_RETURN_IF_ERROR(ValidateColumnName(cell.name));
      bool seen = false;
      for (const PendingChange& c : *changes) seen |= ColumnKey(c.column.name) == ColumnKey(cell.name);
      if (!seen) changes->push_back({.add = true, .column = {std::string(cell.name), *type}});
      continue;
    }
    cell_columns_[i] = it->second;
    if (it->second == kPartitionCell || !type.has_value()) continue;  // partition: values only
    const Column& column = data_columns_[static_cast<size_t>(it->second)];
    if (column.type == ColumnType::kTimestamp && *type == ColumnType::kString) {
      auto micros = ParseRfc3339(std::get<std::string_view>(cell.value));
      if (!micros.has_value()) {
        return InvalidArgument("column " + column.name + " of table " + options_.name +
                               " is a timestamp; the value is a string that is not an RFC 3339 "
                               "time");
      }
      converted_[i] = TimestampValue{*micros};
      converts = true;
      continue;
    }
    const std::optional<ColumnType> widened = WidenFor(column.type, *type);
    if (!widened.has_value()) {
      return InvalidArgument("column " + column.name + " of table " + options_.name + " is " +
                             std::string(ColumnTypeName(column.type)) + "; the value is " +
                             std::string(ColumnTypeName(*type)));
    }
    if (*widened != column.type) changes->push_back({.add = false, .column = {column.name, *widened}});
  }
  has_conversions_ = converts;
  if (changes->empty() && !converts) {
    layout_names_.assign(cells.size(), std::string());
    for (size_t i = 0; i < cells.size(); ++i) layout_names_[i] = cells[i].name;
  } else {
    layout_names_.clear();  // a row that converts is not a fast-path layout
  }
  return Status::Ok();
}

Status TableWriter::ApplyChanges(const std::vector<PendingChange>& changes) {
  for (const PendingChange& change : changes) {
    if (change.add) {
      schema_.columns.insert(schema_.columns.end() - static_cast<long>(schema_.partition_columns.size()),
                             change.column);
      for (auto& [dir, buffer] : buffers_) buffer->columns.AddColumn(change.column.type);
    } else {
      schema_.Find(change.column.name)->type = change.column.type;
      const int column = column_index_.at(ColumnKey(change.column.name));
      for (auto& [dir, buffer] : buffers_) {
        buffer->columns.Widen(static_cast<size_t>(column), change.column.type);
      }
    }
  }
  schema_changed_ = true;
  IndexColumns();
  return Status::Ok();
}

Result<TableWriter::Buffer*> TableWriter::BufferFor(std::span<const Cell> cells) {
  PartitionValuesInto(fields_, cells, &row_partition_);
  if (last_buffer_ != nullptr && last_buffer_->values == row_partition_) return last_buffer_;
  std::string dir = PartitionDirectory(row_partition_);
  auto it = buffers_.find(dir);
  if (it != buffers_.end()) return last_buffer_ = it->second.get();
  auto buffer = std::make_unique<Buffer>(dir, row_partition_, data_columns_);
  last_buffer_ = buffer.get();
  buffers_.emplace(std::move(dir), std::move(buffer));
  return last_buffer_;
}

Status TableWriter::AppendRow(Buffer& buffer, std::span<const Cell> cells) {
  std::fill(row_slots_.begin(), row_slots_.end(), nullptr);
  for (size_t i = 0; i < cells.size(); ++i) {
    if (cell_columns_[i] < 0) continue;
    const bool converted = has_conversions_ && converted_[i].index() != 0;
    row_slots_[static_cast<size_t>(cell_columns_[i])] = converted ? &converted_[i] : &cells[i].value;
  }
  return buffer.columns.Append(row_slots_);
}

Status TableWriter::Add(std::span<const Cell> cells) {
  std::vector<PendingChange> changes;
  EL_RETURN_IF_ERROR(Resolve(cells, &changes));
  if (!changes.empty()) {
    EL_RETURN_IF_ERROR(ApplyChanges(changes));
    EL_RETURN_IF_ERROR(Resolve(cells, &changes));  // indexes moved; no new changes now
  }
  EL_ASSIGN_OR_RETURN(Buffer * buffer, BufferFor(cells));
  EL_RETURN_IF_ERROR(AppendRow(*buffer, cells));
  ++buffer->rows;
  if (buffered_rows_ == 0) oldest_row_micros_ = clock_->NowMicros();
  ++buffered_rows_;
  for (const Cell& c : cells) buffered_bytes_ += ValueBytes(c.value);
  return Status::Ok();
}

bool TableWriter::ShouldFlush() const {
  if (buffered_rows_ == 0) return false;
  return buffered_rows_ >= options_.max_rows || buffered_bytes_ >= options_.max_bytes ||
         clock_->NowMicros() - oldest_row_micros_ >=
             std::chrono::duration_cast<std::chrono::microseconds>(options_.max_age).count();
}

void TableWriter::Discard() {
  buffers_.clear();
  last_buffer_ = nullptr;
  buffered_rows_ = 0;
  buffered_bytes_ = 0;
  if (snapshot_ != nullptr && schema_changed_) {
    schema_ = snapshot_->schema;
    schema_changed_ = false;
    IndexColumns();
  }
}

Status TableWriter::Reload() {
  Discard();
  EL_ASSIGN_OR_RETURN(auto latest, log_.Refresh(snapshot_));
  snapshot_ = std::move(latest);
  schema_ = snapshot_->schema;
  schema_changed_ = false;
  IndexColumns();
  return Status::Ok();
}

}  // namespace eventlake::lake
