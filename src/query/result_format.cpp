// ResultWriter, FormattedResult and the small JSON helpers they need to
// turn rows (JSON arrays rendered by DuckDB) into objects or CSV fields.
#include "query/result_format.h"

#include <nlohmann/json.hpp>

#include "core/ascii_case.h"

namespace eventlake::query {
namespace {


std::string JsonQuoted(std::string_view s) { return nlohmann::json(std::string(s)).dump(); }

void AppendCsvField(std::string& out, std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += text;
    return;
  }
  out += '"';
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::optional<uint32_t> Hex4(std::string_view s, size_t at) {
  if (at + 4 > s.size()) return std::nullopt;
  uint32_t v = 0;
  for (size_t i = at; i < at + 4; ++i) {
    const char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else return std::nullopt;
  }
  return v;
}

}  // namespace

std::optional<ResultFormat> ParseResultFormat(std::string_view name) {
  const std::string n = AsciiLower(name);
  if (n == "json" || n == "application/json") return ResultFormat::kJson;
  if (n == "ndjson" || n == "jsonl" || n == "application/x-ndjson" || n == "application/ndjson") {
    return ResultFormat::kNdjson;
  }
  if (n == "csv" || n == "text/csv") return ResultFormat::kCsv;
  if (n == "parquet" || n == "application/vnd.apache.parquet") return ResultFormat::kParquet;
  if (n == "arrow" || n == "application/vnd.apache.arrow.stream") return ResultFormat::kArrow;
  return std::nullopt;
}

std::optional<ResultFormat> FormatForAccept(std::string_view accept) {
  if (accept.empty()) return ResultFormat::kJson;
  size_t start = 0;
  while (start <= accept.size()) {
    size_t end = accept.find(',', start);
    if (end == std::string_view::npos) end = accept.size();
    std::string_view item = accept.substr(start, end - start);
    item = item.substr(0, item.find(';'));
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == "*/*" || item == "application/*") return ResultFormat::kJson;
    if (item == "text/*") return ResultFormat::kCsv;
    if (auto f = ParseResultFormat(item)) return f;
    start = end + 1;
  }
  return std::nullopt;
}

std::string_view MediaTypeOf(ResultFormat format) {
  switch (format) {
    case ResultFormat::kJson: return "application/json";
    case ResultFormat::kNdjson: return "application/x-ndjson";
    case ResultFormat::kCsv: return "text/csv; charset=utf-8";
    case ResultFormat::kParquet: return "application/vnd.apache.parquet";
    case ResultFormat::kArrow: return "application/vnd.apache.arrow.stream";
  }
  return "application/json";
}

Result<std::vector<std::string_view>> SplitJsonArray(std::string_view array) {
  if (array.size() < 2 || array.front() != '[' || array.back() != ']') {
    return Err(InvalidArgument("not a JSON array"));
  }
  std::vector<std::string_view> items;
  const std::string_view inner = array.substr(1, array.size() - 2);
  size_t depth = 0, start = 0;
  bool in_string = false;
  for (size_t i = 0; i < inner.size(); ++i) {
    const char c = inner[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      if (depth == 0) return Err(InvalidArgument("unbalanced JSON array"));
      --depth;
    } else if (c == ',' && depth == 0) {
      items.push_back(inner.substr(start, i - start));
      start = i + 1;
    }
  }
  if (in_string || depth != 0) return Err(InvalidArgument("unbalanced JSON array"));
  if (start < inner.size() || !items.empty()) items.push_back(inner.substr(start));
  for (std::string_view& item : items) {
    while (!item.empty() && (item.front() == ' ' || item.front() == '\n')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\n')) item.remove_suffix(1);
  }
  return items;
}

Result<std::string> UnquoteJsonString(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') {
    return Err(InvalidArgument("not a JSON string"));
  }
  std::string out;
  out.reserve(s.size());
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    const char c = s[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i + 1 > s.size() - 1) return Err(InvalidArgument("a JSON string ends in a backslash"));
    switch (s[i]) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        auto cp = Hex4(s, i + 1);
        if (!cp) return Err(InvalidArgument("a bad \\u escape in a JSON string"));
        i += 4;
        uint32_t code = *cp;
        if (code >= 0xD800 && code < 0xDC00 && i + 6 < s.size() && s[i + 1] == '\\' && s[i + 2] == 'u') {
          if (auto low = Hex4(s, i + 3); low && *low >= 0xDC00 && *low < 0xE000) {
            code = 0x10000 + ((code - 0xD800) << 10) + (*low - 0xDC00);
            i += 6;
          }
        }
        AppendUtf8(out, code);
        break;
      }
      default: return Err(InvalidArgument("a bad escape in a JSON string"));
    }
  }
  return out;
}

Status ResultWriter::Columns(std::span<const QueryColumn> columns) {
  line_.clear();
  switch (format_) {
    case ResultFormat::kJson: {
      nlohmann::json list = nlohmann::json::array();
      for (const QueryColumn& c : columns) list.push_back({{"name", c.name}, {"type", c.type}});
      line_ = "{\"columns\":" + list.dump() + ",\"rows\":[";
      break;
    }
    case ResultFormat::kNdjson:
      for (const QueryColumn& c : columns) quoted_names_.push_back(JsonQuoted(c.name));
      break;
    case ResultFormat::kParquet:  // the engine writes the file
    case ResultFormat::kArrow: break;  // the engine writes the stream (Bytes)
    case ResultFormat::kCsv:
      for (size_t i = 0; i < columns.size(); ++i) {
        if (i > 0) line_ += ',';
        AppendCsvField(line_, columns[i].name);
      }
      line_ += "\r\n";
      break;
  }
  columns_written_ = true;
  return line_.empty() ? Status::Ok() : out_->Write(line_);
}

Status ResultWriter::Row(std::string_view row) {
  line_.clear();
  switch (format_) {
    case ResultFormat::kJson:
      if (rows_ > 0) line_ += ',';
      line_ += row;
      break;
    case ResultFormat::kNdjson: {
      EL_ASSIGN_OR_RETURN(std::vector<std::string_view> values, SplitJsonArray(row));
      if (values.size() != quoted_names_.size()) return Internal("a row does not match its columns");
      line_ += '{';
      for (size_t i = 0; i < values.size(); ++i) {
        if (i > 0) line_ += ',';
        line_ += quoted_names_[i];
        line_ += ':';
        line_ += values[i];
      }
      line_ += "}\n";
      break;
    }
    case ResultFormat::kParquet:
    case ResultFormat::kArrow: return Internal("a " + std::string(MediaTypeOf(format_)) + " result has no rows");
    case ResultFormat::kCsv: {
      EL_ASSIGN_OR_RETURN(std::vector<std::string_view> values, SplitJsonArray(row));
      for (size_t i = 0; i < values.size(); ++i) {
        if (i > 0) line_ += ',';
        const std::string_view v = values[i];
        if (v == "null") continue;
        if (!v.empty() && v.front() == '"') {
          EL_ASSIGN_OR_RETURN(std::string text, UnquoteJsonString(v));
          AppendCsvField(line_, text);
        } else {
          AppendCsvField(line_, v);
        }
      }
      line_ += "\r\n";
      break;
    }
  }
  ++rows_;
  return out_->Write(line_);
}

Status ResultWriter::Bytes(std::string_view piece) {
  if (format_ != ResultFormat::kArrow) return RowSink::Bytes(piece);
  return out_->Write(piece);
}

Status ResultWriter::Finish(const QueryStats& stats) {
  if (format_ != ResultFormat::kJson || !columns_written_) return Status::Ok();
  nlohmann::json s = {{"seconds", stats.seconds}, {"files", stats.files},
                      {"bytes", stats.bytes},     {"rows_in_scope", stats.rows_in_scope},
                      {"files_scanned", stats.files_scanned}, {"bytes_scanned", stats.bytes_scanned},
                      {"rows_scanned", stats.rows_scanned},   {"tables", stats.tables},
                      {"result_bytes", stats.result_bytes}, {"pending_rows", stats.pending_rows},
                      {"pending_truncated", stats.pending_truncated}};
  return out_->Write("],\"row_count\":" + std::to_string(stats.rows) +
                     ",\"truncated\":" + (stats.truncated ? "true" : "false") + ",\"stats\":" + s.dump() +
                     "}");
}

Status ResultWriter::FinishWithError(std::string_view problem) {
  if (format_ != ResultFormat::kJson || !columns_written_) return Status::Ok();
  return out_->Write("],\"error\":" + std::string(problem) + ",\"row_count\":" + std::to_string(rows_) + "}");
}

std::string FormattedResult::Finish(const QueryStats& stats) {
  (void)writer_.Finish(stats);  // writing to memory does not fail
  return std::move(body_.text);
}

}  // namespace eventlake::query
