// SqlStep: the batch into DuckDB, the statement, its rows back as events.
#include "pipeline/sql_step.h"

#include <array>

#include <nlohmann/json.hpp>

#include "core/id.h"

namespace eventlake::pipeline {
namespace {

using Json = nlohmann::json;
using engine::SqlIdentifier;
using engine::SqlString;

constexpr std::array<std::string_view, 6> kBatchColumns = {"id", "source", "type", "subject", "time", "data"};

bool IsBatchColumn(std::string_view name) {
  for (std::string_view c : kBatchColumns) {
    if (c == name) return true;
  }
  return false;
}

// DuckDB's text of a TIMESTAMP WITH TIME ZONE ("2026-12-01 10:00:00.5+00")
// as RFC 3339.
Result<TimestampMicros> ParseDuckDbTimestamp(std::string text) {
  if (text.size() > 10 && text[10] == ' ') text[10] = 'T';
  if (text.size() > 3 && (text[text.size() - 3] == '+' || text[text.size() - 3] == '-')) text += ":00";
  auto micros = ParseRfc3339(text);
  if (!micros.has_value()) return Err(InvalidArgument("the column time is not a timestamp: " + text));
  return *micros;
}

}  // namespace

Result<std::unique_ptr<SqlStep>> SqlStep::Create(SqlStepOptions options) {
  if (options.sql.empty() == options.filter.empty()) {
    return Err(InvalidArgument("a sql step has a statement, a filter step an expression: one of them"));
  }
  if (!options.filter.empty()) {
    options.sql = "SELECT ordinal FROM batch_numbered WHERE (" + options.filter + ")";
  }
  auto step = std::unique_ptr<SqlStep>(new SqlStep(std::move(options)));
  EL_ASSIGN_OR_RETURN(step->db_, engine::Database::Open({.threads = 1,
                                                         .memory_limit = step->options_.memory_limit,
                                                         .settings = {{"autoload_known_extensions", "false"},
                                                                      {"autoinstall_known_extensions", "false"}}}));
  EL_ASSIGN_OR_RETURN(step->connection_, step->db_->Connect());
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
    return Err(InvalidArgument(step->options_.filter.empty()
                                   ? "sql step: one SELECT over batch is expected: " + why
                                   : "filter step: one SQL expression over the batch's columns is expected: " + why));
  }
  if (!tree.contains("statements") || tree["statements"].size() != 1) {
    return Err(InvalidArgument("sql step: one SELECT over batch is expected, not several statements"));
  }
  EL_RETURN_IF_ERROR(step->Load({}));
  return step;
}

Status SqlStep::Load(std::span<const BatchRecord> batch) {
  EL_RETURN_IF_ERROR(connection_->Execute(
      "CREATE OR REPLACE TEMP TABLE batch_events (ordinal BIGINT, id VARCHAR, source VARCHAR, type VARCHAR, "
      "subject VARCHAR, time TIMESTAMPTZ, data JSON)"));
  {
    EL_ASSIGN_OR_RETURN(engine::Appender appender, connection_->AppendTo("batch_events"));
    int64_t ordinal = 0;
    for (const BatchRecord& r : batch) {
      const CloudEvent& e = r.event;
      EL_RETURN_IF_ERROR(appender.Int64(ordinal++));
      EL_RETURN_IF_ERROR(appender.String(e.id));
      EL_RETURN_IF_ERROR(appender.String(e.source));
      EL_RETURN_IF_ERROR(appender.String(e.type));
      EL_RETURN_IF_ERROR(e.subject.has_value() ? appender.String(*e.subject) : appender.Null());
      EL_RETURN_IF_ERROR(e.time.has_value() ? appender.TimestampMicros(*e.time) : appender.Null());
      EL_RETURN_IF_ERROR(e.data.empty() || e.data_is_binary ? appender.Null() : appender.String(e.data));
      EL_RETURN_IF_ERROR(appender.EndRow());
    }
    EL_RETURN_IF_ERROR(appender.Close());
  }
  // The data's members as columns, typed by DuckDB over this batch.
  std::string members;
  std::string structure;
  if (!batch.empty()) {
    EL_ASSIGN_OR_RETURN(engine::QueryResult s,
                        connection_->Query("SELECT json_group_structure(data)::VARCHAR FROM batch_events "
                                           "WHERE json_type(data) = 'OBJECT'"));
    const Json shape = Json::parse(s.String(0, 0).value_or("null"), nullptr, /*allow_exceptions=*/false);
    if (shape.is_object()) {
      for (const auto& [name, type] : shape.items()) {
        // As in the lake's event tables: a member named like a column before it is data_<name>.
        members += ", s." + SqlIdentifier(name) + " AS " + SqlIdentifier(IsBatchColumn(name) ? "data_" + name : name);
      }
      if (!shape.empty()) structure = shape.dump();
    }
  }
  // Objects are spread into the members' columns; other JSON data is the `data` column.
  const std::string from =
      structure.empty() ? "batch_events"
                        : "(SELECT *, json_transform(CASE WHEN json_type(data) = 'OBJECT' THEN data END, " +
                              SqlString(structure) + ") AS s FROM batch_events)";
  // `batch` is what statements see; batch_numbered adds each event's place
  // in the batch, for the filter step.
  const std::string columns = "id, source, type, subject, time, "
                              "CASE WHEN json_type(data) = 'OBJECT' THEN NULL ELSE data END AS data" +
                              (structure.empty() ? std::string() : members);
  return connection_->Execute("CREATE OR REPLACE TEMP VIEW batch_numbered AS SELECT ordinal, " + columns +
                              " FROM " + from + "; CREATE OR REPLACE TEMP VIEW batch AS SELECT " + columns +
                              " FROM " + from);
}

Result<std::vector<CloudEvent>> SqlStep::Query() {
  EL_ASSIGN_OR_RETURN(engine::QueryResult rows,
                      connection_->Query("SELECT to_json(q)::VARCHAR FROM (\n" + options_.sql + "\n) AS q"));
  std::vector<CloudEvent> out;
  out.reserve(rows.rows());
  for (size_t r = 0; r < rows.rows(); ++r) {
    Json row = Json::parse(rows.String(0, r).value_or("{}"), nullptr, /*allow_exceptions=*/false);
    if (!row.is_object()) return Err(Internal("a result row is not a JSON object"));
    CloudEvent e;
    auto text = [&](const char* name) -> std::optional<std::string> {
      auto it = row.find(name);
      if (it == row.end()) return std::nullopt;
      std::optional<std::string> value;
      if (it->is_string()) value = it->get<std::string>();
      else if (!it->is_null()) value = it->dump();
      row.erase(it);
      return value;
    };
    e.id = text("id").value_or("");
    if (e.id.empty()) e.id = NewEventId();
    e.source = text("source").value_or(options_.default_source);
    e.type = text("type").value_or(options_.default_type);
    e.subject = text("subject");
    if (std::optional<std::string> time = text("time")) {
      EL_ASSIGN_OR_RETURN(e.time, ParseDuckDbTimestamp(*time));
    }
    // A `data` column is data that is not an object (NULL for objects:
    // SELECT * passes it through); data_<attribute> is the member <attribute>.
    Json data = Json::object();
    Json other = nullptr;
    if (auto it = row.find("data"); it != row.end()) {
      other = std::move(*it);
      row.erase(it);
    }
    for (auto& [name, value] : row.items()) {
      if (value.is_null()) continue;  // NULL is no value, as in the lake's rows
      const bool renamed = name.starts_with("data_") && IsBatchColumn(std::string_view(name).substr(5));
      data[renamed ? name.substr(5) : name] = std::move(value);
    }
    if (!other.is_null() && data.empty()) {
      e.data = other.dump();
    } else {
      if (!other.is_null()) data["data"] = std::move(other);
      e.data = data.dump();
    }
    e.data_content_type = "application/json";
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<CloudEvent>> SqlStep::Filter(std::span<const BatchRecord> batch) {
  EL_ASSIGN_OR_RETURN(engine::QueryResult rows,
                      connection_->Query("SELECT ordinal FROM (\n" + options_.sql + "\n) ORDER BY ordinal"));
  std::vector<CloudEvent> out;
  out.reserve(rows.rows());
  for (size_t r = 0; r < rows.rows(); ++r) {
    const std::optional<int64_t> ordinal = rows.Int64(0, r);
    if (!ordinal.has_value() || *ordinal < 0 || static_cast<size_t>(*ordinal) >= batch.size()) {
      return Err(Internal("the filter answered a record that is not in the batch"));
    }
    out.push_back(batch[static_cast<size_t>(*ordinal)].event);
  }
  return out;
}

StepResult SqlStep::Run(std::span<const BatchRecord> batch) {
  std::lock_guard lock(mu_);
  Status loaded = Load(batch);
  if (!loaded.ok()) return {std::move(loaded), {}, {}};
  auto out = options_.filter.empty() ? Query() : Filter(batch);
  if (!out.has_value()) return {out.error(), {}, {}};
  return {Status::Ok(), std::move(*out), {}};
}

}  // namespace eventlake::pipeline
