// RowEventReader: the statement's columns sorted into attributes and
// members once, then each row's cells read by their kind.
#include "pipeline/row_event_reader.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/id.h"

namespace eventlake::pipeline {
namespace {

using Json = nlohmann::json;

// What EventFromRow answered for a row it could not parse: kept, so that
// a failure reads the same whichever way the rows were read.
Status NotJson() { return Internal("a result row is not a JSON object"); }

// The earliest and latest instants RFC 3339 (four-digit years) can write.
constexpr TimestampMicros kFirstRfc3339Micros = -62'135'596'800'000'000;
constexpr TimestampMicros kLastRfc3339Micros = 253'402'300'799'999'999;

}  // namespace

std::optional<RowEventReader> RowEventReader::For(const engine::PreparedStatement& statement,
                                                  RowEventDefaults defaults) {
  RowEventReader reader;
  reader.defaults_ = std::move(defaults);
  std::vector<std::pair<std::string, Column>> members;
  bool data_data = false;
  for (size_t i = 0; i < statement.column_count(); ++i) {
    const std::string name = statement.column_name(i);
    const std::string type = statement.column_type(i);
    Column c{.index = i};
    if (type == "JSON") {
      c.kind = Kind::kJson;
    } else if (type == "VARCHAR") {
      c.kind = Kind::kText;
    } else if (type == "TIMESTAMP WITH TIME ZONE" && name == "time") {
      c.kind = Kind::kTimestamp;
    } else if (statement.column_renders_as_json(i) && name != "time") {
      c.kind = Kind::kRendered;  // `time` of another type fails as to_json's text would: left to it
    } else {
      return std::nullopt;
    }
    if (name == "id") reader.id_ = c;
    else if (name == "source") reader.source_ = c;
    else if (name == "type") reader.type_ = c;
    else if (name == "subject") reader.subject_ = c;
    else if (name == "time") reader.time_ = c;
    else if (name == "data") reader.data_ = c;
    else {
      std::string member = MemberName(name);
      data_data = data_data || member == "data";
      members.emplace_back(std::move(member), c);
    }
  }
  if (data_data && reader.data_.has_value()) return std::nullopt;
  if (reader.data_.has_value()) {
    Column data = *reader.data_;
    data.is_data = true;
    members.emplace_back("data", data);
  }
  std::stable_sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 1; i < members.size(); ++i) {
    if (members[i].first == members[i - 1].first) return std::nullopt;  // one member, one value
  }
  for (auto& [name, c] : members) {
    c.key = Json(name).dump() + ":";
    reader.members_.push_back(std::move(c));
  }
  return reader;
}

Result<bool> RowEventReader::AppendValue(const engine::ChunkStream& rows, size_t row, const Column& c,
                                         std::string* out) const {
  if (rows.IsNull(c.index, row)) return false;
  switch (c.kind) {
    case Kind::kJson: {
      const Json value = Json::parse(rows.Text(c.index, row).value_or(""), nullptr, /*allow_exceptions=*/false);
      if (value.is_discarded()) return Err(NotJson());
      if (value.is_null()) return false;
      *out += value.dump();
      return true;
    }
    case Kind::kText:
    case Kind::kRendered:
      if (!rows.AppendJson(c.index, row, out)) return Err(NotJson());
      return true;
    case Kind::kTimestamp: break;
  }
  return Err(Internal("a timestamp column read as a value"));
}

Result<std::optional<std::string>> RowEventReader::Value(const engine::ChunkStream& rows, size_t row,
                                                         const Column& c) const {
  std::string out;
  EL_ASSIGN_OR_RETURN(bool present, AppendValue(rows, row, c, &out));
  if (!present) return std::nullopt;
  return out;
}

Result<std::optional<std::string>> RowEventReader::Text(const engine::ChunkStream& rows, size_t row,
                                                        const Column& c) const {
  if (c.kind == Kind::kText) {
    const std::optional<std::string_view> text = rows.Text(c.index, row);
    if (!text.has_value()) return std::nullopt;
    return std::string(*text);
  }
  if (c.kind == Kind::kJson) {
    const Json value = Json::parse(rows.Text(c.index, row).value_or("null"), nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) return Err(NotJson());
    if (value.is_string()) return value.get<std::string>();
    if (value.is_null()) return std::nullopt;
    return value.dump();
  }
  return Value(rows, row, c);
}

Result<std::string> RowEventReader::Data(const engine::ChunkStream& rows, size_t row) const {
  std::optional<std::string> other;
  if (data_.has_value()) {
    EL_ASSIGN_OR_RETURN(other, Value(rows, row, *data_));
  }
  std::string out;
  out.reserve(256);
  out.push_back('{');
  size_t written = 0;
  size_t data_at = 0;  // where the `data` member goes, should there be others
  size_t written_before_data = 0;
  for (const Column& c : members_) {
    if (c.is_data) {
      data_at = out.size();
      written_before_data = written;
      continue;
    }
    // Written in place (no string per member), taken back for NULL: no
    // value, as in the lake's rows.
    const size_t mark = out.size();
    if (written > 0) out.push_back(',');
    out += c.key;
    EL_ASSIGN_OR_RETURN(bool present, AppendValue(rows, row, c, &out));
    if (!present) {
      out.resize(mark);
      continue;
    }
    ++written;
  }
  // A `data` column alone is the data; with members, it is the member `data`.
  if (written == 0) return other.has_value() ? std::move(*other) : std::string("{}");
  if (other.has_value()) {
    const std::string member = "\"data\":" + *other;
    out.insert(data_at, written_before_data > 0 ? "," + member : member + ",");
  }
  out.push_back('}');
  return out;
}

Result<CloudEvent> RowEventReader::Event(const engine::ChunkStream& rows, size_t row) const {
  CloudEvent e;
  auto attribute = [&](const std::optional<Column>& c) -> Result<std::optional<std::string>> {
    if (!c.has_value()) return std::nullopt;
    return Text(rows, row, *c);
  };
  EL_ASSIGN_OR_RETURN(std::optional<std::string> id, attribute(id_));
  e.id = std::move(id).value_or("");
  if (e.id.empty()) e.id = NewEventId();
  EL_ASSIGN_OR_RETURN(std::optional<std::string> source, attribute(source_));
  e.source = std::move(source).value_or(defaults_.source);
  EL_ASSIGN_OR_RETURN(std::optional<std::string> type, attribute(type_));
  e.type = std::move(type).value_or(defaults_.type);
  EL_ASSIGN_OR_RETURN(e.subject, attribute(subject_));
  if (time_.has_value() && time_->kind == Kind::kTimestamp) {
    if (std::optional<int64_t> micros = rows.TimestampMicros(time_->index, row)) {
      if (*micros < kFirstRfc3339Micros || *micros > kLastRfc3339Micros) {
        return Err(InvalidArgument("the column time is not a timestamp: " + std::to_string(*micros) + " µs"));
      }
      e.time = *micros;
    }
  } else if (time_.has_value()) {
    EL_ASSIGN_OR_RETURN(std::optional<std::string> time, Text(rows, row, *time_));
    if (time.has_value()) {
      EL_ASSIGN_OR_RETURN(e.time, ParseDuckDbTimestamp(*time));
    }
  }
  EL_ASSIGN_OR_RETURN(e.data, Data(rows, row));
  e.data_content_type = "application/json";
  return e;
}

}  // namespace eventlake::pipeline
