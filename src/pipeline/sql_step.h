// The `sql` step (issue 6): a DuckDB statement over the batch as a table
// named `batch`, whose rows become the step's events; and the `filter`
// step, an SQL expression over the same columns that keeps the events for
// which it is true, exactly as they came; and the route step's
// conditions (route_step.h).
//
// `batch` has the events' attributes id, source, type, subject (VARCHAR)
// and time (TIMESTAMP WITH TIME ZONE), then each member of the data's
// top-level objects as a column of its own, typed by DuckDB from the
// batch's values (a member named like an attribute, or `data`, is the
// column data_<name>, as in the lake's event tables), and `data`: the JSON
// data of an event whose data is not an object (NULL otherwise):
//
//   SELECT *, upper(country) AS country_code FROM batch WHERE price > 0
//
// Each result row is one event: the columns id, source, type, subject and
// time set those attributes (a missing id is a new UUIDv7, a missing
// source and type the step's defaults, a missing time none), the other
// columns that are not NULL are the members of its data object
// (data_<attribute> the member <attribute>), and a non-NULL `data` with no
// other member is its data. An aggregation is
// fine (its rows are new events); a statement that fails — a cast an
// event's value cannot take, data that is not JSON — fails the batch, and
// the batch runner isolates the records that make it fail.
//
// The statement runs in a DuckDB of its own that reads no files, loads no
// extensions and cannot change its settings: `batch` is all it can read.
//
// Threads: Run may be called from several threads (a pipeline's
// partitions); they take turns on the step's one DuckDB connection.
#pragma once

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/database.h"
#include "engine/row_source.h"
#include "pipeline/batch_runner.h"
#include "pipeline/data_shapes.h"
#include "pipeline/row_event_reader.h"

namespace eventlake::pipeline {

struct SqlStepOptions {
  std::string sql;
  // The `filter` step instead: the events for which this SQL expression
  // over the batch's columns is true pass on unchanged (as received, not
  // rebuilt from their columns); `sql` must then be empty.
  std::string filter;
  // The route step's conditions instead (at most 64 SQL expressions over
  // the same columns): Conditions() answers which hold for each event.
  std::vector<std::string> conditions;
  std::string default_source = "/eventlake/pipeline";
  std::string default_type = "eventlake.pipeline.sql";
  std::string memory_limit = "256MB";
  // A windowed step's (window_step.h): `batch` also has the columns
  // window_start and window_end (TIMESTAMP WITH TIME ZONE), the bounds of
  // the window RunWindow is given, the same on every row.
  bool window_columns = false;
};

// The bounds of a tumbling window: [start, end) in microseconds since the epoch.
struct WindowBounds {
  TimestampMicros start = 0;
  TimestampMicros end = 0;
};

class SqlStep {
 public:
  // InvalidArgument when the SQL is not one SELECT (what it names is only
  // known against a batch: a missing column or table fails each batch).
  static Result<std::unique_ptr<SqlStep>> Create(SqlStepOptions options);

  StepResult Run(std::span<const BatchRecord> batch);
  // With window_columns: the statement over the events of one window.
  Result<std::vector<CloudEvent>> RunWindow(std::span<const BatchRecord> batch, WindowBounds window);
  // With `conditions`: per event of the batch, bit i set when condition i
  // is true for it (NULL is false).
  Result<std::vector<uint64_t>> Conditions(std::span<const BatchRecord> batch);

 private:
  explicit SqlStep(SqlStepOptions options) : options_(std::move(options)) {}
  // The batch as batch_events(), and the views over it when the
  // batch's structure is not the previous batch's.
  Status Load(std::span<const BatchRecord> batch, WindowBounds window = {});
  // batch_events(): the batch's attributes, data and is_object, read by
  // DuckDB from `batch` (which must outlive the step's queries over it).
  Status RegisterSource();
  void SetRows(std::span<const BatchRecord> batch, WindowBounds window);
  // The batch's structure: json_group_structure of its object data (of
  // the sample's events, when there is one).
  Result<std::string> Structure(std::span<const BatchRecord> batch, const ShapeSample* sample);
  Status CreateViews(const std::string& structure);
  // The statement run over the views, prepared once per structure.
  Result<engine::PreparedStatement*> Statement();
  Result<std::vector<CloudEvent>> Query();
  Result<StepResult> Filter(std::span<const BatchRecord> batch);

  SqlStepOptions options_;
  std::unique_ptr<engine::Database> db_;
  std::mutex mu_;  // Run holds it: one connection
  std::unique_ptr<engine::Connection> connection_;
  std::unique_ptr<engine::RowSource> source_;  // on connection_
  // What the views were made for; statement_ is bound to them (null until
  // prepared, and again when they change).
  bool views_ready_ = false;
  std::string structure_;
  DataShapes shapes_;
  std::optional<std::string> shape_key_;  // the shapes structure_ was found for
  std::unique_ptr<engine::PreparedStatement> statement_;
  // How the sql step reads statement_'s rows; none: they are to_json's text.
  std::optional<RowEventReader> reader_;
};

}  // namespace eventlake::pipeline
