// A table's declared schema: the columns of a JSON Schema's top-level
// `properties`, for tables whose columns should not wait for the data to
// show them (docs/lake.md, "Declared schemas").
//
//   {"type": "object", "additionalProperties": false, "properties": {
//     "user": {"type": "string"}, "price": {"type": "number"},
//     "at": {"type": "string", "format": "date-time"}, "tags": {"type": "array"}}}
//
// string -> string (with format date-time: timestamp, from RFC 3339 text),
// integer -> long, number -> double, boolean -> boolean, object and array ->
// string (their JSON text); a type list such as ["string", "null"] takes its
// non-null type. Property names become column names as data members do
// (DataColumnName). `additionalProperties: false` closes the table: a row
// with another member is refused (dead-lettered) instead of adding a column.
#pragma once

#include <string_view>
#include <vector>

#include "core/status.h"
#include "lake/table_schema.h"

namespace eventlake::lake {

struct DeclaredSchema {
  std::vector<Column> columns;  // in the order of `properties`
  bool closed = false;          // additionalProperties: false
};

// InvalidArgument naming the property for a schema that is not an object
// schema, a property without a usable type, or two properties that map to
// one column.
Result<DeclaredSchema> ParseDeclaredSchema(std::string_view json_schema);

}  // namespace eventlake::lake
