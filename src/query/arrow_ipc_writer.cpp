// ArrowIpcWriter (see arrow_ipc_writer.h). The numbers are those of Arrow's
// format/Schema.fbs and format/Message.fbs (metadata version V5); the
// layouts are the Columnar format's. docs/formats/arrow-ipc.md says which
// types we write and why the way we do.
#include "query/arrow_ipc_writer.h"

#include <bit>
#include <cstring>
#include <optional>

#include "query/arrow_ipc_field.h"
#include "query/flatbuffer_builder.h"

namespace eventlake::query {
namespace {

static_assert(std::endian::native == std::endian::little, "Arrow IPC is written little-endian");

using Offset = FlatBufferBuilder::Offset;

// Message.fbs: union MessageHeader, and MetadataVersion V5.
constexpr uint8_t kSchemaHeader = 1;
constexpr uint8_t kDictionaryBatchHeader = 2;
constexpr uint8_t kRecordBatchHeader = 3;
constexpr int16_t kVersionV5 = 4;
constexpr uint32_t kContinuation = 0xFFFFFFFF;
constexpr char kEndOfStream[8] = {'\xff', '\xff', '\xff', '\xff', 0, 0, 0, 0};

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

using arrow_ipc::Field;
using arrow_ipc::Layout;
using arrow_ipc::TypeId;

// --- Schema metadata ---

Offset IntType(FlatBufferBuilder& b, int32_t bit_width, bool is_signed) {
  b.StartTable();
  b.AddScalar<int32_t>(0, bit_width);
  b.AddScalar<uint8_t>(1, is_signed ? 1 : 0);
  return b.EndTable();
}

// The table of the flatbuffer Type union's member `f.type`.
Offset TypeTable(FlatBufferBuilder& b, const Field& f) {
  if (f.type == TypeId::kInt) return IntType(b, f.bit_width, f.is_signed);
  Offset extra = 0;  // Timestamp's time zone, Union's type ids
  if (f.type == TypeId::kTimestamp && f.timezone) extra = b.String(*f.timezone);
  if (f.type == TypeId::kUnion) extra = b.ScalarVector<int32_t>(f.type_ids);
  b.StartTable();
  switch (f.type) {
    case TypeId::kFloatingPoint:
      b.AddScalar<int16_t>(0, static_cast<int16_t>(f.precision));
      break;
    case TypeId::kDecimal:
      b.AddScalar<int32_t>(0, f.precision);
      b.AddScalar<int32_t>(1, f.scale);
      b.AddScalar<int32_t>(2, f.bit_width);
      break;
    case TypeId::kDate:
    case TypeId::kInterval:
    case TypeId::kDuration:
      b.AddScalar<int16_t>(0, f.unit);
      break;
    case TypeId::kTime:
      b.AddScalar<int16_t>(0, f.unit);
      b.AddScalar<int32_t>(1, f.bit_width);
      break;
    case TypeId::kTimestamp:
    case TypeId::kUnion:
      b.AddScalar<int16_t>(0, f.unit);
      b.AddOffset(1, extra);
      break;
    case TypeId::kFixedSizeBinary:
    case TypeId::kFixedSizeList:
      b.AddScalar<int32_t>(0, f.size);
      break;
    case TypeId::kMap:
      b.AddScalar<uint8_t>(0, f.keys_sorted ? 1 : 0);
      break;
    default:
      break;  // Null, Bool, Utf8, Binary, List, Struct_, ...: empty tables
  }
  return b.EndTable();
}

Offset Metadata(FlatBufferBuilder& b,
                const std::vector<std::pair<std::string, std::string>>& metadata) {
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
std::string Encapsulate(FlatBufferBuilder& b, uint8_t header_type, Offset header,
                        std::string_view body) {
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
  const std::vector<std::pair<const Field*, const ArrowArray*>>& dictionaries() const {
    return dictionaries_;
  }

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
    case Layout::kNull:
      return 0;
    case Layout::kFixedList:
    case Layout::kStruct:
    case Layout::kSparseUnion:
      return 1;
    case Layout::kVarBinary:
      return 3;
    default:
      return 2;
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
    return InvalidArgument("column '" + f.name + "': a sliced Arrow array (offset " +
                           std::to_string(a.offset) + ") cannot be written");
  }
  const size_t children =
      f.layout == Layout::kFixedList || f.layout == Layout::kList ? 1 : f.children.size();
  if (a.n_buffers != static_cast<int64_t>(BufferCount(f.layout)) ||
      a.n_children != static_cast<int64_t>(children) ||
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
    case Layout::kNull:
      return Status::Ok();
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
      if (missing(1))
        return InvalidArgument("column '" + f.name + "': the offsets buffer is missing");
      Buffer(length == 0 ? nullptr : a.buffers[1], (length + 1) * f.width);
      if (a.children[0]->length < EndOffset(a, f.width)) {
        return InvalidArgument("column '" + f.name + "': list offsets beyond the values");
      }
      return Add(f.children[0], *a.children[0]);
    case Layout::kFixedList:
      return Add(f.children[0], *a.children[0]);
    case Layout::kDenseUnion:
    case Layout::kSparseUnion:
      Buffer(a.buffers[0], length);
      if (f.layout == Layout::kDenseUnion) Buffer(a.buffers[1], length * 4);
      [[fallthrough]];
    case Layout::kStruct:
      for (size_t i = 0; i < f.children.size(); ++i)
        EL_RETURN_IF_ERROR(Add(f.children[i], *a.children[i]));
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

ArrowIpcWriter::ArrowIpcWriter(std::unique_ptr<arrow_ipc::Field> root) : root_(std::move(root)) {}
ArrowIpcWriter::ArrowIpcWriter(ArrowIpcWriter&&) noexcept = default;
ArrowIpcWriter& ArrowIpcWriter::operator=(ArrowIpcWriter&&) noexcept = default;
ArrowIpcWriter::~ArrowIpcWriter() = default;

Result<ArrowIpcWriter> ArrowIpcWriter::Open(const ArrowSchema& schema) {
  if (schema.format == nullptr || std::string_view(schema.format) != "+s") {
    return Err(InvalidArgument("an Arrow IPC stream's schema is a struct of its columns"));
  }
  int64_t next_dictionary_id = 0;
  EL_ASSIGN_OR_RETURN(Field root, arrow_ipc::ParseField(schema, next_dictionary_id));
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

Result<bool> ArrowIpcWriter::AppendBatch(const ArrowArray& batch, size_t max_bytes,
                                         std::string* out) {
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
