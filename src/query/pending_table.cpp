// LoadPendingTable: pending rows appended, typed, into a temporary table.
#include "query/pending_table.h"

#include <algorithm>
#include <unordered_map>

#include "core/cloud_event.h"
#include "query/table_view.h"

namespace eventlake::query {
namespace {

enum class Fit { kValue, kNull, kRefused };

// How `value` goes into a column of `type`: as it is (converted), as NULL
// (the column must widen first), or not at all (the loader refuses it).
Fit Classify(lake::ColumnType type, const lake::CellValue& value) {
  const std::optional<lake::ColumnType> have = lake::TypeOfValue(value);
  if (!have.has_value()) return Fit::kNull;
  if (type == lake::ColumnType::kTimestamp && *have == lake::ColumnType::kString) {
    return ParseRfc3339(std::get<std::string_view>(value)).has_value() ? Fit::kValue : Fit::kRefused;
  }
  if (type == lake::ColumnType::kDate) return Fit::kRefused;
  const std::optional<lake::ColumnType> widened = lake::WidenFor(type, *have);
  if (!widened.has_value()) return Fit::kRefused;
  return *widened == type ? Fit::kValue : Fit::kNull;
}

Status AppendValue(engine::Appender& a, lake::ColumnType type, const lake::CellValue& v) {
  switch (type) {
    case lake::ColumnType::kString: return a.String(std::get<std::string_view>(v));
    case lake::ColumnType::kBoolean: return a.Bool(std::get<bool>(v));
    case lake::ColumnType::kLong: return a.Int64(std::get<int64_t>(v));
    case lake::ColumnType::kInteger: return a.Int32(static_cast<int32_t>(std::get<int64_t>(v)));
    case lake::ColumnType::kDouble:
      return a.Double(v.index() == 2 ? static_cast<double>(std::get<int64_t>(v)) : std::get<double>(v));
    case lake::ColumnType::kTimestamp:
      if (v.index() == 4) return a.TimestampMicros(*ParseRfc3339(std::get<std::string_view>(v)));
      return a.TimestampMicros(std::get<lake::TimestampValue>(v).micros);
    case lake::ColumnType::kDate: break;
  }
  return Internal("no pending value of this type");
}

// The snapshot's schema grown as the writer will grow it for the pending
// rows: new members become nullable columns, numbers widen. `rows`: how
// many are pending.
Result<lake::TableSchema> EvolvedSchema(const lake::Lake& lake, const std::string& table,
                                        const lake::TableSnapshot& snapshot, uint64_t max_rows,
                                        uint64_t* rows) {
  lake::TableSchema schema = snapshot.schema;
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < schema.columns.size(); ++i) index[lake::ColumnKey(schema.columns[i].name)] = i;
  auto read = lake.ForEachPendingRow(
      table, snapshot, max_rows,
      [&](std::span<const lake::Cell> cells, std::span<const lake::PartitionValue>) -> Status {
        ++*rows;
        for (const lake::Cell& cell : cells) {
          const std::optional<lake::ColumnType> type = lake::TypeOfValue(cell.value);
          if (!type.has_value()) continue;
          auto it = index.find(lake::ColumnKey(cell.name));
          if (it == index.end()) {
            if (!lake::ValidateColumnName(cell.name).ok()) continue;
            index[lake::ColumnKey(cell.name)] = schema.columns.size();
            schema.columns.push_back({std::string(cell.name), *type});
            continue;
          }
          lake::Column& column = schema.columns[it->second];
          if (schema.IsPartitionColumn(column.name)) continue;
          if (auto widened = lake::WidenFor(column.type, *type)) column.type = *widened;
        }
        return Status::Ok();
      });
  if (!read.has_value()) return Err(read.error());
  // New columns go where the writer puts them when it commits them: ahead
  // of the partition columns at the end (a `SELECT *` must not list them
  // in another order once the rows are committed).
  const size_t before = snapshot.schema.columns.size();
  const size_t at = before - std::min(before, snapshot.schema.partition_columns.size());
  std::rotate(schema.columns.begin() + static_cast<long>(at), schema.columns.begin() + static_cast<long>(before),
              schema.columns.end());
  return schema;
}

}  // namespace

Result<PendingTable> LoadPendingTable(engine::Connection& connection, const lake::Lake& lake,
                                      const std::string& table,
                                      const lake::TableSnapshot& snapshot, const std::string& name,
                                      uint64_t max_rows) {
  uint64_t pending = 0;
  EL_ASSIGN_OR_RETURN(lake::TableSchema schema, EvolvedSchema(lake, table, snapshot, max_rows, &pending));
  if (pending == 0) return PendingTable{};
  EL_RETURN_IF_ERROR(connection.Execute(PendingTableDdl(schema, name)));
  std::unordered_map<std::string, size_t> index;  // column key -> position
  for (size_t i = 0; i < schema.columns.size(); ++i) index[lake::ColumnKey(schema.columns[i].name)] = i;
  std::vector<const lake::CellValue*> slots(schema.columns.size());
  EL_ASSIGN_OR_RETURN(engine::Appender appender, connection.AppendTo(name));
  PendingTable out;
  auto read = lake.ForEachPendingRow(
      table, snapshot, max_rows,
      [&](std::span<const lake::Cell> cells, std::span<const lake::PartitionValue> partitions) -> Status {
        std::fill(slots.begin(), slots.end(), nullptr);
        for (const lake::Cell& cell : cells) {
          auto it = index.find(lake::ColumnKey(cell.name));
          if (it == index.end() || schema.IsPartitionColumn(schema.columns[it->second].name)) continue;
          switch (Classify(schema.columns[it->second].type, cell.value)) {
            case Fit::kRefused: return Status::Ok();  // the loader dead-letters it
            case Fit::kNull: break;
            case Fit::kValue: slots[it->second] = &cell.value; break;
          }
        }
        for (size_t i = 0; i < schema.columns.size(); ++i) {
          const lake::Column& c = schema.columns[i];
          if (schema.IsPartitionColumn(c.name)) {
            const lake::PartitionValue* p = nullptr;
            for (const lake::PartitionValue& v : partitions) {
              if (lake::ColumnNamesEqual(v.first, c.name)) p = &v;
            }
            EL_RETURN_IF_ERROR(p != nullptr && p->second.has_value() ? appender.String(*p->second)
                                                                      : appender.Null());
          } else if (slots[i] == nullptr) {
            EL_RETURN_IF_ERROR(appender.Null());
          } else {
            EL_RETURN_IF_ERROR(AppendValue(appender, c.type, *slots[i]));
          }
        }
        ++out.rows;
        return appender.EndRow();
      });
  if (!read.has_value()) return Err(read.error());
  out.truncated = read->truncated;
  out.select = PendingSelect(schema, name);
  for (const lake::Column& c : schema.columns) out.columns += (out.columns.empty() ? "" : ", ") + engine::SqlIdentifier(c.name);
  EL_RETURN_IF_ERROR(appender.Close());
  return out;
}

}  // namespace eventlake::query
