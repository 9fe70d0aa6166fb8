// SqlStep: the batch into DuckDB, the statement, its rows back as events.
#include "pipeline/sql_step.h"

#include <nlohmann/json.hpp>

#include "pipeline/row_event.h"
#include "pipeline/row_event_reader.h"

namespace eventlake::pipeline {
namespace {

using Json = nlohmann::json;
using engine::SqlIdentifier;
using engine::SqlString;

// Whether JSON text is an object: its first character after white space
// is a brace. Handed to DuckDB as the column is_object, so that the views need
// not parse the data (json_type) to tell; data that is not JSON still
// fails the batch, in json_group_structure or json_transform.
bool IsObjectText(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\n\r");
  return first != std::string_view::npos && text[first] == '{';
}

// A structure (json_group_structure's JSON) with its members sorted,
// nlohmann's objects being sorted maps: text that is not JSON as it is.
std::string CanonicalStructure(const std::string& structure) {
  const Json parsed = Json::parse(structure.empty() ? "null" : structure, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? structure : parsed.dump();
}

}  // namespace

Result<std::unique_ptr<SqlStep>> SqlStep::Create(SqlStepOptions options) {
  const int modes = !options.sql.empty() + !options.filter.empty() + !options.conditions.empty();
  if (modes != 1) {
    return Err(InvalidArgument("a sql step has a statement, a filter step an expression, a route conditions: one of them"));
  }
  if (options.conditions.size() > 64) return Err(InvalidArgument("a route has at most 64 conditions"));
  if (!options.filter.empty()) {
    options.sql = "SELECT ordinal FROM batch_numbered WHERE (" + options.filter + ")";
  }
  if (!options.conditions.empty()) {
    options.sql = "SELECT ordinal";
    for (const std::string& c : options.conditions) options.sql += ", coalesce((" + c + ")::BOOLEAN, false)";
    options.sql += " FROM batch_numbered";
  }
  auto step = std::unique_ptr<SqlStep>(new SqlStep(std::move(options)));
  EL_ASSIGN_OR_RETURN(step->db_, engine::Database::Open({.threads = 1,
                                                         .memory_limit = step->options_.memory_limit,
                                                         .settings = {{"autoload_known_extensions", "false"},
                                                                      {"autoinstall_known_extensions", "false"}}}));
  EL_ASSIGN_OR_RETURN(step->connection_, step->db_->Connect());
  EL_RETURN_IF_ERROR(step->RegisterSource());
  EL_RETURN_IF_ERROR(step->connection_->Execute(
      "SET TimeZone = 'UTC'; SET enable_external_access = false; SET lock_configuration = true;"));
  // Parsed once: a statement that is not one SELECT is a configuration
  // error, not a failure of every batch. (Its columns are only known with
  // a batch: the data's members.)
  EL_ASSIGN_OR_RETURN(engine::QueryResult parsed,
                      step->connection_->Query("SELECT json_serialize_sql(" + SqlString(step->options_.sql) + ")"));
  const Json tree = Json::parse(parsed.String(0, 0).value_or("{}"), nullptr, /*allow_exceptions=*/false);
  if (!tree.is_object() || tree.value("error", true)) {
    const std::string why = tree.is_object() ? tree.value("error_message", std::string()) : std::string();
    return Err(InvalidArgument(step->options_.filter.empty() && step->options_.conditions.empty()
                                   ? "sql step: one SELECT over batch is expected: " + why
                                   : "one SQL expression over the batch's columns is expected: " + why));
  }
  if (!tree.contains("statements") || tree["statements"].size() != 1) {
    return Err(InvalidArgument("sql step: one SELECT over batch is expected, not several statements"));
  }
  EL_RETURN_IF_ERROR(step->Load({}));
  return step;
}

Status SqlStep::RegisterSource() {
  std::vector<engine::SourceColumn> columns = {
      {"ordinal", engine::SourceType::kBigint},     {"id", engine::SourceType::kVarchar},
      {"source", engine::SourceType::kVarchar},     {"type", engine::SourceType::kVarchar},
      {"subject", engine::SourceType::kVarchar},    {"time", engine::SourceType::kTimestampTz},
      {"data", engine::SourceType::kJson},          {"is_object", engine::SourceType::kBoolean}};
  if (options_.window_columns) {
    columns.push_back({"window_start", engine::SourceType::kTimestampTz});
    columns.push_back({"window_end", engine::SourceType::kTimestampTz});
  }
  EL_ASSIGN_OR_RETURN(source_, engine::RowSource::Register(*connection_, "batch_events", std::move(columns)));
  return Status::Ok();
}

void SqlStep::SetRows(std::span<const BatchRecord> batch, WindowBounds window) {
  const bool windowed = options_.window_columns;
  source_->SetRows(batch.size(), [batch, window, windowed](size_t first, size_t rows, engine::RowWriter& out) {
    for (size_t row = 0; row < rows; ++row) {
      const CloudEvent& e = batch[first + row].event;
      out.Int64(0, row, static_cast<int64_t>(first + row));
      out.String(1, row, e.id);
      out.String(2, row, e.source);
      out.String(3, row, e.type);
      e.subject.has_value() ? out.String(4, row, *e.subject) : out.Null(4, row);
      e.time.has_value() ? out.TimestampMicros(5, row, *e.time) : out.Null(5, row);
      const bool has_data = !e.data.empty() && !e.data_is_binary;
      has_data ? out.String(6, row, e.data) : out.Null(6, row);
      out.Bool(7, row, has_data && IsObjectText(e.data));
      if (windowed) {
        out.TimestampMicros(8, row, window.start);
        out.TimestampMicros(9, row, window.end);
      }
    }
  });
}

Result<std::string> SqlStep::Structure(std::span<const BatchRecord> batch, const ShapeSample* sample) {
  if (batch.empty()) return std::string();
  std::string where = "json_type(data) = 'OBJECT'";
  if (sample != nullptr) {
    if (sample->ordinals.empty()) return std::string("null");  // no object: what json_group_structure says
    where = "ordinal IN (";
    for (size_t i = 0; i < sample->ordinals.size(); ++i) {
      where += (i > 0 ? ", " : "") + std::to_string(sample->ordinals[i]);
    }
    where += ") AND json_type(data) = 'OBJECT'";
  }
  EL_ASSIGN_OR_RETURN(engine::QueryResult s,
                      connection_->Query("SELECT json_group_structure(data)::VARCHAR FROM batch_events() WHERE " + where));
  return s.String(0, 0).value_or("null");
}

Status SqlStep::CreateViews(const std::string& structure_text) {
  const bool windowed = options_.window_columns;
  // The data's members as columns, typed by DuckDB over the batch.
  std::string members;
  std::string structure;
  const Json shape = Json::parse(structure_text.empty() ? "null" : structure_text, nullptr, /*allow_exceptions=*/false);
  if (shape.is_object()) {
    for (const auto& [name, type] : shape.items()) {
      // As in the lake's event tables: a member named like a column before it is data_<name>.
      const bool taken = IsEventColumn(name) || (windowed && (name == "window_start" || name == "window_end"));
      members += ", s." + SqlIdentifier(name) + " AS " + SqlIdentifier(taken ? "data_" + name : name);
    }
    if (!shape.empty()) structure = shape.dump();
  }
  // Objects are spread into the members' columns; other JSON data is the `data` column.
  const std::string from =
      structure.empty() ? "batch_events()"
                        : "(SELECT *, json_transform(CASE WHEN is_object THEN data END, " +
                              SqlString(structure) + ") AS s FROM batch_events())";
  // `batch` is what statements see; batch_numbered adds each event's place
  // in the batch, for the filter step.
  const std::string columns = std::string("id, source, type, subject, time, ") +
                              (windowed ? "window_start, window_end, " : "") +
                              "CASE WHEN is_object THEN NULL ELSE data END AS data" +
                              (structure.empty() ? std::string() : members);
  return connection_->Execute("CREATE OR REPLACE TEMP VIEW batch_numbered AS SELECT ordinal, " + columns +
                              " FROM " + from + "; CREATE OR REPLACE TEMP VIEW batch AS SELECT " + columns +
                              " FROM " + from);
}

Status SqlStep::Load(std::span<const BatchRecord> batch, WindowBounds window) {
  SetRows(batch, window);
  // The views (and the statement bound to them) change only with the
  // batch's structure: the members and their types. The data's shapes
  // tell when it cannot have changed, and otherwise which events to ask.
  std::optional<ShapeSample> sample = shapes_.Sample(batch);
  std::optional<std::string> shape_key;
  if (sample.has_value()) shape_key = sample->key;
  if (views_ready_ && shape_key.has_value() && shape_key == shape_key_) return Status::Ok();
  EL_ASSIGN_OR_RETURN(std::string structure, Structure(batch, sample.has_value() ? &*sample : nullptr));
  // Members in another order are the same views (they list them sorted).
  structure = CanonicalStructure(structure);
  if (views_ready_ && structure == structure_) {
    shape_key_ = std::move(shape_key);
    return Status::Ok();
  }
  views_ready_ = false;
  statement_.reset();
  reader_.reset();
  EL_RETURN_IF_ERROR(CreateViews(structure));
  structure_ = std::move(structure);
  shape_key_ = std::move(shape_key);
  views_ready_ = true;
  return Status::Ok();
}

Result<engine::PreparedStatement*> SqlStep::Statement() {
  if (statement_ != nullptr) return statement_.get();
  if (!options_.filter.empty()) {
    EL_ASSIGN_OR_RETURN(statement_, connection_->Prepare("SELECT ordinal FROM (\n" + options_.sql + "\n) ORDER BY ordinal"));
  } else if (!options_.conditions.empty()) {
    EL_ASSIGN_OR_RETURN(statement_, connection_->Prepare("SELECT * FROM (\n" + options_.sql + "\n) ORDER BY ordinal"));
  } else {
    // The rows read from their columns when the reader takes their types;
    // otherwise rendered by to_json (the same wrapping: the same names).
    EL_ASSIGN_OR_RETURN(statement_, connection_->Prepare("SELECT * FROM (\n" + options_.sql + "\n) AS q"));
    reader_ = RowEventReader::For(*statement_, {.source = options_.default_source, .type = options_.default_type});
    if (!reader_.has_value()) {
      EL_ASSIGN_OR_RETURN(statement_, connection_->Prepare("SELECT to_json(q)::VARCHAR FROM (\n" + options_.sql + "\n) AS q"));
    }
  }
  return statement_.get();
}

Result<std::vector<CloudEvent>> SqlStep::Query() {
  EL_ASSIGN_OR_RETURN(engine::PreparedStatement * statement, Statement());
  EL_ASSIGN_OR_RETURN(engine::ChunkStream rows, statement->Execute());
  std::vector<CloudEvent> out;
  const RowEventDefaults defaults{.source = options_.default_source, .type = options_.default_type};
  while (true) {
    EL_ASSIGN_OR_RETURN(bool more, rows.Next());
    if (!more) break;
    for (size_t r = 0; r < rows.rows(); ++r) {
      if (reader_.has_value()) {
        EL_ASSIGN_OR_RETURN(CloudEvent e, reader_->Event(rows, r));
        out.push_back(std::move(e));
        continue;
      }
      Json row = Json::parse(rows.Text(0, r).value_or("{}"), nullptr, /*allow_exceptions=*/false);
      if (!row.is_object()) return Err(Internal("a result row is not a JSON object"));
      EL_ASSIGN_OR_RETURN(CloudEvent e, EventFromRow(std::move(row), defaults));
      out.push_back(std::move(e));
    }
  }
  return out;
}

Result<StepResult> SqlStep::Filter(std::span<const BatchRecord> batch) {
  EL_ASSIGN_OR_RETURN(engine::PreparedStatement * statement, Statement());
  EL_ASSIGN_OR_RETURN(engine::ChunkStream rows, statement->Execute());
  StepResult out;
  while (true) {
    EL_ASSIGN_OR_RETURN(bool more, rows.Next());
    if (!more) break;
    for (size_t r = 0; r < rows.rows(); ++r) {
      const std::optional<int64_t> ordinal = rows.Int64(0, r);
      if (!ordinal.has_value() || *ordinal < 0 || static_cast<size_t>(*ordinal) >= batch.size()) {
        return Err(Internal("the filter answered a record that is not in the batch"));
      }
      out.Keep(static_cast<size_t>(*ordinal));
    }
  }
  return out;
}

Result<std::vector<uint64_t>> SqlStep::Conditions(std::span<const BatchRecord> batch) {
  std::lock_guard lock(mu_);
  EL_RETURN_IF_ERROR(Load(batch));
  EL_ASSIGN_OR_RETURN(engine::PreparedStatement * statement, Statement());
  EL_ASSIGN_OR_RETURN(engine::ChunkStream rows, statement->Execute());
  std::vector<uint64_t> truths;
  truths.reserve(batch.size());
  while (true) {
    EL_ASSIGN_OR_RETURN(bool more, rows.Next());
    if (!more) break;
    for (size_t r = 0; r < rows.rows(); ++r) {
      uint64_t bits = 0;
      for (size_t c = 0; c < options_.conditions.size(); ++c) {
        if (rows.Bool(c + 1, r).value_or(false)) bits |= uint64_t{1} << c;
      }
      truths.push_back(bits);
    }
  }
  if (truths.size() != batch.size()) return Err(Internal("the route's conditions did not answer every record"));
  return truths;
}

Result<std::vector<CloudEvent>> SqlStep::RunWindow(std::span<const BatchRecord> batch, WindowBounds window) {
  if (!options_.window_columns || options_.sql.empty()) return Err(Internal("the sql step is not windowed"));
  std::lock_guard lock(mu_);
  EL_RETURN_IF_ERROR(Load(batch, window));
  return Query();
}

StepResult SqlStep::Run(std::span<const BatchRecord> batch) {
  std::lock_guard lock(mu_);
  Status loaded = Load(batch);
  if (!loaded.ok()) return {std::move(loaded), {}, {}};
  if (!options_.filter.empty()) {
    auto passed = Filter(batch);
    if (!passed.has_value()) return {passed.error(), {}, {}};
    return std::move(*passed);
  }
  auto out = Query();
  if (!out.has_value()) return {out.error(), {}, {}};
  return {Status::Ok(), std::move(*out), {}};
}

}  // namespace eventlake::pipeline
