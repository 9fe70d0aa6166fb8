// Partition expressions and the values they give a row.
#include "lake/partition_spec.h"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace eventlake::lake {
namespace {

const Cell* FindCell(std::span<const Cell> cells, std::string_view name) {
  for (const Cell& c : cells) {
    if (ColumnNamesEqual(c.name, name)) return &c;
  }
  return nullptr;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::string ValueText(const CellValue& v) {
  switch (v.index()) {
    case 1: return std::get<bool>(v) ? "true" : "false";
    case 2: return std::to_string(std::get<int64_t>(v));
    case 3: {
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, std::get<double>(v));
      return std::string(buf, end);
    }
    case 4: return std::string(std::get<std::string_view>(v));
    case 5: return std::to_string(std::get<TimestampValue>(v).micros);
    default: return "";
  }
}

}  // namespace

Result<std::vector<PartitionField>> ParsePartitionBy(const std::vector<std::string>& expressions) {
  std::vector<PartitionField> fields;
  for (const std::string& raw : expressions) {
    PartitionField field;
    std::string_view e = raw;
    const size_t open = e.find('(');
    if (open != std::string_view::npos) {
      if (!e.ends_with(")")) return Err(InvalidArgument("partition_by " + raw + ": missing ')'"));
      const std::string_view function = e.substr(0, open);
      field.source = std::string(e.substr(open + 1, e.size() - open - 2));
      if (function == "day") {
        field.kind = PartitionField::Kind::kDay;
        field.column = "dt";
        field.type = ColumnType::kDate;
      } else if (function == "hour") {
        field.kind = PartitionField::Kind::kHour;
        field.column = "hour";
        field.type = ColumnType::kInteger;
      } else {
        return Err(InvalidArgument("partition_by " + raw +
                                   ": unknown function (day(col), hour(col) or a column)"));
      }
    } else {
      field.source = raw;
      field.column = raw;
    }
    Status s = ValidateColumnName(field.source);
    if (!s.ok()) return Err(s.WithContext("partition_by " + raw));
    for (const PartitionField& f : fields) {
      if (ColumnNamesEqual(f.column, field.column)) {
        return Err(InvalidArgument("partition_by: column " + field.column + " given twice"));
      }
    }
    fields.push_back(std::move(field));
  }
  return fields;
}

std::vector<PartitionValue> PartitionValuesOf(std::span<const PartitionField> fields,
                                              std::span<const Cell> cells) {
  std::vector<PartitionValue> out;
  PartitionValuesInto(fields, cells, &out);
  return out;
}

void PartitionValuesInto(std::span<const PartitionField> fields, std::span<const Cell> cells,
                         std::vector<PartitionValue>* out) {
  out->resize(fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    const PartitionField& f = fields[i];
    PartitionValue& slot = (*out)[i];
    if (slot.first != f.column) slot.first = f.column;
    const Cell* cell = FindCell(cells, f.source);
    if (f.kind == PartitionField::Kind::kColumn) {
      if (cell != nullptr && cell->value.index() != 0) {
        slot.second = ValueText(cell->value);
      } else {
        slot.second.reset();
      }
    } else if (cell != nullptr && std::holds_alternative<TimestampValue>(cell->value)) {
      const int64_t micros = std::get<TimestampValue>(cell->value).micros;
      if (f.kind == PartitionField::Kind::kDay) {
        slot.second = DateOfMicros(micros);
      } else {
        const int64_t hours = FloorDiv(micros, int64_t{3'600'000'000});
        slot.second = std::to_string(((hours % 24) + 24) % 24);
      }
    } else {
      slot.second.reset();
    }
  }
}

std::string DateOfMicros(int64_t micros) {
  const int64_t days = FloorDiv(micros, int64_t{86'400'000'000});
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::optional<int32_t> DaysOfDate(std::string_view date) {
  int y = 0;
  unsigned m = 0, d = 0;
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return std::nullopt;
  auto num = [&](size_t at, size_t len, auto& out) {
    auto [p, ec] = std::from_chars(date.data() + at, date.data() + at + len, out);
    return ec == std::errc() && p == date.data() + at + len;
  };
  if (!num(0, 4, y) || !num(5, 2, m) || !num(8, 2, d)) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m},
                                        std::chrono::day{d}};
  if (!ymd.ok()) return std::nullopt;
  return static_cast<int32_t>(std::chrono::sys_days{ymd}.time_since_epoch().count());
}

}  // namespace eventlake::lake
