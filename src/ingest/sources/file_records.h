// The records of one dropped file, read in order: a JSON file (one object, or
// an array of objects), NDJSON (one object per line, blank lines skipped) or
// CSV (a header row, then one record per row; see csv.h).
//
// Every record is checked in full (well-formed JSON, valid UTF-8, an object,
// JsonLimits nesting and string length; the CSV grammar and CsvLimits), and
// every error is an InvalidArgument naming the line and, where it helps, the
// record index ("line 12: record 10: expected a JSON object, got an array").
//
// A reader holds only a cursor into the text, so file_drop checks a whole file
// with one reader (before delivering anything) and delivers with a second one,
// in bounded memory whatever the number of records.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "ingest/cloudevent_json.h"
#include "ingest/sources/csv.h"
#include "ingest/sources/file_drop_options.h"

namespace eventlake::ingest {

struct FileRecordLimits {
  CsvLimits csv;
  JsonLimits json;  // max_depth and max_string apply to each record
};

// One record of a file.
struct FileRecord {
  std::string json;  // a JSON object: minified JSON, or a CSV row as an object of strings
  size_t index = 0;  // 0-based position in the file
  size_t line = 0;   // line on which it starts, from 1
};

class FileRecordReader {
 public:
  // A reader over `contents`, which must outlive it. `format` must not be kAuto.
  static std::unique_ptr<FileRecordReader> Create(std::string_view contents, FileFormat format,
                                                  const FileRecordLimits& limits = {});
  virtual ~FileRecordReader() = default;

  // The next record into *record; false after the last one. After an error
  // the reader must not be used again.
  virtual Result<bool> Next(FileRecord* record) = 0;
};

// Reads and checks every record of `contents`: the number of records, or the
// first error.
Result<size_t> CountFileRecords(std::string_view contents, FileFormat format,
                                const FileRecordLimits& limits = {});

}  // namespace eventlake::ingest
