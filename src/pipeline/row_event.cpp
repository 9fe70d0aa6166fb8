// EventFromRow: a result row's columns as an event's attributes and data.
#include "pipeline/row_event.h"

#include <array>

#include "core/id.h"

namespace eventlake::pipeline {
namespace {

using Json = nlohmann::json;

constexpr std::array<std::string_view, 6> kEventColumns = {"id", "source", "type", "subject", "time", "data"};

}  // namespace

Result<TimestampMicros> ParseDuckDbTimestamp(std::string text) {
  if (text.size() > 10 && text[10] == ' ') text[10] = 'T';
  if (text.size() > 3 && (text[text.size() - 3] == '+' || text[text.size() - 3] == '-')) text += ":00";
  auto micros = ParseRfc3339(text);
  if (!micros.has_value()) return Err(InvalidArgument("the column time is not a timestamp: " + text));
  return *micros;
}

bool IsEventColumn(std::string_view name) {
  for (std::string_view c : kEventColumns) {
    if (c == name) return true;
  }
  return false;
}

std::string MemberName(std::string_view column) {
  const bool renamed = column.starts_with("data_") && IsEventColumn(column.substr(5));
  return std::string(renamed ? column.substr(5) : column);
}

Result<CloudEvent> EventFromRow(Json row, const RowEventDefaults& defaults) {
  if (!row.is_object()) return Err(InvalidArgument("a result row is not a JSON object"));
  CloudEvent e;
  auto text = [&](const char* name) -> std::optional<std::string> {
    auto it = row.find(name);
    if (it == row.end()) return std::nullopt;
    std::optional<std::string> value;
    if (it->is_string()) value = it->get<std::string>();
    else if (!it->is_null()) value = it->dump();
    row.erase(it);
    return value;
  };
  e.id = text("id").value_or("");
  if (e.id.empty()) e.id = NewEventId();
  e.source = text("source").value_or(defaults.source);
  e.type = text("type").value_or(defaults.type);
  e.subject = text("subject");
  if (std::optional<std::string> time = text("time")) {
    EL_ASSIGN_OR_RETURN(e.time, ParseDuckDbTimestamp(*time));
  }
  // A `data` column is data that is not an object (NULL for objects:
  // SELECT * passes it through); data_<attribute> is the member <attribute>.
  Json data = Json::object();
  Json other = nullptr;
  if (auto it = row.find("data"); it != row.end()) {
    other = std::move(*it);
    row.erase(it);
  }
  for (auto& [name, value] : row.items()) {
    if (value.is_null()) continue;  // NULL is no value, as in the lake's rows
    data[MemberName(name)] = std::move(value);
  }
  if (!other.is_null() && data.empty()) {
    e.data = other.dump();
  } else {
    if (!other.is_null()) data["data"] = std::move(other);
    e.data = data.dump();
  }
  e.data_content_type = "application/json";
  return e;
}

}  // namespace eventlake::pipeline
