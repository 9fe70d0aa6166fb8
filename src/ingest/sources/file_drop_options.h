// The options of a file_drop source and their config table: which landing
// directory it watches, which files it takes and how it reads them. The
// reference in docs/sources.md and docs/configuration.md comes from
// FileDropOptionsTable().Reference().
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/config_table.h"
#include "core/status.h"

namespace eventlake::ingest {

// How a file's records are written.
enum class FileFormat {
  kAuto,    // by extension: .json, .ndjson / .jsonl, .csv (case-insensitive)
  kJson,    // one JSON object, or a JSON array of objects
  kNdjson,  // one JSON object per line
  kCsv,     // RFC 4180 with a header row; values stay strings (see csv.h)
};

struct FileDropOptions {
  std::string name;           // the source's name: events get source "/eventlake/sources/<name>"
  std::string directory;      // the landing directory; processed/ and failed/ live inside it
  std::string stream;         // where the server routes the events (not used by the source itself)
  std::string pattern = "*";  // shell glob (fnmatch) over file names
  std::chrono::milliseconds poll_interval{1000};
  // CloudEvents type of the record events. Not `type`: in a source list that
  // key says what kind of source an entry is (http, file_drop, ...).
  std::string record_type = "eventlake.record";
  FileFormat format = FileFormat::kAuto;
  uint64_t max_file_bytes = 256ull << 20;
  // A file whose size or modification time changed within this long is still
  // being written and is not taken yet.
  std::chrono::milliseconds settle_time{1000};
  uint32_t batch_events = 1000;  // events per delivery to the sink
  // First wait after a delivery answered "retry later"; doubles up to 64x.
  std::chrono::milliseconds retry_backoff{100};
};

// The `file_drop:` section of a source: keys directory, pattern,
// poll_interval, format, max_file_bytes, settle_time, batch_events,
// retry_backoff. name, stream and record_type come from the enclosing
// source (its name, stream and event_type).
const config::Table<FileDropOptions>& FileDropOptionsTable();

// The section's rules: directory set, a non-empty record_type and pattern.
Status ValidateFileDropSection(const FileDropOptions& options);
// The whole options (Create checks them): the section's rules and a name.
Status ValidateFileDropOptions(const FileDropOptions& options);

// The format of a file named `name` under `format`: itself unless kAuto, else
// from the extension; nullopt when kAuto and the extension is none of ours.
std::optional<FileFormat> ResolveFileFormat(FileFormat format, std::string_view name);

// "json", "ndjson", "csv", "auto".
std::string_view FileFormatName(FileFormat format);

}  // namespace eventlake::ingest
