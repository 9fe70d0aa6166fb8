// arrow_ipc::ParseField (see arrow_ipc_field.h): the C data interface's
// format strings
// (https://arrow.apache.org/docs/format/CDataInterface.html#data-type-description-format-strings)
// as Schema.fbs types and layouts.
#include "query/arrow_ipc_field.h"

#include <charconv>
#include <cstring>
#include <string_view>

namespace eventlake::query::arrow_ipc {
namespace {

Status Unsupported(const Field& field, std::string_view format) {
  return InvalidArgument("column '" + field.name + "': the Arrow type '" + std::string(format) +
                         "' cannot be written as Arrow IPC");
}

void Shape(Field& f, uint8_t type, Layout layout, size_t width = 0) {
  f.type = type;
  f.layout = layout;
  f.width = width;
}

std::optional<int32_t> ParseInt(std::string_view text) {
  int32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<int16_t> TimeUnit(char c) {
  switch (c) {
    case 's':
      return 0;
    case 'm':
      return 1;
    case 'u':
      return 2;
    case 'n':
      return 3;
  }
  return std::nullopt;
}

// "d:38,10" or "d:38,10,256".
bool ParseDecimal(std::string_view spec, Field& f) {
  const size_t comma = spec.find(',');
  if (comma == std::string_view::npos) return false;
  const size_t second = spec.find(',', comma + 1);
  auto precision = ParseInt(spec.substr(0, comma));
  auto scale = ParseInt(
      spec.substr(comma + 1, second == std::string_view::npos ? second : second - comma - 1));
  auto bits = second == std::string_view::npos ? std::optional<int32_t>(128)
                                               : ParseInt(spec.substr(second + 1));
  if (!precision || !scale || !bits || (*bits != 32 && *bits != 64 && *bits != 128 && *bits != 256))
    return false;
  Shape(f, kDecimal, Layout::kFixed, static_cast<size_t>(*bits / 8));
  f.precision = *precision;
  f.scale = *scale;
  f.bit_width = *bits;
  return true;
}

// The temporal formats: "tdD", "ttu", "tsu:UTC", "tDn", "tin", ...
bool ParseTemporal(std::string_view format, Field& f) {
  if (format.size() < 3) return false;
  f.layout = Layout::kFixed;
  const char kind = format[1], unit = format[2];
  if (kind == 'd' && format.size() == 3 && (unit == 'D' || unit == 'm')) {
    f.type = kDate, f.unit = unit == 'D' ? 0 : 1, f.width = unit == 'D' ? 4 : 8;
    return true;
  }
  if (kind == 'i' && format.size() == 3 && (unit == 'M' || unit == 'D' || unit == 'n')) {
    f.type = kInterval, f.unit = unit == 'M' ? 0 : unit == 'D' ? 1 : 2;
    f.width = unit == 'M' ? 4 : unit == 'D' ? 8 : 16;
    return true;
  }
  auto time_unit = TimeUnit(unit);
  if (!time_unit) return false;
  f.unit = *time_unit;
  if (kind == 't' && format.size() == 3) {
    f.type = kTime, f.bit_width = *time_unit < 2 ? 32 : 64, f.width = *time_unit < 2 ? 4 : 8;
    return true;
  }
  if (kind == 'D' && format.size() == 3) {
    f.type = kDuration, f.width = 8;
    return true;
  }
  if (kind == 's' && format.size() >= 4 && format[3] == ':') {
    f.type = kTimestamp, f.width = 8;
    if (format.size() > 4) f.timezone = std::string(format.substr(4));
    return true;
  }
  return false;
}

// "+us:0,1,2" / "+ud:0,1".
bool ParseUnion(std::string_view format, Field& f) {
  if (format.size() < 4 || (format[2] != 's' && format[2] != 'd') || format[3] != ':') return false;
  f.type = kUnion, f.unit = format[2] == 's' ? 0 : 1;
  f.layout = format[2] == 's' ? Layout::kSparseUnion : Layout::kDenseUnion;
  std::string_view ids = format.substr(4);
  while (!ids.empty()) {
    const size_t comma = ids.find(',');
    auto id = ParseInt(ids.substr(0, comma));
    if (!id) return false;
    f.type_ids.push_back(*id);
    ids = comma == std::string_view::npos ? std::string_view() : ids.substr(comma + 1);
  }
  return true;
}

bool ParseNested(std::string_view format, Field& f) {
  if (format == "+l" || format == "+L") {
    f.type = format == "+l" ? kList : kLargeList, f.layout = Layout::kList,
    f.width = format == "+l" ? 4 : 8;
  } else if (format == "+s") {
    Shape(f, kStruct, Layout::kStruct);
  } else if (format == "+m") {
    Shape(f, kMap, Layout::kList, 4);
  } else if (format.starts_with("+w:")) {
    auto size = ParseInt(format.substr(3));
    if (!size || *size < 0) return false;
    f.type = kFixedSizeList, f.layout = Layout::kFixedList, f.size = *size,
    f.width = static_cast<size_t>(*size);
  } else {
    return ParseUnion(format, f);
  }
  return true;
}

// The C data interface's format string as a flatbuffer type and a layout.
bool ParseFormat(std::string_view format, Field& f) {
  if (format.size() == 1) {
    const char c = format[0];
    static constexpr std::string_view kInts = "cCsSiIlL";
    if (size_t i = kInts.find(c); i != std::string_view::npos) {
      f.bit_width = 8 << (i / 2);
      f.is_signed = i % 2 == 0;
      Shape(f, kInt, Layout::kFixed, static_cast<size_t>(f.bit_width / 8));
      return true;
    }
    static constexpr std::string_view kFloats = "efg";  // HALF, SINGLE, DOUBLE
    if (size_t i = kFloats.find(c); i != std::string_view::npos) {
      f.precision = static_cast<int32_t>(i);
      Shape(f, kFloatingPoint, Layout::kFixed, size_t{2} << i);
      return true;
    }
    // Binary and utf8, with 32- and 64-bit offsets.
    static constexpr std::string_view kVariable = "zZuU";
    static constexpr uint8_t kVariableTypes[] = {kBinary, kLargeBinary, kUtf8, kLargeUtf8};
    if (size_t i = kVariable.find(c); i != std::string_view::npos) {
      Shape(f, kVariableTypes[i], Layout::kVarBinary, size_t{4} << (i % 2));
      return true;
    }
    switch (c) {
      case 'n':
        Shape(f, kNullType, Layout::kNull);
        return true;
      case 'b':
        Shape(f, kBool, Layout::kBitmap);
        return true;
    }
    return false;
  }
  if (format.starts_with("d:")) return ParseDecimal(format.substr(2), f);
  if (format.starts_with("w:")) {
    auto size = ParseInt(format.substr(2));
    if (!size || *size <= 0) return false;
    f.type = kFixedSizeBinary, f.size = *size, f.layout = Layout::kFixed,
    f.width = static_cast<size_t>(*size);
    return true;
  }
  if (format.starts_with("t")) return ParseTemporal(format, f);
  if (format.starts_with("+")) return ParseNested(format, f);
  return false;
}

// The C data interface's metadata: int32 count, then (int32 length, bytes) for each key and value.
std::vector<std::pair<std::string, std::string>> ParseMetadata(const char* metadata) {
  std::vector<std::pair<std::string, std::string>> out;
  if (metadata == nullptr) return out;
  auto read_int = [&metadata] {
    int32_t v;
    std::memcpy(&v, metadata, 4);
    metadata += 4;
    return v;
  };
  auto read_string = [&] {
    const int32_t n = read_int();
    std::string s(metadata, static_cast<size_t>(n));
    metadata += n;
    return s;
  };
  for (int32_t i = 0, n = read_int(); i < n; ++i) {
    std::string key = read_string();
    out.emplace_back(std::move(key), read_string());
  }
  return out;
}

bool HasDictionary(const Field& f) {
  if (f.dictionary != nullptr) return true;
  for (const Field& c : f.children) {
    if (HasDictionary(c)) return true;
  }
  return false;
}

Status CheckChildren(const Field& f, const ArrowSchema& schema) {
  const size_t n = static_cast<size_t>(schema.n_children);
  bool ok = true;
  switch (f.layout) {
    case Layout::kList:
    case Layout::kFixedList:
      ok = n == 1;
      break;
    case Layout::kStruct:
      break;
    case Layout::kSparseUnion:
    case Layout::kDenseUnion:
      ok = n == f.type_ids.size();
      break;
    default:
      ok = n == 0;
  }
  if (f.type == kMap) ok = ok && schema.children[0]->n_children == 2;
  if (!ok)
    return InvalidArgument("column '" + f.name +
                           "': its Arrow type has the wrong number of children");
  return Status::Ok();
}

}  // namespace

Result<Field> ParseField(const ArrowSchema& schema, int64_t& next_dictionary_id) {
  Field f;
  f.name = schema.name != nullptr ? schema.name : "";
  f.nullable = (schema.flags & ARROW_FLAG_NULLABLE) != 0;
  f.keys_sorted = (schema.flags & ARROW_FLAG_MAP_KEYS_SORTED) != 0;
  f.metadata = ParseMetadata(schema.metadata);
  const std::string_view format = schema.format != nullptr ? schema.format : "";
  if (!ParseFormat(format, f)) return Err(Unsupported(f, format));
  EL_RETURN_IF_ERROR(CheckChildren(f, schema));
  for (int64_t i = 0; i < schema.n_children; ++i) {
    EL_ASSIGN_OR_RETURN(Field child, ParseField(*schema.children[i], next_dictionary_id));
    f.children.push_back(std::move(child));
  }
  if (schema.dictionary != nullptr) {
    if (f.type != kInt)
      return Err(InvalidArgument("column '" + f.name + "': dictionary indices are not integers"));
    EL_ASSIGN_OR_RETURN(Field values, ParseField(*schema.dictionary, next_dictionary_id));
    if (HasDictionary(values)) return Err(Unsupported(f, "a dictionary of dictionaries"));
    f.dictionary = std::make_unique<Field>(std::move(values));
    f.dictionary_id = next_dictionary_id++;
    f.ordered = (schema.flags & ARROW_FLAG_DICTIONARY_ORDERED) != 0;
  }
  return f;
}

}  // namespace eventlake::query::arrow_ipc
