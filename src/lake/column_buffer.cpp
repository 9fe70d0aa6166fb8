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

void ColumnBuffer::Truncate(Storage& column, size_t rows) {
  if (column.valid.size() <= rows) return;
  column.valid.resize(rows);
  if (column.type == ColumnType::kString) {
    column.ends.resize(rows);
    column.bytes.resize(rows == 0 ? 0 : column.ends.back());
  } else if (column.type == ColumnType::kDouble) {
    column.doubles.resize(rows);
  } else {
    column.integers.resize(rows);
  }
}

Status ColumnBuffer::Append(std::span<const CellValue* const> row) {
  if (row.size() != columns_.size()) {
    return Internal("a row of " + std::to_string(row.size()) + " values for " +
                    std::to_string(columns_.size()) + " columns");
  }
  for (size_t c = 0; c < row.size(); ++c) {
    Storage& column = columns_[c];
    const CellValue* v = row[c];
    if (v == nullptr || v->index() == 0) {
      AppendNull(column);
      continue;
    }
    bool fits = true;
    switch (column.type) {
      case ColumnType::kString:
        if ((fits = v->index() == 4)) {
          column.bytes.append(std::get<std::string_view>(*v));
          column.ends.push_back(column.bytes.size());
        }
        break;
      case ColumnType::kDouble:
        if ((fits = v->index() == 2 || v->index() == 3)) {
          column.doubles.push_back(v->index() == 2 ? static_cast<double>(std::get<int64_t>(*v))
                                                   : std::get<double>(*v));
        }
        break;
      case ColumnType::kBoolean:
        if ((fits = v->index() == 1)) column.integers.push_back(std::get<bool>(*v) ? 1 : 0);
        break;
      case ColumnType::kTimestamp:
        if ((fits = v->index() == 5))
          column.integers.push_back(std::get<TimestampValue>(*v).micros);
        break;
      case ColumnType::kLong:
      case ColumnType::kInteger:
        if ((fits = v->index() == 2)) column.integers.push_back(std::get<int64_t>(*v));
        break;
      case ColumnType::kDate:
        fits = false;
        break;  // dates are partition values, never cells
    }
    if (!fits) {  // the columns stored so far take the row back: it leaves no trace
      for (size_t done = 0; done < c; ++done) Truncate(columns_[done], rows_);
      return Internal("a value that does not fit its column's type");
    }
    column.valid.push_back(1);
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
