// RowEventReader: the rows of a prepared statement's result read straight
// from its chunks as events, by the rule of row_event.h, instead of
// DuckDB rendering each row with to_json and EventFromRow parsing that
// again. The events are the same, their data byte for byte (members
// sorted by name, as nlohmann dumps them).
//
// It takes the columns whose types it can read (vector_json.h's, JSON,
// and TIMESTAMP WITH TIME ZONE for `time`); For() declines any other
// statement, whose rows the caller renders with to_json instead.
//
// Threads: immutable once made; Event() reads a ChunkStream owned by the
// caller's thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/cloud_event.h"
#include "core/status.h"
#include "engine/prepared_statement.h"
#include "pipeline/row_event.h"

namespace eventlake::pipeline {

class RowEventReader {
 public:
  // nullopt when a column is of a type it does not read (DECIMAL, MAP,
  // DATE, a TIMESTAMP member, ...) or a `data` column comes with a
  // data_data column.
  static std::optional<RowEventReader> For(const engine::PreparedStatement& statement,
                                           RowEventDefaults defaults);

  // Row `row` of the stream's current chunk as an event.
  Result<CloudEvent> Event(const engine::ChunkStream& rows, size_t row) const;

 private:
  enum class Kind { kText, kJson, kRendered, kTimestamp };
  struct Column {
    size_t index = 0;
    Kind kind = Kind::kText;
    std::string key;  // a member's "<name>": as JSON
    bool is_data = false;  // the `data` column, among the members for its place
  };
  RowEventReader() = default;
  // The cell as an attribute's text: a string as it is, another value as JSON.
  Result<std::optional<std::string>> Text(const engine::ChunkStream& rows, size_t row, const Column& c) const;
  // The cell as JSON text; nullopt for NULL (and JSON null).
  Result<std::optional<std::string>> Value(const engine::ChunkStream& rows, size_t row, const Column& c) const;
  // The same appended to *out; false (nothing appended) for NULL and JSON null.
  Result<bool> AppendValue(const engine::ChunkStream& rows, size_t row, const Column& c, std::string* out) const;
  Result<std::string> Data(const engine::ChunkStream& rows, size_t row) const;

  RowEventDefaults defaults_;
  std::optional<Column> id_, source_, type_, subject_, time_, data_;
  std::vector<Column> members_;  // sorted by member name, `data` among them
};

}  // namespace eventlake::pipeline
