// Readers of `eventlake send`'s input (see send_input.h).
//
// The text of each NDJSON line and each array element is passed on as
// written (numbers keep their exact spelling); it is parsed only to check
// that it is one JSON object and to see whether it is a CloudEvent. A JSON
// array is split into elements by a small scanner, so only one element at a
// time is parsed into a DOM, never the whole document.
#include "cli/send_input.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>

namespace eventlake::cli {
namespace {

constexpr size_t kChunk = 64 << 10;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string LineError(uint64_t line, std::string_view message) {
  return "line " + std::to_string(line) + ": " + std::string(message);
}

// nlohmann's message without its "[json.exception...] parse error at line 1,
// column 2: " prefix; the position it names is within one record.
std::string JsonErrorText(const nlohmann::json::parse_error& e) {
  std::string_view what = e.what();
  size_t column = what.find(", column ");
  size_t colon = column == std::string_view::npos ? column : what.find(": ", column);
  return std::string(colon == std::string_view::npos ? what : what.substr(colon + 2));
}

// Checks that `text` is one JSON object and sets *cloudevent; otherwise the problem.
std::optional<std::string> CheckObject(std::string_view text, bool* cloudevent) {
  try {
    auto json = nlohmann::json::parse(text);
    if (!json.is_object()) return "not a JSON object (each event must be an object)";
    *cloudevent = json.contains("specversion");
    return std::nullopt;
  } catch (const nlohmann::json::parse_error& e) {
    return "not valid JSON: " + JsonErrorText(e);
  }
}

// Buffered lines of an istream, with a look at the head for sniffing.
class LineSource {
 public:
  explicit LineSource(std::istream& in) : in_(in) {}

  // The next line without "\n" or "\r\n"; false at the end. The view is
  // valid until the next call.
  Result<bool> ReadLine(std::string_view* line);
  // The unread input up to and including its first non-blank line.
  Result<std::string_view> PeekHead();
  // All unread input; InvalidArgument beyond `max` bytes.
  Result<std::string> ReadRest(uint64_t max);

 private:
  // Appends up to kChunk bytes of input to buffer_; false at the end.
  Result<bool> Fill();

  std::istream& in_;
  std::string buffer_;
  size_t pos_ = 0;      // start of the unread input in buffer_
  size_t scanned_ = 0;  // buffer_[pos_, scanned_) holds no '\n'
  bool eof_ = false;
  bool started_ = false;
};

Result<bool> LineSource::Fill() {
  if (eof_) return false;
  if (pos_ > 0) {  // drop what was read
    buffer_.erase(0, pos_);
    scanned_ -= pos_;
    pos_ = 0;
  }
  size_t old = buffer_.size();
  buffer_.resize(old + kChunk);
  in_.read(buffer_.data() + old, kChunk);
  buffer_.resize(old + static_cast<size_t>(in_.gcount()));
  if (in_.bad()) return Err(IOError("read failed"));
  if (!in_) eof_ = true;
  if (!started_ && buffer_.size() >= 3) {
    started_ = true;
    if (buffer_.starts_with("\xEF\xBB\xBF")) {  // a UTF-8 byte order mark
      buffer_.erase(0, 3);
      scanned_ = 0;
    }
  }
  return buffer_.size() > old;
}

Result<bool> LineSource::ReadLine(std::string_view* line) {
  for (;;) {
    size_t nl = buffer_.find('\n', std::max(scanned_, pos_));
    size_t end = nl != std::string::npos ? nl : eof_ ? buffer_.size() : std::string::npos;
    if (end != std::string::npos) {
      if (end == pos_ && nl == std::string::npos) return false;  // nothing left
      *line = std::string_view(buffer_).substr(pos_, end - pos_);
      if (line->ends_with('\r')) line->remove_suffix(1);
      pos_ = scanned_ = nl != std::string::npos ? nl + 1 : end;
      return true;
    }
    scanned_ = buffer_.size();
    if (scanned_ - pos_ > kMaxJsonDocumentBytes) {
      return Err(InvalidArgument("a line longer than 256 MiB"));
    }
    EL_RETURN_IF_ERROR(Fill());
  }
}

Result<std::string_view> LineSource::PeekHead() {
  for (;;) {
    std::string_view rest = std::string_view(buffer_).substr(pos_);
    size_t first = 0;
    while (first < rest.size() && IsSpace(rest[first])) ++first;
    size_t nl = first < rest.size() ? rest.find('\n', first) : std::string_view::npos;
    if (nl != std::string_view::npos) return rest.substr(0, nl + 1);
    if (eof_ || rest.size() > kMaxJsonDocumentBytes) return rest;
    EL_RETURN_IF_ERROR(Fill());
  }
}

Result<std::string> LineSource::ReadRest(uint64_t max) {
  for (;;) {
    if (buffer_.size() - pos_ > max) {
      return Err(
          InvalidArgument("a JSON document larger than 256 MiB: split it, or write one "
                          "object per line and send it as NDJSON"));
    }
    EL_ASSIGN_OR_RETURN(bool more, Fill());
    if (!more) break;
  }
  std::string rest = buffer_.substr(pos_);
  pos_ = scanned_ = buffer_.size();
  return rest;
}

// One object per line; blank lines are skipped.
class NdjsonReader final : public RecordReader {
 public:
  NdjsonReader(std::unique_ptr<LineSource> lines, bool all_cloudevents)
      : lines_(std::move(lines)), all_cloudevents_(all_cloudevents) {}

  Result<bool> Next(InputRecord* record) override {
    std::string_view line;
    for (;;) {
      ++line_number_;
      auto more = lines_->ReadLine(&line);
      if (!more)
        return Err(Status(more.error().code(), LineError(line_number_, more.error().message())));
      if (!*more) return false;
      if (std::any_of(line.begin(), line.end(), [](char c) { return !IsSpace(c); })) break;
    }
    if (auto problem = CheckObject(line, &record->cloudevent)) {
      return Err(InvalidArgument(LineError(line_number_, *problem)));
    }
    record->cloudevent |= all_cloudevents_;
    record->json.assign(line);
    record->line = line_number_;
    record->index = index_++;
    return true;
  }

 private:
  std::unique_ptr<LineSource> lines_;
  bool all_cloudevents_;
  uint64_t line_number_ = 0;
  uint64_t index_ = 0;
};

// Where the JSON value starting at text[pos] ends (one past it), or npos
// when it does not end. Tracks strings and nesting only: the value's own
// parse finds every other mistake.
size_t FindValueEnd(std::string_view text, size_t pos) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = pos; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      if (!in_string && depth == 0) return i + 1;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '{' || c == '[')
      ++depth;
    else if (c == '}' || c == ']') {
      if (--depth <= 0) return depth == 0 ? i + 1 : i;
    } else if (depth == 0 && (c == ',' || IsSpace(c)))
      return i;
  }
  return depth == 0 && !in_string ? text.size() : std::string_view::npos;
}

// One object, or an array of objects, read whole.
class JsonDocumentReader final : public RecordReader {
 public:
  JsonDocumentReader(std::unique_ptr<LineSource> source, bool all_cloudevents)
      : source_(std::move(source)), all_cloudevents_(all_cloudevents) {}

  Result<bool> Next(InputRecord* record) override;

 private:
  Status Load();
  // Moves to `to`, counting lines; then past any white space.
  void Advance(size_t to);
  Status Fail(std::string_view message) {
    done_ = true;
    return InvalidArgument(LineError(line_, message));
  }
  // The value at pos_ as the next record.
  Result<bool> TakeValue(InputRecord* record);
  // After the array: only white space may follow.
  Result<bool> Finish();

  std::unique_ptr<LineSource> source_;
  bool all_cloudevents_;
  std::string text_;
  size_t pos_ = 0;
  uint64_t line_ = 1;
  uint64_t index_ = 0;
  bool loaded_ = false, array_ = false, done_ = false;
};

void JsonDocumentReader::Advance(size_t to) {
  line_ += std::count(text_.begin() + pos_, text_.begin() + to, '\n');
  pos_ = to;
  while (pos_ < text_.size() && IsSpace(text_[pos_])) line_ += text_[pos_++] == '\n';
}

Status JsonDocumentReader::Load() {
  loaded_ = true;
  auto text = source_->ReadRest(kMaxJsonDocumentBytes);
  if (!text) return Fail(text.error().message());
  text_ = *std::move(text);
  Advance(0);
  if (pos_ == text_.size()) {
    done_ = true;  // empty input: no events
  } else if (text_[pos_] == '[') {
    array_ = true;
    Advance(pos_ + 1);
  } else if (text_[pos_] != '{') {
    return Fail("a JSON document must be an object or an array of objects");
  }
  return Status::Ok();
}

Result<bool> JsonDocumentReader::TakeValue(InputRecord* record) {
  size_t end = FindValueEnd(text_, pos_);
  std::string item = "item " + std::to_string(index_);
  if (end == std::string_view::npos) return Err(Fail(item + " does not end"));
  std::string_view value = std::string_view(text_).substr(pos_, end - pos_);
  if (auto problem = CheckObject(value, &record->cloudevent))
    return Err(Fail(item + ": " + *problem));
  record->cloudevent |= all_cloudevents_;
  record->json.assign(value);
  record->line = line_;
  record->index = index_++;
  Advance(end);
  return true;
}

Result<bool> JsonDocumentReader::Finish() {
  done_ = true;
  if (pos_ < text_.size()) return Err(Fail("unexpected text after the array"));
  return false;
}

Result<bool> JsonDocumentReader::Next(InputRecord* record) {
  if (!loaded_) EL_RETURN_IF_ERROR(Load());
  if (done_) return false;
  if (!array_) {  // one object: nothing may follow it
    EL_ASSIGN_OR_RETURN(bool taken, TakeValue(record));
    if (pos_ < text_.size()) {
      return Err(
          Fail("unexpected text after the object (for one object per line, use --format ndjson)"));
    }
    done_ = true;
    return taken;
  }
  if (pos_ == text_.size()) return Err(Fail("the array does not end (no ']')"));
  if (text_[pos_] == ']') {
    Advance(pos_ + 1);
    return Finish();
  }
  if (index_ > 0) {
    if (text_[pos_] != ',')
      return Err(Fail("expected ',' or ']' after item " + std::to_string(index_ - 1)));
    Advance(pos_ + 1);
    if (pos_ == text_.size()) return Err(Fail("the array does not end (no ']')"));
  }
  return TakeValue(record);
}

// Objects of strings from a header and rows (ingest::CsvTable).
class CsvRecordReader final : public RecordReader {
 public:
  explicit CsvRecordReader(std::unique_ptr<CsvSource> csv) : csv_(std::move(csv)) {}

  Result<bool> Next(InputRecord* record) override {
    if (!table_) EL_RETURN_IF_ERROR(ReadHeader());
    EL_ASSIGN_OR_RETURN(bool more, csv_->Next(&row_));
    if (!more) return false;
    EL_RETURN_IF_ERROR(table_->CheckRow(row_));
    record->json = table_->ToJson(row_);
    record->cloudevent = cloudevents_;
    record->line = row_.line;
    record->index = index_++;
    return true;
  }

 private:
  Status ReadHeader() {
    EL_ASSIGN_OR_RETURN(bool more, csv_->Next(&row_));
    if (!more) return InvalidArgument("line 1: no header row (the input is empty)");
    EL_ASSIGN_OR_RETURN(ingest::CsvTable table, ingest::CsvTable::FromHeader(std::move(row_)));
    const auto& names = table.names();
    cloudevents_ = std::find(names.begin(), names.end(), "specversion") != names.end();
    table_ = std::move(table);
    return Status::Ok();
  }

  std::unique_ptr<CsvSource> csv_;
  std::optional<ingest::CsvTable> table_;
  ingest::CsvRow row_;
  bool cloudevents_ = false;  // a specversion column: every row is a CloudEvent
  uint64_t index_ = 0;
};

// A reader that fails at once (sniffing failed).
class FailedReader final : public RecordReader {
 public:
  explicit FailedReader(Status status) : status_(std::move(status)) {}
  Result<bool> Next(InputRecord*) override { return Err(status_); }

 private:
  Status status_;
};

}  // namespace

Result<InputFormat> ParseInputFormat(std::string_view name) {
  for (InputFormat format : {InputFormat::kAuto, InputFormat::kJson, InputFormat::kNdjson,
                             InputFormat::kCsv, InputFormat::kCloudEvents}) {
    if (name == InputFormatName(format)) return format;
  }
  return Err(InvalidArgument("unknown format '" + std::string(name) +
                             "': use auto, json, ndjson, csv or cloudevents"));
}

std::string_view InputFormatName(InputFormat format) {
  switch (format) {
    case InputFormat::kAuto:
      return "auto";
    case InputFormat::kJson:
      return "json";
    case InputFormat::kNdjson:
      return "ndjson";
    case InputFormat::kCsv:
      return "csv";
    case InputFormat::kCloudEvents:
      return "cloudevents";
  }
  return "auto";
}

InputFormat FormatFromExtension(std::string_view path) {
  size_t dot = path.rfind('.');
  if (dot == std::string_view::npos || path.find('/', dot) != std::string_view::npos) {
    return InputFormat::kAuto;
  }
  std::string ext(path.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (ext == "json") return InputFormat::kJson;
  if (ext == "ndjson" || ext == "jsonl") return InputFormat::kNdjson;
  if (ext == "csv") return InputFormat::kCsv;
  return InputFormat::kAuto;
}

InputFormat SniffFormat(std::string_view head) {
  size_t first = 0;
  while (first < head.size() && IsSpace(head[first])) ++first;
  if (first == head.size() || head[first] == '[') {
    return first == head.size() ? InputFormat::kNdjson : InputFormat::kJson;
  }
  if (head[first] != '{') return InputFormat::kNdjson;
  std::string_view line = head.substr(first, head.find('\n', first) - first);
  return nlohmann::json::accept(line) ? InputFormat::kNdjson : InputFormat::kJson;
}

std::unique_ptr<RecordReader> OpenRecordReader(std::istream& in, InputFormat format) {
  if (format == InputFormat::kCsv) return MakeCsvRecordReader(OpenCsvSource(in));
  auto lines = std::make_unique<LineSource>(in);
  bool all_cloudevents = format == InputFormat::kCloudEvents;
  if (format == InputFormat::kAuto || format == InputFormat::kCloudEvents) {
    auto head = lines->PeekHead();
    if (!head)
      return std::make_unique<FailedReader>(
          Status(head.error().code(), LineError(1, head.error().message())));
    format = SniffFormat(*head);
  }
  if (format == InputFormat::kJson) {
    return std::make_unique<JsonDocumentReader>(std::move(lines), all_cloudevents);
  }
  return std::make_unique<NdjsonReader>(std::move(lines), all_cloudevents);
}

std::unique_ptr<RecordReader> MakeCsvRecordReader(std::unique_ptr<CsvSource> csv) {
  return std::make_unique<CsvRecordReader>(std::move(csv));
}

}  // namespace eventlake::cli
