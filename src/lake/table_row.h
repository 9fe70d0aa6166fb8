// A row as the table writer takes it: named, typed cells. Cells only view
// their strings (an event's attributes, a JSON parser's buffer): the writer
// copies what it keeps before Add returns.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

#include "lake/table_schema.h"

namespace eventlake::lake {

struct TimestampValue {
  int64_t micros = 0;  // since the epoch, UTC
};

// monostate is SQL NULL.
using CellValue =
    std::variant<std::monostate, bool, int64_t, double, std::string_view, TimestampValue>;

struct Cell {
  std::string_view name;  // a valid column name (table_schema.h)
  CellValue value;
};

// The column type a value needs; nullopt for NULL.
inline std::optional<ColumnType> TypeOfValue(const CellValue& value) {
  switch (value.index()) {
    case 1: return ColumnType::kBoolean;
    case 2: return ColumnType::kLong;
    case 3: return ColumnType::kDouble;
    case 4: return ColumnType::kString;
    case 5: return ColumnType::kTimestamp;
    default: return std::nullopt;
  }
}

}  // namespace eventlake::lake
