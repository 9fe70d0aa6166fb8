// The input of `eventlake send`: the formats it reads, how a format is chosen
// (--format, a file's extension, or sniffing the first bytes), and
// RecordReader, which turns one input into one JSON object text per event.
//
// Readers are incremental: NDJSON and CSV are read a line (a record) at a
// time, so a file of any size streams through in bounded memory. A JSON
// document (an object or an array of objects) is read whole, up to
// kMaxJsonDocumentBytes; beyond that the reader fails and suggests NDJSON.
//
// Positions: every record carries the 1-based line where it starts and its
// 0-based index among the records of its input; errors name the line.
#pragma once

#include <cstdint>
#include <istream>
#include <memory>
#include <string>
#include <string_view>

#include "cli/send_csv.h"
#include "core/status.h"

namespace eventlake::cli {

enum class InputFormat {
  kAuto,         // by extension, else sniffed: JSON or NDJSON
  kJson,         // one object, or an array of objects
  kNdjson,       // one object per line
  kCsv,          // a header line, then rows: objects of strings
  kCloudEvents,  // JSON or NDJSON (as kAuto) whose objects are all structured CloudEvents
};

// Largest JSON document read whole, and largest NDJSON line.
inline constexpr uint64_t kMaxJsonDocumentBytes = 256ull << 20;

// "auto", "json", "ndjson", "csv", "cloudevents"; InvalidArgument otherwise.
Result<InputFormat> ParseInputFormat(std::string_view name);
std::string_view InputFormatName(InputFormat format);

// The format a file name implies (case-insensitive): .json -> kJson,
// .ndjson and .jsonl -> kNdjson, .csv -> kCsv; anything else kAuto.
InputFormat FormatFromExtension(std::string_view path);

// JSON or NDJSON from the head of an input (at least its first non-blank
// line, or all of it when shorter). '[' first -> kJson. '{' first -> kNdjson
// when that line alone is a complete JSON document (one object per line),
// kJson when it is not (an object spread over lines). Anything else
// (including empty input) -> kNdjson, whose reader then names the bad line.
InputFormat SniffFormat(std::string_view head);

struct InputRecord {
  std::string json;         // one JSON object (as written for NDJSON and arrays)
  bool cloudevent = false;  // it has "specversion": sent as a structured CloudEvent
  uint64_t line = 0;        // 1-based line where the record starts
  uint64_t index = 0;       // 0-based position among the input's records
};

class RecordReader {
 public:
  virtual ~RecordReader() = default;
  // Fills *record with the next record; false at the end of the input.
  // Malformed input is InvalidArgument and a failed read IOError, both with
  // a message starting "line N: ". After an error the reader is done.
  virtual Result<bool> Next(InputRecord* record) = 0;
};

// A reader of `in`, which must outlive it. kAuto sniffs JSON vs NDJSON (the
// caller resolves extensions first with FormatFromExtension); kCloudEvents
// sniffs likewise and marks every record as a CloudEvent.
std::unique_ptr<RecordReader> OpenRecordReader(std::istream& in, InputFormat format);

// The CSV reader over rows from `csv`: the first row is the header (column
// names, which must be non-empty and distinct); each further row becomes an
// object of strings in column order, a CloudEvent when a column is named
// "specversion". Exposed for tests.
std::unique_ptr<RecordReader> MakeCsvRecordReader(std::unique_ptr<CsvSource> csv);

}  // namespace eventlake::cli
