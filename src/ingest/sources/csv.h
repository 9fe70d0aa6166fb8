// An RFC 4180 CSV reader for untrusted files (file_drop, `eventlake send`):
// quoted fields, doubled quotes inside them, CRLF or LF line ends, line ends
// inside quoted fields, and a UTF-8 byte order mark at the start of a file
// skipped. Every row is checked against CsvLimits, every field must be valid
// UTF-8, and every error is an InvalidArgument that names the line ("line 7:
// ...", lines counted from 1, line ends inside quotes included).
//
// Strict where RFC 4180 is: a quote inside an unquoted field, any character
// between a closing quote and the next comma or line end, a carriage return
// not followed by a line feed, and a quoted field never closed are errors,
// because a file that breaks them has usually been cut or mangled and
// guessing would shift values into the wrong columns. Lines that are entirely
// empty are skipped (a file ending in blank lines is common; a blank row has
// no meaning in a table with a header).
//
// Rows become JSON objects of strings, keyed by the header row. Values are
// never typed ("42" stays the string "42", "" stays ""): CSV carries no types,
// and a guess ("007" as 7, "1e3" as 1000, "NA" as null) silently changes data.
// A data engineer expects CSV values to stay text until a schema or a pipeline
// step types them, where the rule is written down once.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace eventlake::ingest {

struct CsvLimits {
  size_t max_field_bytes = 1u << 20;  // one field after unquoting
  size_t max_fields = 1024;           // fields in one row, the header included
  size_t max_row_bytes = 4u << 20;    // one row as written: quotes and line ends included
};

// One row as read: its fields and where it is in the text.
struct CsvRow {
  std::vector<std::string> fields;
  size_t line = 0;    // line on which the row starts
  size_t offset = 0;  // byte offset of its first character
  size_t length = 0;  // bytes up to and including its line end
};

// Reads rows one at a time from text it does not own; `text` must outlive
// the reader. Not thread-safe; cheap to create.
class CsvReader {
 public:
  // `first_line` is the line number of the text's first line. When the text
  // is the start of a file, a UTF-8 BOM there is skipped; a row read again
  // on its own (from a CsvRow's offset and length) is not.
  explicit CsvReader(std::string_view text, const CsvLimits& limits = {}, size_t first_line = 1,
                     bool start_of_file = true);

  // Reads the next row into *row (its fields replaced); false at the end of
  // the text. After an error the reader must not be used again.
  Result<bool> Next(CsvRow* row);

 private:
  Status ReadField(size_t row_start, std::string* field);
  Status ReadQuoted(size_t row_start, std::string* field);
  Status ReadUnquoted(std::string* field);
  // Consumes a comma (true), a line end or the end of the text (false).
  Result<bool> EndOfField(size_t field_number);
  Status Fail(size_t line, std::string_view message) const;

  std::string_view text_;
  CsvLimits limits_;
  size_t pos_ = 0;
  size_t line_;
};

// A CSV table: a header row that names the fields, then the records.
class CsvTable {
 public:
  // Checks the header: at least one name, none empty, none twice.
  static Result<CsvTable> FromHeader(CsvRow header);

  const std::vector<std::string>& names() const { return names_; }
  // Checks that `row` has one field per name.
  Status CheckRow(const CsvRow& row) const;
  // The row as a JSON object of strings, keys in header order. CheckRow first.
  std::string ToJson(const CsvRow& row) const;

 private:
  std::vector<std::string> names_;
  std::vector<std::string> quoted_names_;  // the names as JSON strings with ':'
};

// A whole CSV text (header and records) as JSON objects, one per record.
// For tests, tools and small inputs; file_drop streams the rows instead.
Result<std::vector<std::string>> CsvToJsonObjects(std::string_view text,
                                                  const CsvLimits& limits = {});

}  // namespace eventlake::ingest
