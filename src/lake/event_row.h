// EventRowEncoder: a CloudEvent as the cells of one table row
// (docs/formats/table.md, "The columns of an event table"): the attributes
// id, source, type, time, subject, then one cell per top-level member of
// JSON data (a boolean, a 64-bit integer, another number as double, a
// string, or an object/array as its JSON text). Names that are not valid
// column names are sanitised; a member named like an attribute column
// becomes data_<name>. Non-object JSON data and text data become one
// `data` column; binary data adds no cell.
//
// Not thread-safe: one encoder per loader thread, reused. The cells view the
// event and the encoder's buffers: valid until the next Encode.
#pragma once

#include <deque>
#include <span>
#include <string>
#include <vector>

#include <simdjson.h>

#include "core/cloud_event.h"
#include "core/status.h"
#include "lake/table_row.h"

namespace eventlake::lake {

// The attribute columns every event table starts with.
std::vector<Column> EventAttributeColumns();

// The column a top-level data member named `member` goes to: sanitised
// (SanitizeColumnName) and, when it clashes with an attribute column,
// data_<name>. What Encode uses, and declared schemas too.
std::string DataColumnName(std::string_view member);

class EventRowEncoder {
 public:
  // `fallback_time` is the event's time when it has none (the append time).
  // InvalidArgument when the JSON data does not parse.
  Result<std::span<const Cell>> Encode(const CloudEvent& event, TimestampMicros fallback_time);

 private:
  std::string_view Keep(std::string text);
  std::string_view ColumnNameFor(std::string_view member);

  simdjson::dom::parser parser_;
  std::vector<Cell> cells_;
  std::deque<std::string> owned_;  // names and texts the cells view
};

}  // namespace eventlake::lake
