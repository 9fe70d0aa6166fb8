// Record readers for dropped files. JSON arrays are split into elements by a
// small scanner (strings and nesting only) and each element is then parsed on
// its own with simdjson's DOM parser: a file of any size is checked with the
// memory of its largest record, and errors can name the element's line.
#include "ingest/sources/file_records.h"

#include <simdjson.h>

#include <algorithm>
#include <optional>

namespace eventlake::ingest {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsJsonSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsJsonSpace(text.back())) text.remove_suffix(1);
  return text;
}

// Line numbers of offsets asked for in increasing order, counted as it goes.
class LineCounter {
 public:
  explicit LineCounter(std::string_view text) : text_(text) {}
  size_t LineAt(size_t offset) {
    offset = std::min(offset, text_.size());
    if (offset < offset_) {  // asked out of order: count again from the start
      offset_ = 0;
      line_ = 1;
    }
    line_ += static_cast<size_t>(std::count(text_.begin() + static_cast<ptrdiff_t>(offset_),
                                            text_.begin() + static_cast<ptrdiff_t>(offset), '\n'));
    offset_ = offset;
    return line_;
  }

 private:
  std::string_view text_;
  size_t offset_ = 0;
  size_t line_ = 1;
};

std::string_view Describe(simdjson::dom::element_type type) {
  switch (type) {
    case simdjson::dom::element_type::ARRAY:
      return "an array";
    case simdjson::dom::element_type::STRING:
      return "a string";
    case simdjson::dom::element_type::BOOL:
      return "a boolean";
    case simdjson::dom::element_type::NULL_VALUE:
      return "null";
    default:
      return "a number";
  }
}

// Checks that `text` is exactly one JSON object within `limits`.
Status CheckObject(std::string_view text, const JsonLimits& limits, simdjson::dom::parser& parser) {
  EL_RETURN_IF_ERROR(CheckJsonLimits(text, limits));
  simdjson::dom::element element;
  simdjson::error_code error = parser.parse(text.data(), text.size()).get(element);
  if (error != simdjson::SUCCESS) {
    return InvalidArgument(std::string("malformed JSON: ") + simdjson::error_message(error));
  }
  if (!element.is_object()) {
    return InvalidArgument("expected a JSON object, got " + std::string(Describe(element.type())));
  }
  return Status::Ok();
}

// Whitespace outside strings removed; numbers and strings kept as written.
std::string Minify(std::string_view json) {
  std::string out(json.size(), '\0');
  size_t length = 0;
  if (simdjson::minify(json.data(), json.size(), out.data(), length) != simdjson::SUCCESS) {
    return std::string(json);
  }
  out.resize(length);
  return out;
}

Status AtRecord(size_t line, size_t index, const Status& s) {
  return InvalidArgument("line " + std::to_string(line) + ": record " + std::to_string(index) +
                         ": " + s.message());
}

class NdjsonReader final : public FileRecordReader {
 public:
  NdjsonReader(std::string_view text, const FileRecordLimits& limits)
      : text_(text), limits_(limits.json) {
    if (text_.starts_with(kBom)) pos_ = kBom.size();
  }

  Result<bool> Next(FileRecord* record) override {
    while (pos_ < text_.size()) {
      size_t end = std::min(text_.find('\n', pos_), text_.size());
      std::string_view line = Trim(text_.substr(pos_, end - pos_));
      const size_t line_number = line_++;
      pos_ = end + 1;
      if (line.empty()) continue;
      Status s = CheckObject(line, limits_, parser_);
      if (!s.ok()) return Err(AtRecord(line_number, index_, s));
      record->json = Minify(line);
      record->index = index_++;
      record->line = line_number;
      return true;
    }
    return false;
  }

 private:
  std::string_view text_;
  JsonLimits limits_;
  simdjson::dom::parser parser_;
  size_t pos_ = 0;
  size_t line_ = 1;
  size_t index_ = 0;
};

class JsonReader final : public FileRecordReader {
 public:
  JsonReader(std::string_view text, const FileRecordLimits& limits)
      : text_(text), limits_(limits.json), lines_(text) {
    if (text_.starts_with(kBom)) pos_ = kBom.size();
  }

  Result<bool> Next(FileRecord* record) override {
    if (state_ == State::kStart) EL_RETURN_IF_ERROR(Start(record));
    if (state_ == State::kSingle) {
      state_ = State::kDone;
      return true;
    }
    if (state_ == State::kDone) return false;
    EL_ASSIGN_OR_RETURN(size_t end, ScanElement());
    std::string_view element = Trim(text_.substr(pos_, end - pos_));
    size_t line = lines_.LineAt(element.empty() ? pos_ : element.data() - text_.data());
    if (element.empty()) return Err(AtRecord(line, index_, InvalidArgument("missing element")));
    Status s = CheckObject(element, limits_, parser_);
    if (!s.ok()) return Err(AtRecord(line, index_, s));
    pos_ = end + 1;
    if (text_[end] == ']') EL_RETURN_IF_ERROR(EndOfArray());
    record->json = Minify(element);
    record->index = index_++;
    record->line = line;
    return true;
  }

 private:
  enum class State { kStart, kSingle, kArray, kDone };

  Status Fail(size_t offset, std::string_view message) {
    return InvalidArgument("line " + std::to_string(lines_.LineAt(offset)) + ": " +
                           std::string(message));
  }

  size_t SkipSpace(size_t pos) const {
    while (pos < text_.size() && IsJsonSpace(text_[pos])) ++pos;
    return pos;
  }

  // Reads the top level: one object (a single record, put in *record) or '['.
  Status Start(FileRecord* record) {
    pos_ = SkipSpace(pos_);
    if (pos_ == text_.size()) {
      return Fail(pos_, "the file is empty: expected a JSON object or an array of objects");
    }
    if (text_[pos_] == '{') {
      std::string_view object = Trim(text_.substr(pos_));
      Status s = CheckObject(object, limits_, parser_);
      if (!s.ok()) return Fail(pos_, s.message());
      *record = {Minify(object), 0, lines_.LineAt(pos_)};
      state_ = State::kSingle;
      return Status::Ok();
    }
    if (text_[pos_] != '[') return Fail(pos_, "expected a JSON object or an array of objects");
    array_start_ = pos_;
    pos_ = SkipSpace(pos_ + 1);
    state_ = State::kArray;
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return EndOfArray();
    }
    return Status::Ok();
  }

  // After the closing ']': nothing but whitespace may follow.
  Status EndOfArray() {
    state_ = State::kDone;
    size_t rest = SkipSpace(pos_);
    if (rest < text_.size()) return Fail(rest, "unexpected content after the array");
    return Status::Ok();
  }

  // The offset of the ',' or ']' that ends the element starting at pos_.
  Result<size_t> ScanElement() {
    size_t depth = 0;
    bool in_string = false;
    for (size_t i = pos_; i < text_.size(); ++i) {
      char c = text_[i];
      if (in_string) {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          in_string = false;
        }
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (depth == 0 && c == ']') return i;
        if (depth == 0) return Err(Fail(i, "unbalanced '}' in record " + std::to_string(index_)));
        --depth;
      } else if (c == ',' && depth == 0) {
        return i;
      }
    }
    return Err(Fail(array_start_, "the array opened on this line is never closed"));
  }

  std::string_view text_;
  JsonLimits limits_;
  LineCounter lines_;
  simdjson::dom::parser parser_;
  State state_ = State::kStart;
  size_t pos_ = 0;
  size_t array_start_ = 0;
  size_t index_ = 0;
};

class CsvRecordReader final : public FileRecordReader {
 public:
  CsvRecordReader(std::string_view text, const FileRecordLimits& limits)
      : reader_(text, limits.csv) {}

  Result<bool> Next(FileRecord* record) override {
    if (!table_) {
      EL_ASSIGN_OR_RETURN(bool has_header, reader_.Next(&row_));
      if (!has_header) return Err(InvalidArgument("line 1: no header row (the file is empty)"));
      EL_ASSIGN_OR_RETURN(CsvTable table, CsvTable::FromHeader(std::move(row_)));
      table_ = std::move(table);
    }
    EL_ASSIGN_OR_RETURN(bool more, reader_.Next(&row_));
    if (!more) return false;
    EL_RETURN_IF_ERROR(table_->CheckRow(row_));
    record->json = table_->ToJson(row_);
    record->index = index_++;
    record->line = row_.line;
    return true;
  }

 private:
  CsvReader reader_;
  std::optional<CsvTable> table_;
  CsvRow row_;
  size_t index_ = 0;
};

}  // namespace

std::unique_ptr<FileRecordReader> FileRecordReader::Create(std::string_view contents,
                                                           FileFormat format,
                                                           const FileRecordLimits& limits) {
  switch (format) {
    case FileFormat::kNdjson:
      return std::make_unique<NdjsonReader>(contents, limits);
    case FileFormat::kCsv:
      return std::make_unique<CsvRecordReader>(contents, limits);
    case FileFormat::kAuto:  // a caller's bug; JSON is the strictest reading
    case FileFormat::kJson:
      break;
  }
  return std::make_unique<JsonReader>(contents, limits);
}

Result<size_t> CountFileRecords(std::string_view contents, FileFormat format,
                                const FileRecordLimits& limits) {
  std::unique_ptr<FileRecordReader> reader = FileRecordReader::Create(contents, format, limits);
  FileRecord record;
  size_t count = 0;
  for (;;) {
    EL_ASSIGN_OR_RETURN(bool more, reader->Next(&record));
    if (!more) return count;
    ++count;
  }
}

}  // namespace eventlake::ingest
