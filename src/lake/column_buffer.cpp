// ColumnBuffer: typed vectors per column, and the fill that writes a range
// of them into a DuckDB chunk.
#include "lake/column_buffer.h"

namespace eventlake::lake {

engine::SourceType SourceTypeOf(ColumnType type) {
  switch (type) {
    case ColumnType::kString:
      return engine::SourceType::kVarchar;
    case ColumnType::kLong:
      return engine::SourceType::kBigint;
    case ColumnType::kDouble:
      return engine::SourceType::kDouble;
    case ColumnType::kBoolean:
      return engine::SourceType::kBoolean;
    case ColumnType::kTimestamp:
      return engine::SourceType::kTimestampTz;
    case ColumnType::kDate:
      return engine::SourceType::kDate;
    case ColumnType::kInteger:
      return engine::SourceType::kInteger;
  }
  return engine::SourceType::kVarchar;
}

ColumnBuffer::ColumnBuffer(std::span<const Column> columns) {
  for (const Column& c : columns) AddColumn(c.type);
}

void ColumnBuffer::AddColumn(ColumnType type) {
  Storage& column = columns_.emplace_back();
  column.type = type;
  for (size_t r = 0; r < rows_; ++r) AppendNull(column);
}

void ColumnBuffer::Widen(size_t column, ColumnType type) {
  Storage& c = columns_[column];
  if (type == ColumnType::kDouble && c.type != ColumnType::kDouble) {
    c.doubles.assign(c.integers.begin(), c.integers.end());
    c.integers = {};
  }
  c.type = type;
}

void ColumnBuffer::AppendNull(Storage& column) {
  column.valid.push_back(0);
  if (column.type == ColumnType::kString) {
    column.ends.push_back(column.bytes.size());
  } else if (column.type == ColumnType::kDouble) {
    column.doubles.push_back(0);
  } else {
    column.integers.push_back(0);
  }
}

Status ColumnBuffer::Append(std::span<const CellValue* const> row) {
  if (row.size() != columns_.size()) {
    return Internal("a row of " + std::to_string(row.size()) + " values for " +
                    std::to_string(columns_.size()) + " columns");
  }
  // Checked before anything is stored, so that a refused row leaves no trace.
  for (size_t c = 0; c < row.size(); ++c) {
    const CellValue* v = row[c];
    if (v == nullptr || v->index() == 0) continue;
    const ColumnType type = columns_[c].type;
    const bool fits = type == ColumnType::kString      ? v->index() == 4
                      : type == ColumnType::kBoolean   ? v->index() == 1
                      : type == ColumnType::kTimestamp ? v->index() == 5
                      : type == ColumnType::kDouble    ? v->index() == 2 || v->index() == 3
                      : type == ColumnType::kDate
                          ? false  // dates are partition values, never cells
                          : v->index() == 2;
    if (!fits) return Internal("a value that does not fit its column's type");
  }
  for (size_t c = 0; c < row.size(); ++c) {
    Storage& column = columns_[c];
    const CellValue* v = row[c];
    if (v == nullptr || v->index() == 0) {
      AppendNull(column);
      continue;
    }
    column.valid.push_back(1);
    switch (column.type) {
      case ColumnType::kString: {
        const std::string_view s = std::get<std::string_view>(*v);
        column.bytes.append(s);
        column.ends.push_back(column.bytes.size());
        break;
      }
      case ColumnType::kDouble:
        column.doubles.push_back(v->index() == 2 ? static_cast<double>(std::get<int64_t>(*v))
                                                 : std::get<double>(*v));
        break;
      case ColumnType::kBoolean:
        column.integers.push_back(std::get<bool>(*v) ? 1 : 0);
        break;
      case ColumnType::kTimestamp:
        column.integers.push_back(std::get<TimestampValue>(*v).micros);
        break;
      case ColumnType::kLong:
      case ColumnType::kInteger:
      case ColumnType::kDate:
        column.integers.push_back(std::get<int64_t>(*v));
        break;
    }
  }
  ++rows_;
  return Status::Ok();
}

namespace {

// Calls write(chunk row, buffer row) for the valid rows of [first, first +
// count), Null for the others: the type's switch stays out of the loop.
template <typename Write>
void FillRows(const std::vector<uint8_t>& valid, size_t first, size_t count,
              engine::ColumnWriter& out, Write write) {
  for (size_t r = 0; r < count; ++r) {
    if (valid[first + r] == 0) {
      out.Null(r);
    } else {
      write(r, first + r);
    }
  }
}

}  // namespace

void ColumnBuffer::Fill(size_t first, size_t count, engine::RowWriter& writer) const {
  for (size_t c = 0; c < columns_.size(); ++c) {
    const Storage& column = columns_[c];
    engine::ColumnWriter out = writer.Column(c);
    switch (column.type) {
      case ColumnType::kString:
        FillRows(column.valid, first, count, out, [&](size_t r, size_t at) {
          const uint64_t begin = at == 0 ? 0 : column.ends[at - 1];
          // The buffer outlives the statements that read it (the flush's).
          out.StringView(r, std::string_view(column.bytes).substr(begin, column.ends[at] - begin));
        });
        break;
      case ColumnType::kDouble:
        FillRows(column.valid, first, count, out,
                 [&](size_t r, size_t at) { out.Double(r, column.doubles[at]); });
        break;
      case ColumnType::kBoolean:
        FillRows(column.valid, first, count, out,
                 [&](size_t r, size_t at) { out.Bool(r, column.integers[at] != 0); });
        break;
      case ColumnType::kTimestamp:
      case ColumnType::kLong:
        FillRows(column.valid, first, count, out,
                 [&](size_t r, size_t at) { out.Int64(r, column.integers[at]); });
        break;
      case ColumnType::kInteger:
      case ColumnType::kDate:
        FillRows(column.valid, first, count, out, [&](size_t r, size_t at) {
          out.Int32(r, static_cast<int32_t>(column.integers[at]));
        });
        break;
    }
  }
}

}  // namespace eventlake::lake
