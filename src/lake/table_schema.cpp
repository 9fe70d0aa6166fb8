// Column types, names and evolution rules; Delta schemaString in and out.
#include "lake/table_schema.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace eventlake::lake {
namespace {

struct TypeNames {
  ColumnType type;
  std::string_view delta;
  std::string_view duckdb;
};

constexpr TypeNames kTypes[] = {
    {ColumnType::kString, "string", "VARCHAR"},     {ColumnType::kLong, "long", "BIGINT"},
    {ColumnType::kDouble, "double", "DOUBLE"},      {ColumnType::kBoolean, "boolean", "BOOLEAN"},
    {ColumnType::kTimestamp, "timestamp", "TIMESTAMPTZ"}, {ColumnType::kDate, "date", "DATE"},
    {ColumnType::kInteger, "integer", "INTEGER"},
};

const TypeNames& NamesOf(ColumnType type) {
  for (const TypeNames& t : kTypes) {
    if (t.type == type) return t;
  }
  return kTypes[0];
}

int NumericRank(ColumnType type) {
  switch (type) {
    case ColumnType::kInteger: return 1;
    case ColumnType::kLong: return 2;
    case ColumnType::kDouble: return 3;
    default: return 0;
  }
}

}  // namespace

const Column* TableSchema::Find(std::string_view name) const {
  for (const Column& c : columns) {
    if (ColumnNamesEqual(c.name, name)) return &c;
  }
  return nullptr;
}

Column* TableSchema::Find(std::string_view name) {
  return const_cast<Column*>(static_cast<const TableSchema*>(this)->Find(name));
}

bool TableSchema::IsPartitionColumn(std::string_view name) const {
  return std::any_of(partition_columns.begin(), partition_columns.end(),
                     [&](const std::string& p) { return ColumnNamesEqual(p, name); });
}

std::vector<Column> TableSchema::DataColumns() const {
  std::vector<Column> out;
  for (const Column& c : columns) {
    if (!IsPartitionColumn(c.name)) out.push_back(c);
  }
  return out;
}

bool ColumnNamesEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string ColumnKey(std::string_view name) {
  std::string out(name);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view DeltaTypeName(ColumnType type) { return NamesOf(type).delta; }
std::string_view DuckDbTypeName(ColumnType type) { return NamesOf(type).duckdb; }
std::string_view ColumnTypeName(ColumnType type) { return NamesOf(type).delta; }

Result<ColumnType> ParseDeltaType(std::string_view name) {
  for (const TypeNames& t : kTypes) {
    if (t.delta == name) return t.type;
  }
  return Err(InvalidArgument("unsupported Delta column type: " + std::string(name)));
}

std::optional<ColumnType> WidenFor(ColumnType have, ColumnType incoming) {
  if (have == incoming) return have;
  const int a = NumericRank(have);
  const int b = NumericRank(incoming);
  if (a == 0 || b == 0) return std::nullopt;
  return a >= b ? have : incoming;
}

Status ValidateColumnName(std::string_view name) {
  if (name.empty() || name.size() > 128) {
    return InvalidArgument("column name must be 1 to 128 bytes: " + std::string(name));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = name[i];
    const bool ok = std::isalpha(c) || c == '_' || (i > 0 && std::isdigit(c));
    if (!ok || c >= 0x80) {
      return InvalidArgument("column name " + std::string(name) +
                             ": only [A-Za-z_][A-Za-z0-9_]* is allowed");
    }
  }
  return Status::Ok();
}

std::string SanitizeColumnName(std::string_view name) {
  std::string out;
  for (unsigned char c : name) {
    out += (c < 0x80 && (std::isalnum(c) || c == '_')) ? static_cast<char>(c) : '_';
  }
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out.insert(0, "_");
  if (out.size() > 128) out.resize(128);
  return out;
}

std::string ToDeltaSchemaString(const TableSchema& schema) {
  nlohmann::ordered_json fields = nlohmann::ordered_json::array();
  for (const Column& c : schema.columns) {
    fields.push_back({{"name", c.name},
                      {"type", DeltaTypeName(c.type)},
                      {"nullable", true},
                      {"metadata", nlohmann::ordered_json::object()}});
  }
  return nlohmann::ordered_json{{"type", "struct"}, {"fields", fields}}.dump();
}

Result<std::vector<Column>> ParseDeltaSchemaString(std::string_view text) {
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || doc.value("type", "") != "struct" || !doc.contains("fields") ||
      !doc["fields"].is_array()) {
    return Err(Corruption("schemaString is not a Delta struct type"));
  }
  std::vector<Column> columns;
  for (const auto& field : doc["fields"]) {
    if (!field.is_object() || !field.contains("name") || !field["name"].is_string() ||
        !field.contains("type") || !field["type"].is_string()) {
      return Err(Corruption("schemaString field without a name or a primitive type"));
    }
    EL_ASSIGN_OR_RETURN(ColumnType type, ParseDeltaType(field["type"].get<std::string>()));
    columns.push_back({field["name"].get<std::string>(), type});
  }
  return columns;
}

}  // namespace eventlake::lake
