// The file_drop options table and the format-by-extension rule.
#include "ingest/sources/file_drop_options.h"

#include <algorithm>
#include <cctype>

namespace eventlake::ingest {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

Status ValidateFileDropSection(const FileDropOptions& options) {
  if (options.directory.empty()) return InvalidArgument("directory: must not be empty");
  if (options.record_type.empty()) return InvalidArgument("record_type: must not be empty");
  if (options.pattern.empty()) return InvalidArgument("pattern: must not be empty");
  return Status::Ok();
}

Status ValidateFileDropOptions(const FileDropOptions& options) {
  if (options.name.empty()) return InvalidArgument("name: must not be empty");
  return ValidateFileDropSection(options);
}

const config::Table<FileDropOptions>& FileDropOptionsTable() {
  using O = FileDropOptions;
  static const auto& table =
      (new config::Table<O>("file_drop",
                            "A landing directory watched for JSON, NDJSON and CSV files: each "
                            "file becomes an object-created event plus one event per record."))
          ->Field("directory", &O::directory,
                  "The landing directory; `processed/` and `failed/` are created inside it.",
                  {.required = true})
          .Field("pattern", &O::pattern,
                 "Shell glob over file names (`*.csv`, `orders-*.json`); names starting with `.` "
                 "or ending in `.tmp` or `.part` are never taken.")
          .Field("poll_interval", &O::poll_interval, "How often the directory is listed.",
                 {.min = 10, .max = 3'600'000})
          .Enum("format", &O::format,
                "How files are read; `auto` goes by extension (`.json`, `.ndjson`, `.jsonl`, "
                "`.csv`) and leaves other files alone.",
                {{"auto", FileFormat::kAuto},
                 {"json", FileFormat::kJson},
                 {"ndjson", FileFormat::kNdjson},
                 {"csv", FileFormat::kCsv}})
          .Field("max_file_bytes", &O::max_file_bytes,
                 "Largest file taken; a larger one is moved to `failed/`.",
                 {.min = 1, .max = 4.0 * (1ull << 30), .bytes = true})
          .Field("settle_time", &O::settle_time,
                 "A file whose size or modification time changed within this long is still being "
                 "written and is left alone.",
                 {.min = 0, .max = 3'600'000})
          .Field("batch_events", &O::batch_events, "Events per delivery to the stream.",
                 {.min = 1, .max = 10'000})
          .Field("retry_backoff", &O::retry_backoff,
                 "First wait before redelivering events answered \"retry later\" (quota, "
                 "backpressure); doubles up to 64 times this.",
                 {.min = 1, .max = 60'000})
          .Check(&ValidateFileDropSection);
  return table;
}

std::optional<FileFormat> ResolveFileFormat(FileFormat format, std::string_view name) {
  if (format != FileFormat::kAuto) return format;
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string extension = Lower(name.substr(dot + 1));
  if (extension == "json") return FileFormat::kJson;
  if (extension == "ndjson" || extension == "jsonl") return FileFormat::kNdjson;
  if (extension == "csv") return FileFormat::kCsv;
  return std::nullopt;
}

std::string_view FileFormatName(FileFormat format) {
  switch (format) {
    case FileFormat::kAuto:
      return "auto";
    case FileFormat::kJson:
      return "json";
    case FileFormat::kNdjson:
      return "ndjson";
    case FileFormat::kCsv:
      return "csv";
  }
  return "?";
}

}  // namespace eventlake::ingest
