// ArrowIpcWriter (see arrow_ipc_writer.h). The numbers are those of Arrow's
// format/Schema.fbs and format/Message.fbs (metadata version V5); the
// layouts are the Columnar format's. docs/formats/arrow-ipc.md says which
// types we write and why the way we do.
#include "query/arrow_ipc_writer.h"

#include <bit>
#include <charconv>
#include <cstring>
#include <optional>

#include "query/flatbuffer_builder.h"

namespace eventlake::query {
namespace {

static_assert(std::endian::native == std::endian::little, "Arrow IPC is written little-endian");

using Offset = FlatBufferBuilder::Offset;

// Schema.fbs: union Type.
enum TypeId : uint8_t {
  kNullType = 1, kInt = 2, kFloatingPoint = 3, kBinary = 4, kUtf8 = 5, kBool = 6, kDecimal = 7,
  kDate = 8, kTime = 9, kTimestamp = 10, kInterval = 11, kList = 12, kStruct = 13, kUnion = 14,
  kFixedSizeBinary = 15, kFixedSizeList = 16, kMap = 17, kDuration = 18, kLargeBinary = 19,
  kLargeUtf8 = 20, kLargeList = 21,
};
// Message.fbs: union MessageHeader, and MetadataVersion V5.
constexpr uint8_t kSchemaHeader = 1;
constexpr uint8_t kDictionaryBatchHeader = 2;
constexpr uint8_t kRecordBatchHeader = 3;
constexpr int16_t kVersionV5 = 4;
constexpr uint32_t kContinuation = 0xFFFFFFFF;
constexpr char kEndOfStream[8] = {'\xff', '\xff', '\xff', '\xff', 0, 0, 0, 0};

// How a field's buffers are laid out (the Columnar format's "layouts").
enum class Layout {
  kNull,         // no buffers
  kBitmap,       // validity, values as bits (Bool)
  kFixed,        // validity, `width` bytes a value
  kVarBinary,    // validity, offsets of `width` bytes, data
  kList,         // validity, offsets of `width` bytes; one child (also Map)
  kFixedList,    // validity; one child, `width` values a list
  kStruct,       // validity; the children
  kSparseUnion,  // type ids; the children
  kDenseUnion,   // type ids, int32 offsets; the children
};

// FlatBuffers structs of Message.fbs / Schema.fbs, as laid out there.
struct FieldNode {
  int64_t length;
  int64_t null_count;
};
struct BufferRef {
  int64_t offset;
  int64_t length;
};

size_t PaddedTo8(size_t n) { return (n + 7) & ~size_t{7}; }

}  // namespace

struct ArrowIpcWriter::Field {
  std::string name;
  bool nullable = true;
  std::vector<std::pair<std::string, std::string>> metadata;
  // The flatbuffer Type: its union id and what its table holds.
  uint8_t type = 0;
  int32_t bit_width = 0;      // Int, Decimal, Time
  bool is_signed = false;     // Int
  int32_t precision = 0;      // Decimal; FloatingPoint's enum
  int32_t scale = 0;          // Decimal
  int32_t size = 0;           // FixedSizeBinary, FixedSizeList
  int16_t unit = 0;           // Date, Time, Timestamp, Duration, Interval; Union's mode
  bool keys_sorted = false;   // Map
  std::optional<std::string> timezone;  // Timestamp
  std::vector<int32_t> type_ids;        // Union
  Layout layout = Layout::kNull;
  size_t width = 0;
  std::vector<Field> children;
  // Dictionary-encoded: this field's type is the index's, `dictionary` is
  // the values' (the flatbuffer Field gets the values' type and children).
  std::unique_ptr<Field> dictionary;
  int64_t dictionary_id = -1;
  bool ordered = false;
};

namespace {

using Field = ArrowIpcWriter::Field;

Status Unsupported(const Field& field, std::string_view format) {
  return InvalidArgument("column '" + field.name + "': the Arrow type '" + std::string(format) +
                         "' cannot be written as Arrow IPC");
}

std::optional<int32_t> ParseInt(std::string_view text) {
  int32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<int16_t> TimeUnit(char c) {
  switch (c) {
    case 's': return 0;
    case 'm': return 1;
    case 'u': return 2;
    case 'n': return 3;
  }
  return std::nullopt;
}

// "d:38,10" or "d:38,10,256".
bool ParseDecimal(std::string_view spec, Field& f) {
  const size_t comma = spec.find(',');
  if (comma == std::string_view::npos) return false;
  const size_t second = spec.find(',', comma + 1);
  auto precision = ParseInt(spec.substr(0, comma));
  auto scale = ParseInt(spec.substr(comma + 1, second == std::string_view::npos ? second : second - comma - 1));
  auto bits = second == std::string_view::npos ? std::optional<int32_t>(128) : ParseInt(spec.substr(second + 1));
  if (!precision || !scale || !bits || (*bits != 32 && *bits != 64 && *bits != 128 && *bits != 256)) return false;
  f.type = kDecimal, f.precision = *precision, f.scale = *scale, f.bit_width = *bits;
  f.layout = Layout::kFixed, f.width = static_cast<size_t>(*bits / 8);
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
    f.type = format == "+l" ? kList : kLargeList, f.layout = Layout::kList, f.width = format == "+l" ? 4 : 8;
  } else if (format == "+s") {
    f.type = kStruct, f.layout = Layout::kStruct;
  } else if (format == "+m") {
    f.type = kMap, f.layout = Layout::kList, f.width = 4;
  } else if (format.starts_with("+w:")) {
    auto size = ParseInt(format.substr(3));
    if (!size || *size < 0) return false;
    f.type = kFixedSizeList, f.layout = Layout::kFixedList, f.size = *size, f.width = static_cast<size_t>(*size);
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
      f.type = kInt, f.bit_width = 8 << (i / 2), f.is_signed = i % 2 == 0;
      f.layout = Layout::kFixed, f.width = static_cast<size_t>(f.bit_width / 8);
      return true;
    }
    switch (c) {
      case 'n': f.type = kNullType, f.layout = Layout::kNull; return true;
      case 'b': f.type = kBool, f.layout = Layout::kBitmap; return true;
      case 'e': f.type = kFloatingPoint, f.precision = 0, f.layout = Layout::kFixed, f.width = 2; return true;
      case 'f': f.type = kFloatingPoint, f.precision = 1, f.layout = Layout::kFixed, f.width = 4; return true;
      case 'g': f.type = kFloatingPoint, f.precision = 2, f.layout = Layout::kFixed, f.width = 8; return true;
      case 'z': f.type = kBinary, f.layout = Layout::kVarBinary, f.width = 4; return true;
      case 'Z': f.type = kLargeBinary, f.layout = Layout::kVarBinary, f.width = 8; return true;
      case 'u': f.type = kUtf8, f.layout = Layout::kVarBinary, f.width = 4; return true;
      case 'U': f.type = kLargeUtf8, f.layout = Layout::kVarBinary, f.width = 8; return true;
    }
    return false;
  }
  if (format.starts_with("d:")) return ParseDecimal(format.substr(2), f);
  if (format.starts_with("w:")) {
    auto size = ParseInt(format.substr(2));
    if (!size || *size <= 0) return false;
    f.type = kFixedSizeBinary, f.size = *size, f.layout = Layout::kFixed, f.width = static_cast<size_t>(*size);
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
    case Layout::kFixedList: ok = n == 1; break;
    case Layout::kStruct: break;
    case Layout::kSparseUnion:
    case Layout::kDenseUnion: ok = n == f.type_ids.size(); break;
    default: ok = n == 0;
  }
  if (f.type == kMap) ok = ok && schema.children[0]->n_children == 2;
  if (!ok) return InvalidArgument("column '" + f.name + "': its Arrow type has the wrong number of children");
  return Status::Ok();
}

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
    if (f.type != kInt) return Err(InvalidArgument("column '" + f.name + "': dictionary indices are not integers"));
    EL_ASSIGN_OR_RETURN(Field values, ParseField(*schema.dictionary, next_dictionary_id));
    if (HasDictionary(values)) return Err(Unsupported(f, "a dictionary of dictionaries"));
    f.dictionary = std::make_unique<Field>(std::move(values));
    f.dictionary_id = next_dictionary_id++;
    f.ordered = (schema.flags & ARROW_FLAG_DICTIONARY_ORDERED) != 0;
  }
  return f;
}

// --- Schema metadata ---

Offset IntType(FlatBufferBuilder& b, int32_t bit_width, bool is_signed) {
  b.StartTable();
  b.AddScalar<int32_t>(0, bit_width);
  b.AddScalar<uint8_t>(1, is_signed ? 1 : 0);
  return b.EndTable();
}

// The table of the flatbuffer Type union's member `f.type`.
Offset TypeTable(FlatBufferBuilder& b, const Field& f) {
  if (f.type == kInt) return IntType(b, f.bit_width, f.is_signed);
  Offset extra = 0;  // Timestamp's time zone, Union's type ids
  if (f.type == kTimestamp && f.timezone) extra = b.String(*f.timezone);
  if (f.type == kUnion) extra = b.ScalarVector<int32_t>(f.type_ids);
  b.StartTable();
  switch (f.type) {
    case kFloatingPoint: b.AddScalar<int16_t>(0, static_cast<int16_t>(f.precision)); break;
    case kDecimal:
      b.AddScalar<int32_t>(0, f.precision);
      b.AddScalar<int32_t>(1, f.scale);
      b.AddScalar<int32_t>(2, f.bit_width);
      break;
    case kDate:
    case kInterval:
    case kDuration: b.AddScalar<int16_t>(0, f.unit); break;
    case kTime:
      b.AddScalar<int16_t>(0, f.unit);
      b.AddScalar<int32_t>(1, f.bit_width);
      break;
    case kTimestamp:
    case kUnion:
      b.AddScalar<int16_t>(0, f.unit);
      b.AddOffset(1, extra);
      break;
    case kFixedSizeBinary:
    case kFixedSizeList: b.AddScalar<int32_t>(0, f.size); break;
    case kMap: b.AddScalar<uint8_t>(0, f.keys_sorted ? 1 : 0); break;
    default: break;  // Null, Bool, Utf8, Binary, List, Struct_, ...: empty tables
  }
  return b.EndTable();
}

Offset Metadata(FlatBufferBuilder& b, const std::vector<std::pair<std::string, std::string>>& metadata) {
  if (metadata.empty()) return 0;
  std::vector<Offset> pairs;
  for (const auto& [key, value] : metadata) {
    const Offset k = b.String(key);
    const Offset v = b.String(value);
    b.StartTable();
    b.AddOffset(0, k);
    b.AddOffset(1, v);
    pairs.push_back(b.EndTable());
  }
  return b.OffsetVector(pairs);
}

Offset FieldTable(FlatBufferBuilder& b, const Field& f) {
  const Field& typed = f.dictionary != nullptr ? *f.dictionary : f;
  std::vector<Offset> children;
  for (const Field& c : typed.children) children.push_back(FieldTable(b, c));
  const Offset children_vector = b.OffsetVector(children);
  const Offset name = b.String(f.name);
  const Offset type = TypeTable(b, typed);
  const Offset metadata = Metadata(b, f.metadata);
  Offset dictionary = 0;
  if (f.dictionary != nullptr) {
    const Offset index = IntType(b, f.bit_width, f.is_signed);
    b.StartTable();
    b.AddScalar<int64_t>(0, f.dictionary_id);
    b.AddOffset(1, index);
    b.AddScalar<uint8_t>(2, f.ordered ? 1 : 0);
    dictionary = b.EndTable();
  }
  b.StartTable();
  b.AddOffset(0, name);
  b.AddScalar<uint8_t>(1, f.nullable ? 1 : 0);
  b.AddScalar<uint8_t>(2, typed.type);
  b.AddOffset(3, type);
  b.AddOffset(4, dictionary);
  b.AddOffset(5, children_vector);
  b.AddOffset(6, metadata);
  return b.EndTable();
}

// --- Messages ---

// A Message around the header table `header`, framed and padded.
std::string Encapsulate(FlatBufferBuilder& b, uint8_t header_type, Offset header, std::string_view body) {
  b.StartTable();
  b.AddScalar<int16_t>(0, kVersionV5);
  b.AddScalar<uint8_t>(1, header_type);
  b.AddOffset(2, header);
  b.AddScalar<int64_t>(3, static_cast<int64_t>(body.size()));
  const Offset message = b.EndTable();
  const std::string metadata = b.Finish(message);
  const uint32_t size = static_cast<uint32_t>(PaddedTo8(8 + metadata.size()) - 8);
  std::string out;
  out.reserve(8 + size + body.size());
  out.append(reinterpret_cast<const char*>(&kContinuation), 4);
  out.append(reinterpret_cast<const char*>(&size), 4);
  out += metadata;
  out.resize(8 + size, '\0');
  out += body;
  return out;
}

// One record batch's FieldNodes, Buffers and body, built depth first.
class BatchBody {
 public:
  Status Add(const Field& f, const ArrowArray& a);
  Offset RecordBatch(FlatBufferBuilder& b, int64_t length) const;
  const std::string& body() const { return body_; }
  // The dictionary-encoded arrays met, for their DictionaryBatches.
  const std::vector<std::pair<const Field*, const ArrowArray*>>& dictionaries() const { return dictionaries_; }

 private:
  void Buffer(const void* data, size_t n);
  Status Validity(const Field& f, const ArrowArray& a, int64_t null_count);
  Status Values(const Field& f, const ArrowArray& a);

  std::vector<FieldNode> nodes_;
  std::vector<BufferRef> buffers_;
  std::string body_;
  std::vector<std::pair<const Field*, const ArrowArray*>> dictionaries_;
};

size_t BufferCount(Layout layout) {
  switch (layout) {
    case Layout::kNull: return 0;
    case Layout::kFixedList:
    case Layout::kStruct:
    case Layout::kSparseUnion: return 1;
    case Layout::kVarBinary: return 3;
    default: return 2;
  }
}

int64_t CountNulls(const ArrowArray& a) {
  if (a.null_count >= 0) return a.null_count;
  if (a.n_buffers == 0 || a.buffers[0] == nullptr) return 0;
  const auto* bits = static_cast<const uint8_t*>(a.buffers[0]);
  int64_t valid = 0;
  for (int64_t i = 0; i < a.length; ++i) valid += (bits[i / 8] >> (i % 8)) & 1;
  return a.length - valid;
}

// The last entry of an offsets buffer: the bytes (or child values) used.
int64_t EndOffset(const ArrowArray& a, size_t width) {
  if (a.length == 0 || a.buffers[1] == nullptr) return 0;
  const auto* offsets = static_cast<const uint8_t*>(a.buffers[1]);
  if (width == 4) {
    int32_t end;
    std::memcpy(&end, offsets + 4 * a.length, 4);
    return end;
  }
  int64_t end;
  std::memcpy(&end, offsets + 8 * a.length, 8);
  return end;
}

void BatchBody::Buffer(const void* data, size_t n) {
  buffers_.push_back({static_cast<int64_t>(body_.size()), static_cast<int64_t>(n)});
  if (data != nullptr) {
    body_.append(static_cast<const char*>(data), n);
  } else {
    body_.append(n, '\0');  // an empty array's offsets: zeros
  }
  body_.resize(PaddedTo8(body_.size()), '\0');
}

Status BatchBody::Validity(const Field& f, const ArrowArray& a, int64_t null_count) {
  if (null_count == 0) {
    Buffer(nullptr, 0);  // all valid: an empty buffer, which readers need present
    return Status::Ok();
  }
  if (a.buffers[0] == nullptr) {
    return InvalidArgument("column '" + f.name + "': nulls without a validity bitmap");
  }
  Buffer(a.buffers[0], static_cast<size_t>((a.length + 7) / 8));
  return Status::Ok();
}

Status BatchBody::Add(const Field& f, const ArrowArray& a) {
  if (a.offset != 0) {
    return InvalidArgument("column '" + f.name + "': a sliced Arrow array (offset " + std::to_string(a.offset) +
                           ") cannot be written");
  }
  const size_t children = f.layout == Layout::kFixedList || f.layout == Layout::kList ? 1 : f.children.size();
  if (a.n_buffers != static_cast<int64_t>(BufferCount(f.layout)) || a.n_children != static_cast<int64_t>(children) ||
      (f.dictionary != nullptr) != (a.dictionary != nullptr)) {
    return InvalidArgument("column '" + f.name + "': the array does not match its schema");
  }
  const bool unions = f.layout == Layout::kSparseUnion || f.layout == Layout::kDenseUnion;
  const int64_t null_count = f.layout == Layout::kNull ? a.length : unions ? 0 : CountNulls(a);
  nodes_.push_back({a.length, null_count});
  if (f.dictionary != nullptr) dictionaries_.emplace_back(&f, a.dictionary);
  if (f.layout != Layout::kNull && !unions) EL_RETURN_IF_ERROR(Validity(f, a, null_count));
  return Values(f, a);
}

Status BatchBody::Values(const Field& f, const ArrowArray& a) {
  const size_t length = static_cast<size_t>(a.length);
  auto missing = [&](int64_t i) { return a.buffers[i] == nullptr && length > 0; };
  switch (f.layout) {
    case Layout::kNull: return Status::Ok();
    case Layout::kBitmap:
    case Layout::kFixed:
      if (missing(1)) return InvalidArgument("column '" + f.name + "': a values buffer is missing");
      Buffer(a.buffers[1], f.layout == Layout::kBitmap ? (length + 7) / 8 : length * f.width);
      return Status::Ok();
    case Layout::kVarBinary:
      if (missing(1) || (missing(2) && EndOffset(a, f.width) > 0)) {
        return InvalidArgument("column '" + f.name + "': a buffer is missing");
      }
      Buffer(length == 0 ? nullptr : a.buffers[1], (length + 1) * f.width);
      Buffer(a.buffers[2], static_cast<size_t>(EndOffset(a, f.width)));
      return Status::Ok();
    case Layout::kList:
      if (missing(1)) return InvalidArgument("column '" + f.name + "': the offsets buffer is missing");
      Buffer(length == 0 ? nullptr : a.buffers[1], (length + 1) * f.width);
      if (a.children[0]->length < EndOffset(a, f.width)) {
        return InvalidArgument("column '" + f.name + "': list offsets beyond the values");
      }
      return Add(f.children[0], *a.children[0]);
    case Layout::kFixedList: return Add(f.children[0], *a.children[0]);
    case Layout::kDenseUnion:
    case Layout::kSparseUnion:
      Buffer(a.buffers[0], length);
      if (f.layout == Layout::kDenseUnion) Buffer(a.buffers[1], length * 4);
      [[fallthrough]];
    case Layout::kStruct:
      for (size_t i = 0; i < f.children.size(); ++i) EL_RETURN_IF_ERROR(Add(f.children[i], *a.children[i]));
      return Status::Ok();
  }
  return Status::Ok();
}

Offset BatchBody::RecordBatch(FlatBufferBuilder& b, int64_t length) const {
  const Offset nodes = b.Vector(nodes_.data(), nodes_.size(), sizeof(FieldNode), 8);
  const Offset buffers = b.Vector(buffers_.data(), buffers_.size(), sizeof(BufferRef), 8);
  b.StartTable();
  b.AddScalar<int64_t>(0, length);
  b.AddOffset(1, nodes);
  b.AddOffset(2, buffers);
  return b.EndTable();
}

}  // namespace

ArrowIpcWriter::ArrowIpcWriter(std::unique_ptr<Field> root) : root_(std::move(root)) {}
ArrowIpcWriter::ArrowIpcWriter(ArrowIpcWriter&&) noexcept = default;
ArrowIpcWriter& ArrowIpcWriter::operator=(ArrowIpcWriter&&) noexcept = default;
ArrowIpcWriter::~ArrowIpcWriter() = default;

Result<ArrowIpcWriter> ArrowIpcWriter::Open(const ArrowSchema& schema) {
  if (schema.format == nullptr || std::string_view(schema.format) != "+s") {
    return Err(InvalidArgument("an Arrow IPC stream's schema is a struct of its columns"));
  }
  int64_t next_dictionary_id = 0;
  EL_ASSIGN_OR_RETURN(Field root, ParseField(schema, next_dictionary_id));
  return ArrowIpcWriter(std::make_unique<Field>(std::move(root)));
}

std::string ArrowIpcWriter::SchemaMessage() const {
  FlatBufferBuilder b;
  std::vector<Offset> fields;
  for (const Field& c : root_->children) fields.push_back(FieldTable(b, c));
  const Offset field_vector = b.OffsetVector(fields);
  const Offset metadata = Metadata(b, root_->metadata);
  b.StartTable();
  b.AddScalar<int16_t>(0, 0);  // little-endian
  b.AddOffset(1, field_vector);
  b.AddOffset(2, metadata);
  const Offset schema = b.EndTable();
  return Encapsulate(b, kSchemaHeader, schema, {});
}

Result<bool> ArrowIpcWriter::AppendBatch(const ArrowArray& batch, size_t max_bytes, std::string* out) {
  if (batch.n_children != static_cast<int64_t>(root_->children.size()) || batch.offset != 0) {
    return Err(InvalidArgument("a batch does not match the stream's schema"));
  }
  BatchBody columns;
  for (size_t i = 0; i < root_->children.size(); ++i) {
    EL_RETURN_IF_ERROR(columns.Add(root_->children[i], *batch.children[i]));
  }
  // A dictionary goes out before the batch that uses it, again only when it
  // changed (a replacement: the stream format allows it).
  std::string messages;
  std::vector<std::pair<int64_t, std::string>> sent;
  for (const auto& [field, values] : columns.dictionaries()) {
    BatchBody dictionary;
    EL_RETURN_IF_ERROR(dictionary.Add(*field->dictionary, *values));
    FlatBufferBuilder b;
    const Offset data = dictionary.RecordBatch(b, values->length);
    b.StartTable();
    b.AddScalar<int64_t>(0, field->dictionary_id);
    b.AddOffset(1, data);
    const Offset header = b.EndTable();
    std::string message = Encapsulate(b, kDictionaryBatchHeader, header, dictionary.body());
    auto it = sent_dictionaries_.find(field->dictionary_id);
    if (it != sent_dictionaries_.end() && it->second == message) continue;
    messages += message;
    sent.emplace_back(field->dictionary_id, std::move(message));
  }
  FlatBufferBuilder b;
  const Offset header = columns.RecordBatch(b, batch.length);
  messages += Encapsulate(b, kRecordBatchHeader, header, columns.body());
  if (messages.size() > max_bytes) return false;
  for (auto& [id, message] : sent) sent_dictionaries_[id] = std::move(message);
  *out += messages;
  return true;
}

std::string_view ArrowIpcWriter::EndOfStream() { return {kEndOfStream, sizeof kEndOfStream}; }

}  // namespace eventlake::query
