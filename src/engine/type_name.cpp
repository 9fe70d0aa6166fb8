// TypeName: the SQL spelling of a duckdb_logical_type, nested types included.
#include "engine/type_name.h"

namespace eventlake::engine {
namespace {

// Owns a logical type handed out by the C API.
struct OwnedType {
  duckdb_logical_type type;
  ~OwnedType() { duckdb_destroy_logical_type(&type); }
};

std::string Quoted(const char* name) {
  std::string s = name != nullptr ? name : "";
  bool plain = !s.empty() && !(s[0] >= '0' && s[0] <= '9');
  for (char c : s) plain = plain && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  if (plain) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

std::string TypeName(duckdb_logical_type type) {
  switch (duckdb_get_type_id(type)) {
    case DUCKDB_TYPE_BOOLEAN: return "BOOLEAN";
    case DUCKDB_TYPE_TINYINT: return "TINYINT";
    case DUCKDB_TYPE_SMALLINT: return "SMALLINT";
    case DUCKDB_TYPE_INTEGER: return "INTEGER";
    case DUCKDB_TYPE_BIGINT: return "BIGINT";
    case DUCKDB_TYPE_UTINYINT: return "UTINYINT";
    case DUCKDB_TYPE_USMALLINT: return "USMALLINT";
    case DUCKDB_TYPE_UINTEGER: return "UINTEGER";
    case DUCKDB_TYPE_UBIGINT: return "UBIGINT";
    case DUCKDB_TYPE_HUGEINT: return "HUGEINT";
    case DUCKDB_TYPE_UHUGEINT: return "UHUGEINT";
    case DUCKDB_TYPE_FLOAT: return "FLOAT";
    case DUCKDB_TYPE_DOUBLE: return "DOUBLE";
    case DUCKDB_TYPE_DECIMAL:
      return "DECIMAL(" + std::to_string(duckdb_decimal_width(type)) + "," +
             std::to_string(duckdb_decimal_scale(type)) + ")";
    case DUCKDB_TYPE_VARCHAR: return "VARCHAR";
    case DUCKDB_TYPE_BLOB: return "BLOB";
    case DUCKDB_TYPE_BIT: return "BIT";
    case DUCKDB_TYPE_UUID: return "UUID";
    case DUCKDB_TYPE_DATE: return "DATE";
    case DUCKDB_TYPE_TIME: return "TIME";
    case DUCKDB_TYPE_TIME_TZ: return "TIME WITH TIME ZONE";
    case DUCKDB_TYPE_TIMESTAMP: return "TIMESTAMP";
    case DUCKDB_TYPE_TIMESTAMP_S: return "TIMESTAMP_S";
    case DUCKDB_TYPE_TIMESTAMP_MS: return "TIMESTAMP_MS";
    case DUCKDB_TYPE_TIMESTAMP_NS: return "TIMESTAMP_NS";
    case DUCKDB_TYPE_TIMESTAMP_TZ: return "TIMESTAMP WITH TIME ZONE";
    case DUCKDB_TYPE_INTERVAL: return "INTERVAL";
    case DUCKDB_TYPE_ENUM: return "ENUM";
    case DUCKDB_TYPE_BIGNUM: return "BIGNUM";
    case DUCKDB_TYPE_SQLNULL: return "NULL";
    case DUCKDB_TYPE_LIST: {
      OwnedType child{duckdb_list_type_child_type(type)};
      return TypeName(child.type) + "[]";
    }
    case DUCKDB_TYPE_ARRAY: {
      OwnedType child{duckdb_array_type_child_type(type)};
      return TypeName(child.type) + "[" + std::to_string(duckdb_array_type_array_size(type)) + "]";
    }
    case DUCKDB_TYPE_MAP: {
      OwnedType key{duckdb_map_type_key_type(type)};
      OwnedType value{duckdb_map_type_value_type(type)};
      return "MAP(" + TypeName(key.type) + ", " + TypeName(value.type) + ")";
    }
    case DUCKDB_TYPE_STRUCT:
    case DUCKDB_TYPE_UNION: {
      const bool is_union = duckdb_get_type_id(type) == DUCKDB_TYPE_UNION;
      std::string out = is_union ? "UNION(" : "STRUCT(";
      const idx_t n = is_union ? duckdb_union_type_member_count(type)
                               : duckdb_struct_type_child_count(type);
      for (idx_t i = 0; i < n; ++i) {
        char* name = is_union ? duckdb_union_type_member_name(type, i)
                              : duckdb_struct_type_child_name(type, i);
        OwnedType child{is_union ? duckdb_union_type_member_type(type, i)
                                 : duckdb_struct_type_child_type(type, i)};
        out += (i > 0 ? ", " : "") + Quoted(name) + " " + TypeName(child.type);
        duckdb_free(name);
      }
      return out + ")";
    }
    default: return "OTHER";
  }
}

}  // namespace eventlake::engine
