// AppendVectorJson: scalars written directly, LISTs and STRUCTs by recursion
// into their child vectors.
#include "engine/vector_json.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

namespace eventlake::engine {
namespace {

struct OwnedType {
  duckdb_logical_type type;
  ~OwnedType() { duckdb_destroy_logical_type(&type); }
};

template <typename T>
void AppendInteger(const void* data, uint64_t row, std::string* out) {
  std::array<char, 24> buffer;
  auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), static_cast<const T*>(data)[row]);
  out->append(buffer.data(), end);
}

bool AppendList(duckdb_vector vector, uint64_t row, std::string* out) {
  const auto& entry = static_cast<const duckdb_list_entry*>(duckdb_vector_get_data(vector))[row];
  duckdb_vector child = duckdb_list_vector_get_child(vector);
  out->push_back('[');
  for (uint64_t i = 0; i < entry.length; ++i) {
    if (i > 0) out->push_back(',');
    if (!AppendVectorJson(child, entry.offset + i, out)) return false;
  }
  out->push_back(']');
  return true;
}

bool AppendStruct(duckdb_vector vector, duckdb_logical_type type, uint64_t row, std::string* out) {
  // nlohmann's objects are ordered by key: the members sorted by name.
  std::vector<std::pair<std::string, uint64_t>> members(duckdb_struct_type_child_count(type));
  for (uint64_t i = 0; i < members.size(); ++i) {
    char* name = duckdb_struct_type_child_name(type, i);
    members[i] = {name, i};
    duckdb_free(name);
  }
  std::sort(members.begin(), members.end());
  out->push_back('{');
  for (size_t i = 0; i < members.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(members[i].first, out);
    out->push_back(':');
    if (!AppendVectorJson(duckdb_struct_vector_get_child(vector, members[i].second), row, out)) return false;
  }
  out->push_back('}');
  return true;
}

}  // namespace

bool IsJsonRenderable(duckdb_logical_type type) {
  switch (duckdb_get_type_id(type)) {
    case DUCKDB_TYPE_SQLNULL:
    case DUCKDB_TYPE_BOOLEAN:
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE: return true;
    case DUCKDB_TYPE_VARCHAR: {
      // JSON is a VARCHAR to the C API: its text is JSON already, not a string.
      char* alias = duckdb_logical_type_get_alias(type);
      const bool json = alias != nullptr && std::string_view(alias) == "JSON";
      duckdb_free(alias);
      return !json;
    }
    case DUCKDB_TYPE_LIST: {
      OwnedType child{duckdb_list_type_child_type(type)};
      return IsJsonRenderable(child.type);
    }
    case DUCKDB_TYPE_STRUCT: {
      for (uint64_t i = 0; i < duckdb_struct_type_child_count(type); ++i) {
        OwnedType child{duckdb_struct_type_child_type(type, i)};
        if (!IsJsonRenderable(child.type)) return false;
      }
      return true;
    }
    default: return false;
  }
}

void AppendJsonString(std::string_view text, std::string* out) {
  // nlohmann's escapes: the two that JSON requires, the short forms, \u00xx for other controls.
  // Runs of bytes that stand for themselves (UTF-8 passes as it is) are appended at once.
  out->reserve(out->size() + text.size() + 2);
  out->push_back('"');
  size_t i = 0;
  while (i < text.size()) {
    const size_t run = i;
    while (i < text.size()) {
      const auto c = static_cast<unsigned char>(text[i]);
      if (c < 0x20 || c == '"' || c == '\\') break;
      ++i;
    }
    if (i > run) out->append(text.data() + run, i - run);
    if (i == text.size()) break;
    const char c = text[i++];
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default: {
        constexpr char kHex[] = "0123456789abcdef";
        const char escape[] = {'\\', 'u', '0', '0', kHex[(c >> 4) & 0xf], kHex[c & 0xf]};
        out->append(escape, sizeof escape);
      }
    }
  }
  out->push_back('"');
}

bool AppendJsonDouble(double value, std::string* out) {
  if (!std::isfinite(value)) return false;
  // nlohmann's own shortest digits (what its dump() writes, "6.0" included).
  std::array<char, 64> buffer;
  char* end = nlohmann::detail::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  out->append(buffer.data(), end);
  return true;
}

bool AppendVectorJson(duckdb_vector vector, uint64_t row, std::string* out) {
  uint64_t* validity = duckdb_vector_get_validity(vector);
  if (validity != nullptr && !duckdb_validity_row_is_valid(validity, row)) {
    out->append("null");
    return true;
  }
  OwnedType type{duckdb_vector_get_column_type(vector)};
  const void* data = duckdb_vector_get_data(vector);
  switch (duckdb_get_type_id(type.type)) {
    case DUCKDB_TYPE_SQLNULL: out->append("null"); return true;
    case DUCKDB_TYPE_BOOLEAN: out->append(static_cast<const bool*>(data)[row] ? "true" : "false"); return true;
    case DUCKDB_TYPE_TINYINT: AppendInteger<int8_t>(data, row, out); return true;
    case DUCKDB_TYPE_SMALLINT: AppendInteger<int16_t>(data, row, out); return true;
    case DUCKDB_TYPE_INTEGER: AppendInteger<int32_t>(data, row, out); return true;
    case DUCKDB_TYPE_BIGINT: AppendInteger<int64_t>(data, row, out); return true;
    case DUCKDB_TYPE_UTINYINT: AppendInteger<uint8_t>(data, row, out); return true;
    case DUCKDB_TYPE_USMALLINT: AppendInteger<uint16_t>(data, row, out); return true;
    case DUCKDB_TYPE_UINTEGER: AppendInteger<uint32_t>(data, row, out); return true;
    case DUCKDB_TYPE_UBIGINT: AppendInteger<uint64_t>(data, row, out); return true;
    case DUCKDB_TYPE_FLOAT: return AppendJsonDouble(static_cast<const float*>(data)[row], out);
    case DUCKDB_TYPE_DOUBLE: return AppendJsonDouble(static_cast<const double*>(data)[row], out);
    case DUCKDB_TYPE_VARCHAR: {
      auto* cell = &static_cast<duckdb_string_t*>(const_cast<void*>(data))[row];
      AppendJsonString(std::string_view(duckdb_string_t_data(cell), duckdb_string_t_length(*cell)), out);
      return true;
    }
    case DUCKDB_TYPE_LIST: return AppendList(vector, row, out);
    case DUCKDB_TYPE_STRUCT: return AppendStruct(vector, type.type, row, out);
    default: return false;
  }
}

}  // namespace eventlake::engine
