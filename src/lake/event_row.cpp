// CloudEvents to row cells, with simdjson over the JSON data.
#include "lake/event_row.h"

#include <algorithm>

namespace eventlake::lake {
namespace {

constexpr std::string_view kAttributeColumns[] = {"id", "source", "type", "time", "subject"};

bool IsJsonContentType(const std::optional<std::string>& type) {
  if (!type.has_value()) return true;  // CloudEvents: JSON data without a type is JSON
  std::string t = type->substr(0, type->find(';'));
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  while (!t.empty() && t.back() == ' ') t.pop_back();
  return t == "application/json" || t == "text/json" || t.ends_with("+json");
}

bool NeedsNewName(std::string_view name) {
  if (name.empty() || name.size() > 128 || std::isdigit(static_cast<unsigned char>(name[0]))) {
    return true;
  }
  for (unsigned char c : name) {
    if (!(std::isalnum(c) || c == '_') || c >= 0x80) return true;
  }
  return false;
}

bool IsAttributeColumn(std::string_view name) {
  for (std::string_view a : kAttributeColumns) {
    if (a.size() == name.size() &&
        std::equal(a.begin(), a.end(), name.begin(), [](char x, char y) {
          return x == std::tolower(static_cast<unsigned char>(y));
        })) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<Column> EventAttributeColumns() {
  return {{"id", ColumnType::kString},
          {"source", ColumnType::kString},
          {"type", ColumnType::kString},
          {"time", ColumnType::kTimestamp},
          {"subject", ColumnType::kString}};
}

std::string_view EventRowEncoder::Keep(std::string text) {
  owned_.push_back(std::move(text));
  return owned_.back();
}

std::string_view EventRowEncoder::ColumnNameFor(std::string_view member) {
  std::string_view name = member;
  if (NeedsNewName(name)) name = Keep(SanitizeColumnName(name));
  if (IsAttributeColumn(name)) name = Keep("data_" + std::string(name));
  return name;
}

Result<std::span<const Cell>> EventRowEncoder::Encode(const CloudEvent& event,
                                                      TimestampMicros fallback_time) {
  cells_.clear();
  owned_.clear();
  cells_.push_back({"id", std::string_view(event.id)});
  cells_.push_back({"source", std::string_view(event.source)});
  cells_.push_back({"type", std::string_view(event.type)});
  cells_.push_back({"time", TimestampValue{event.time.value_or(fallback_time)}});
  cells_.push_back({"subject", event.subject.has_value() ? CellValue{std::string_view(*event.subject)}
                                                         : CellValue{}});
  if (event.data.empty() || event.data_is_binary) return std::span<const Cell>(cells_);
  if (!IsJsonContentType(event.data_content_type)) {
    cells_.push_back({"data", std::string_view(event.data)});
    return std::span<const Cell>(cells_);
  }
  simdjson::dom::element root;
  if (auto error = parser_.parse(event.data).get(root); error) {
    return Err(InvalidArgument("event " + event.id + ": data is not JSON: " +
                               simdjson::error_message(error)));
  }
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    cells_.push_back({"data", Keep(simdjson::minify(root))});
    return std::span<const Cell>(cells_);
  }
  for (auto [key, value] : object) {
    const std::string_view name = ColumnNameFor(key);
    switch (value.type()) {
      case simdjson::dom::element_type::BOOL:
        cells_.push_back({name, bool(value.get_bool())});
        break;
      case simdjson::dom::element_type::INT64:
        cells_.push_back({name, int64_t(value.get_int64())});
        break;
      case simdjson::dom::element_type::UINT64:
        cells_.push_back({name, static_cast<double>(uint64_t(value.get_uint64()))});
        break;
      case simdjson::dom::element_type::DOUBLE:
        cells_.push_back({name, double(value.get_double())});
        break;
      case simdjson::dom::element_type::STRING:
        cells_.push_back({name, std::string_view(value.get_string())});
        break;
      case simdjson::dom::element_type::NULL_VALUE:
        cells_.push_back({name, std::monostate{}});
        break;
      default:  // an object or an array: its JSON text
        cells_.push_back({name, Keep(simdjson::minify(value))});
        break;
    }
  }
  return std::span<const Cell>(cells_);
}

}  // namespace eventlake::lake
