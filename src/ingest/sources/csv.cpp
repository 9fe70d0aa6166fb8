// RFC 4180 CSV reading: a small state machine over the text that copies each
// field once, and the header-keyed JSON objects made from its rows.
#include "ingest/sources/csv.h"

#include <algorithm>
#include <unordered_map>

#include "ingest/json_text.h"

namespace eventlake::ingest {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

std::string Count(size_t n) { return std::to_string(n); }

}  // namespace

CsvReader::CsvReader(std::string_view text, const CsvLimits& limits, size_t first_line,
                     bool start_of_file)
    : text_(text), limits_(limits), line_(first_line) {
  if (start_of_file && text_.starts_with(kBom)) pos_ = kBom.size();
}

Status CsvReader::Fail(size_t line, std::string_view message) const {
  return InvalidArgument("line " + Count(line) + ": " + std::string(message));
}

Result<bool> CsvReader::Next(CsvRow* row) {
  while (pos_ < text_.size()) {  // skip empty lines
    if (text_[pos_] == '\n') {
      ++pos_;
    } else if (text_.substr(pos_, 2) == "\r\n") {
      pos_ += 2;
    } else {
      break;
    }
    ++line_;
  }
  if (pos_ >= text_.size()) return false;
  row->fields.clear();
  row->line = line_;
  row->offset = pos_;
  for (bool more = true; more;) {
    if (row->fields.size() == limits_.max_fields) {
      return Err(Fail(row->line, "the row has more than max_fields (" + Count(limits_.max_fields) +
                                     ") fields"));
    }
    const size_t field_line = line_;
    std::string& field = row->fields.emplace_back();
    EL_RETURN_IF_ERROR(ReadField(row->offset, &field));
    if (!IsValidUtf8(field)) {
      return Err(Fail(field_line, "field " + Count(row->fields.size()) + " is not valid UTF-8"));
    }
    EL_ASSIGN_OR_RETURN(more, EndOfField(row->fields.size()));
    if (pos_ - row->offset > limits_.max_row_bytes) {
      return Err(Fail(row->line, "the row is larger than max_row_bytes (" +
                                     Count(limits_.max_row_bytes) + " bytes)"));
    }
  }
  row->length = pos_ - row->offset;
  return true;
}

Status CsvReader::ReadField(size_t row_start, std::string* field) {
  // Quoted fields check the row size as they go, since they may span lines.
  return pos_ < text_.size() && text_[pos_] == '"' ? ReadQuoted(row_start, field)
                                                   : ReadUnquoted(field);
}

Status CsvReader::ReadUnquoted(std::string* field) {
  size_t end = text_.find_first_of(",\r\n\"", pos_);
  if (end == std::string_view::npos) end = text_.size();
  if (end < text_.size() && text_[end] == '"') {
    return Fail(line_,
                "a quote inside an unquoted field: quote the whole field and double the quote "
                "(\"a \"\"b\"\"\")");
  }
  if (end - pos_ > limits_.max_field_bytes) {
    return Fail(line_, "a field is larger than max_field_bytes (" + Count(limits_.max_field_bytes) +
                           " bytes)");
  }
  field->assign(text_.substr(pos_, end - pos_));
  pos_ = end;
  return Status::Ok();
}

Status CsvReader::ReadQuoted(size_t row_start, std::string* field) {
  const size_t open_line = line_;
  ++pos_;  // the opening quote
  for (;;) {
    size_t quote = text_.find('"', pos_);
    size_t end = quote == std::string_view::npos ? text_.size() : quote;
    std::string_view chunk = text_.substr(pos_, end - pos_);
    line_ += static_cast<size_t>(std::count(chunk.begin(), chunk.end(), '\n'));
    bool doubled =
        quote != std::string_view::npos && quote + 1 < text_.size() && text_[quote + 1] == '"';
    if (field->size() + chunk.size() + (doubled ? 1 : 0) > limits_.max_field_bytes) {
      return Fail(open_line, "a field is larger than max_field_bytes (" +
                                 Count(limits_.max_field_bytes) + " bytes)");
    }
    if (end - row_start > limits_.max_row_bytes) {
      return Fail(open_line, "the row is larger than max_row_bytes (" +
                                 Count(limits_.max_row_bytes) + " bytes)");
    }
    field->append(chunk);
    if (quote == std::string_view::npos) {
      return Fail(open_line, "a quoted field opened on this line is never closed");
    }
    if (!doubled) {
      pos_ = quote + 1;
      return Status::Ok();
    }
    field->push_back('"');
    pos_ = quote + 2;
  }
}

Result<bool> CsvReader::EndOfField(size_t field_number) {
  if (pos_ >= text_.size()) return false;
  switch (text_[pos_]) {
    case ',':
      ++pos_;
      return true;
    case '\n':
      ++pos_;
      ++line_;
      return false;
    case '\r':
      if (text_.substr(pos_, 2) == "\r\n") {
        pos_ += 2;
        ++line_;
        return false;
      }
      return Err(Fail(line_, "a carriage return not followed by a line feed"));
    default:
      return Err(Fail(line_, "field " + Count(field_number) +
                                 ": a character after the closing quote (only a comma or a "
                                 "line end may follow it)"));
  }
}

Result<CsvTable> CsvTable::FromHeader(CsvRow header) {
  CsvTable table;
  std::unordered_map<std::string_view, size_t> seen;
  for (size_t i = 0; i < header.fields.size(); ++i) {
    const std::string& name = header.fields[i];
    std::string where = "line " + Count(header.line) + ": header field " + Count(i + 1);
    if (name.empty()) return Err(InvalidArgument(where + " is empty: every column needs a name"));
    auto [it, inserted] = seen.emplace(name, i);
    if (!inserted) {
      return Err(InvalidArgument(where + " (" + JsonString(name) + ") repeats header field " +
                                 Count(it->second + 1)));
    }
  }
  for (const std::string& name : header.fields)
    table.quoted_names_.push_back(JsonString(name) + ":");
  table.names_ = std::move(header.fields);
  return table;
}

Status CsvTable::CheckRow(const CsvRow& row) const {
  if (row.fields.size() == names_.size()) return Status::Ok();
  return InvalidArgument("line " + Count(row.line) + ": " + Count(row.fields.size()) +
                         (row.fields.size() == 1 ? " field" : " fields") +
                         ", but the header names " + Count(names_.size()));
}

std::string CsvTable::ToJson(const CsvRow& row) const {
  std::string out = "{";
  for (size_t i = 0; i < row.fields.size() && i < quoted_names_.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += quoted_names_[i];
    AppendJsonString(row.fields[i], &out);
  }
  out.push_back('}');
  return out;
}

Result<std::vector<std::string>> CsvToJsonObjects(std::string_view text, const CsvLimits& limits) {
  CsvReader reader(text, limits);
  CsvRow row;
  EL_ASSIGN_OR_RETURN(bool has_header, reader.Next(&row));
  if (!has_header) return Err(InvalidArgument("line 1: no header row (the text is empty)"));
  EL_ASSIGN_OR_RETURN(CsvTable table, CsvTable::FromHeader(std::move(row)));
  std::vector<std::string> objects;
  for (;;) {
    EL_ASSIGN_OR_RETURN(bool more, reader.Next(&row));
    if (!more) return objects;
    EL_RETURN_IF_ERROR(table.CheckRow(row));
    objects.push_back(table.ToJson(row));
  }
}

}  // namespace eventlake::ingest
