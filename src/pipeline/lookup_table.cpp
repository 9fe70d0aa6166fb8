// LookupTable::Load: the files into a sandboxed DuckDB's temporary table,
// its columns checked against the key and fields, then each row as the
// key's text and a JSON array of the fields' values.
#include "pipeline/lookup_table.h"

#include <algorithm>

#include "engine/database.h"

namespace eventlake::pipeline {
namespace {

using engine::SqlIdentifier;
using engine::SqlString;

std::string SqlList(const std::vector<std::string>& items) {
  std::string list;
  for (const std::string& item : items) list += (list.empty() ? "" : ", ") + SqlString(item);
  return "[" + list + "]";
}

// The table function over `files`. A lake table's files may lack columns
// that came later (schema evolution): matched by name.
std::string ReadCall(LookupFormat format, const std::vector<std::string>& files) {
  switch (format) {
    case LookupFormat::kCsv:
      return "read_csv_auto(" + SqlList(files) + ")";
    case LookupFormat::kParquet:
      return "read_parquet(" + SqlList(files) + ", union_by_name = true)";
    case LookupFormat::kJson:
      return "read_json_auto(" + SqlList(files) + ")";
  }
  return "read_csv_auto(" + SqlList(files) + ")";
}

// A DuckDB that may read `files` and nothing else.
Result<std::unique_ptr<engine::Database>> OpenSandbox(const std::vector<std::string>& files) {
  EL_ASSIGN_OR_RETURN(
      auto db, engine::Database::Open({.threads = 1,
                                       .settings = {{"autoload_known_extensions", "false"},
                                                    {"autoinstall_known_extensions", "false"}}}));
  EL_ASSIGN_OR_RETURN(auto connection, db->Connect());
  EL_RETURN_IF_ERROR(
      connection->Execute("SET allowed_paths = " + SqlList(files) +
                          "; SET enable_external_access = false; SET lock_configuration = true;"));
  return db;
}

// The fields a load keeps: those asked for (each a column), or every
// column but the key.
Result<std::vector<std::string>> FieldColumns(const std::vector<std::string>& names,
                                              const LookupColumns& columns, std::string_view name) {
  auto has = [&names](const std::string& column) {
    return std::find(names.begin(), names.end(), column) != names.end();
  };
  auto missing = [&](const std::string& column) {
    std::string all;
    for (const std::string& n : names) all += (all.empty() ? "" : ", ") + n;
    return Err(InvalidArgument(std::string(name) + " has no column " + column +
                               " (its columns: " + all + ")"));
  };
  if (!has(columns.key)) return missing(columns.key);
  if (columns.fields.empty()) {
    std::vector<std::string> fields;
    for (const std::string& n : names) {
      if (n != columns.key) fields.push_back(n);
    }
    return fields;
  }
  for (const std::string& field : columns.fields) {
    if (!has(field)) return missing(field);
  }
  return columns.fields;
}

// A CSV's key column is read as it is written ("007" stays "007", not 7);
// the other columns keep the types DuckDB detects.
Result<std::string> CsvCall(engine::Connection& connection, const std::vector<std::string>& files,
                            const std::string& key) {
  const std::string call = ReadCall(LookupFormat::kCsv, files);
  EL_ASSIGN_OR_RETURN(engine::QueryResult shape,
                      connection.Query("SELECT * FROM " + call + " LIMIT 0"));
  for (size_t c = 0; c < shape.columns(); ++c) {
    if (shape.column_name(c) == key) {
      return "read_csv_auto(" + SqlList(files) + ", types = {" + SqlString(key) + ": 'VARCHAR'})";
    }
  }
  return call;  // no key column: FieldColumns says so
}

// The files as the temporary table `lookup`, at most max_rows rows.
Status ReadFiles(engine::Connection& connection, const std::vector<std::string>& files,
                 LookupFormat format, const LookupColumns& columns, std::string_view name) {
  const uint64_t max_rows = columns.max_rows;
  std::string call = ReadCall(format, files);
  if (format == LookupFormat::kCsv) {
    EL_ASSIGN_OR_RETURN(call, CsvCall(connection, files, columns.key));
  }
  EL_RETURN_IF_ERROR(connection.Execute("CREATE TEMP TABLE lookup AS SELECT * FROM " + call +
                                        " LIMIT " + std::to_string(max_rows + 1)));
  EL_ASSIGN_OR_RETURN(engine::QueryResult count, connection.Query("SELECT count(*) FROM lookup"));
  if (static_cast<uint64_t>(count.Int64(0, 0).value_or(0)) > max_rows) {
    return InvalidArgument(std::string(name) + " has more than " + std::to_string(max_rows) +
                           " rows (max_rows)");
  }
  return Status::Ok();
}

// The SQL expression of a row's fields' values as a JSON array, and in
// *fields their names.
Result<std::string> FieldsArray(engine::Connection& connection, const LookupColumns& columns,
                                std::string_view name, std::vector<std::string>* fields) {
  EL_ASSIGN_OR_RETURN(engine::QueryResult shape, connection.Query("SELECT * FROM lookup LIMIT 0"));
  std::vector<std::string> names;
  for (size_t c = 0; c < shape.columns(); ++c) names.push_back(shape.column_name(c));
  EL_ASSIGN_OR_RETURN(*fields, FieldColumns(names, columns, name));
  std::string values;
  for (const std::string& field : *fields) {
    values += (values.empty() ? "" : ", ") + SqlIdentifier(field);
  }
  return "json_array(" + values + ")";
}

}  // namespace

Result<LookupFormat> ParseLookupFormat(std::string_view name) {
  if (name == "csv") return LookupFormat::kCsv;
  if (name == "parquet") return LookupFormat::kParquet;
  if (name == "json" || name == "ndjson") return LookupFormat::kJson;
  return Err(InvalidArgument("csv, parquet, json or ndjson, not " + std::string(name)));
}

Result<LookupFormat> LookupFormatOfFile(std::string_view file) {
  if (file.ends_with(".gz")) file.remove_suffix(3);
  const size_t dot = file.rfind('.');
  const size_t slash = file.rfind('/');
  const std::string_view extension =
      dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)
          ? ""
          : file.substr(dot + 1);
  if (extension == "csv" || extension == "tsv") return LookupFormat::kCsv;
  if (extension == "parquet") return LookupFormat::kParquet;
  if (extension == "json" || extension == "ndjson" || extension == "jsonl")
    return LookupFormat::kJson;
  return Err(InvalidArgument(
      "the format of " + std::string(file) +
      " is not known by its extension (.csv, .parquet, .json, .ndjson): give format"));
}

Result<std::shared_ptr<const LookupTable>> LookupTable::Load(const std::vector<std::string>& files,
                                                             LookupFormat format,
                                                             const LookupColumns& columns,
                                                             std::string_view name) {
  auto table = std::make_shared<LookupTable>();
  if (files.empty()) return table;
  EL_ASSIGN_OR_RETURN(auto db, OpenSandbox(files));
  EL_ASSIGN_OR_RETURN(auto connection, db->Connect());
  EL_RETURN_IF_ERROR(ReadFiles(*connection, files, format, columns, name));
  EL_ASSIGN_OR_RETURN(std::string values, FieldsArray(*connection, columns, name, &table->fields_));
  const std::string key = SqlIdentifier(columns.key);
  EL_ASSIGN_OR_RETURN(engine::QueryResult rows,
                      connection->Query("SELECT CAST(" + key + " AS VARCHAR), " + values +
                                        "::VARCHAR FROM lookup WHERE " + key + " IS NOT NULL"));
  table->rows_.reserve(rows.rows());
  for (size_t r = 0; r < rows.rows(); ++r) {
    std::optional<std::string> text = rows.String(0, r);
    if (!text.has_value() || table->rows_.contains(*text)) continue;  // the first row of a key wins
    auto row = nlohmann::ordered_json::parse(rows.String(1, r).value_or("[]"), nullptr,
                                             /*allow_exceptions=*/false);
    if (!row.is_array() || row.size() != table->fields_.size()) {
      return Err(Internal("a lookup row is not an array of its fields"));
    }
    table->rows_.emplace(std::move(*text), std::move(row.get_ref<Row&>()));
  }
  return table;
}

}  // namespace eventlake::pipeline
