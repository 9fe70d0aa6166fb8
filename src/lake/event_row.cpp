// CloudEvents to row cells, with simdjson over the JSON data.
#include "lake/event_row.h"


namespace eventlake::lake {
namespace {

constexpr std::string_view kAttributeColumns[] = {"id", "source", "type", "time", "subject"};

bool IsAsciiAlnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool EqualsAsciiLower(std::string_view lower, std::string_view text) {
  if (lower.size() != text.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (lower[i] != AsciiLower(text[i])) return false;
  }
  return true;
}

bool EndsWithAsciiLower(std::string_view text, std::string_view lower_suffix) {
  return text.size() >= lower_suffix.size() &&
         EqualsAsciiLower(lower_suffix, text.substr(text.size() - lower_suffix.size()));
}

// Per row, so without allocating: "application/json", "text/json" or
// "*/*+json", parameters and case ignored.
bool IsJsonContentType(const std::optional<std::string>& type) {
  if (!type.has_value()) return true;  // CloudEvents: JSON data without a type is JSON
  std::string_view t = *type;
  t = t.substr(0, t.find(';'));
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  return EqualsAsciiLower("application/json", t) || EqualsAsciiLower("text/json", t) ||
         EndsWithAsciiLower(t, "+json");
}

bool NeedsNewName(std::string_view name) {
  if (name.empty() || name.size() > 128 || (name[0] >= '0' && name[0] <= '9')) return true;
  for (unsigned char c : name) {
    if (!IsAsciiAlnum(c) && c != '_') return true;
  }
  return false;
}

bool IsAttributeColumn(std::string_view name) {
  for (std::string_view a : kAttributeColumns) {
    if (EqualsAsciiLower(a, name)) return true;
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

std::string DataColumnName(std::string_view member) {
  std::string name = NeedsNewName(member) ? SanitizeColumnName(member) : std::string(member);
  if (IsAttributeColumn(name)) name = "data_" + name;
  return name;
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
  cells_.reserve(32);
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
