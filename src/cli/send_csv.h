// Where `eventlake send` gets CSV rows from: the ingest room's RFC 4180 reader
// (src/ingest/sources/csv.h), which parses text it is given, fed from a
// stream a chunk at a time so that a CSV file of any size streams through in
// bounded memory. The CLI carries no CSV grammar of its own.
#pragma once

#include <istream>
#include <memory>

#include "core/status.h"
#include "ingest/sources/csv.h"

namespace eventlake::cli {

// Rows of one CSV input, in order. Not thread-safe.
class CsvSource {
 public:
  virtual ~CsvSource() = default;
  // Fills *row with the next row (its fields and the line it starts on);
  // false at the end. Malformed CSV is InvalidArgument naming the line; a
  // failed read IOError. After an error the source is done.
  virtual Result<bool> Next(ingest::CsvRow* row) = 0;
};

// A CsvSource reading `in`, which must outlive it, under `limits` (a row may
// not exceed limits.max_row_bytes, which also bounds the memory used).
std::unique_ptr<CsvSource> OpenCsvSource(std::istream& in, const ingest::CsvLimits& limits = {});

}  // namespace eventlake::cli
