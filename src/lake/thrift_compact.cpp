// The compact protocol's reader and writer (the Apache Thrift compact
// protocol specification: zigzag varints, field-id deltas in the field
// header, bools folded into the field header, short and long list headers).
#include "lake/thrift_compact.h"

#include <algorithm>
#include <limits>

namespace eventlake::lake::thrift {
namespace {

constexpr uint8_t kBoolTrueCode = 1;
constexpr uint8_t kBoolFalseCode = 2;

bool IsContainer(Type type) {
  return type == Type::kList || type == Type::kSet || type == Type::kMap || type == Type::kStruct;
}

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  size_t position() const { return position_; }

  Status ReadStructInto(Value* out, int depth) {
    out->type = Type::kStruct;
    int16_t last_id = 0;
    while (true) {
      EL_ASSIGN_OR_RETURN(uint8_t header, Byte());
      if (header == 0) return Status::Ok();
      const uint8_t code = header & 0x0f;
      EL_ASSIGN_OR_RETURN(Type type, TypeOf(code));
      int32_t id;
      if (const uint8_t delta = header >> 4; delta != 0) {
        id = last_id + delta;
        if (id > std::numeric_limits<int16_t>::max()) return Corrupt("field id over 32767");
      } else {
        EL_ASSIGN_OR_RETURN(int64_t long_id, Signed(std::numeric_limits<int16_t>::min(),
                                                    std::numeric_limits<int16_t>::max()));
        id = static_cast<int32_t>(long_id);
      }
      last_id = static_cast<int16_t>(id);
      Field& field = out->fields.emplace_back();
      field.id = last_id;
      EL_RETURN_IF_ERROR(Count());
      if (type == Type::kBool) {
        field.value = Value::Integer(Type::kBool, code == kBoolTrueCode ? 1 : 0);
        continue;
      }
      EL_RETURN_IF_ERROR(ReadValue(type, &field.value, depth));
    }
  }

 private:
  Status ReadValue(Type type, Value* out, int depth) {
    out->type = type;
    if (IsContainer(type) && depth >= kMaxDepth) {
      return Corrupt("nested deeper than " + std::to_string(kMaxDepth));
    }
    switch (type) {
      case Type::kBool: {  // only inside a list, set or map: a byte of its own
        EL_ASSIGN_OR_RETURN(uint8_t b, Byte());
        out->integer = b == kBoolTrueCode ? 1 : 0;
        return Status::Ok();
      }
      case Type::kByte: {
        EL_ASSIGN_OR_RETURN(uint8_t b, Byte());
        out->integer = static_cast<int8_t>(b);
        return Status::Ok();
      }
      case Type::kI16:
        return SignedInto(out, std::numeric_limits<int16_t>::min(),
                          std::numeric_limits<int16_t>::max());
      case Type::kI32:
        return SignedInto(out, std::numeric_limits<int32_t>::min(),
                          std::numeric_limits<int32_t>::max());
      case Type::kI64:
        return SignedInto(out, std::numeric_limits<int64_t>::min(),
                          std::numeric_limits<int64_t>::max());
      case Type::kDouble:
        return BytesInto(out, 8);
      case Type::kBinary: {
        EL_ASSIGN_OR_RETURN(uint64_t length, Varint());
        return BytesInto(out, length);
      }
      case Type::kList:
      case Type::kSet: {
        EL_ASSIGN_OR_RETURN(uint8_t header, Byte());
        EL_ASSIGN_OR_RETURN(out->element_type, TypeOf(header & 0x0f));
        uint64_t size = header >> 4;
        if (size == 15) {
          EL_ASSIGN_OR_RETURN(size, Varint());
        }
        return ElementsInto(out, size, depth);
      }
      case Type::kMap: {
        EL_ASSIGN_OR_RETURN(uint64_t size, Varint());
        if (size == 0) return Status::Ok();
        EL_ASSIGN_OR_RETURN(uint8_t types, Byte());
        EL_ASSIGN_OR_RETURN(out->element_type, TypeOf(types >> 4));
        EL_ASSIGN_OR_RETURN(out->value_type, TypeOf(types & 0x0f));
        return ElementsInto(out, size, depth);
      }
      case Type::kStruct:
        return ReadStructInto(out, depth + 1);
    }
    return Corrupt("unknown type");
  }

  // A list's or set's `count` elements, or a map's `count` pairs.
  Status ElementsInto(Value* out, uint64_t count, int depth) {
    const bool map = out->type == Type::kMap;
    // Every value takes at least one byte: more than the bytes left is a lie.
    if (count > (bytes_.size() - position_) / (map ? 2 : 1)) {
      return Corrupt("a container of " + std::to_string(count) + " values in " +
                     std::to_string(bytes_.size() - position_) + " bytes");
    }
    out->elements.resize(map ? 2 * count : count);
    for (size_t i = 0; i < out->elements.size(); ++i) {
      EL_RETURN_IF_ERROR(Count());
      const Type type = map && i % 2 == 1 ? out->value_type : out->element_type;
      EL_RETURN_IF_ERROR(ReadValue(type, &out->elements[i], depth + 1));
    }
    return Status::Ok();
  }

  Status Count() {
    if (++values_ > kMaxValues)
      return Corrupt("more than " + std::to_string(kMaxValues) + " values");
    return Status::Ok();
  }

  Result<Type> TypeOf(uint8_t code) {
    if (code == kBoolTrueCode || code == kBoolFalseCode) return Type::kBool;
    if (code >= 3 && code <= 12) return static_cast<Type>(code);
    return Err(Corrupt("unknown type code " + std::to_string(code)));
  }

  Result<uint8_t> Byte() {
    if (position_ >= bytes_.size()) return Err(Corrupt("ends early"));
    return static_cast<uint8_t>(bytes_[position_++]);
  }

  Result<uint64_t> Varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      EL_ASSIGN_OR_RETURN(uint8_t b, Byte());
      value |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return value;
    }
    return Err(Corrupt("a varint longer than 10 bytes"));
  }

  Result<int64_t> Signed(int64_t min, int64_t max) {
    EL_ASSIGN_OR_RETURN(uint64_t zigzag, Varint());
    const int64_t value = static_cast<int64_t>(zigzag >> 1) ^ -static_cast<int64_t>(zigzag & 1);
    if (value < min || value > max) return Err(Corrupt("an integer out of its type's range"));
    return value;
  }

  Status SignedInto(Value* out, int64_t min, int64_t max) {
    EL_ASSIGN_OR_RETURN(out->integer, Signed(min, max));
    return Status::Ok();
  }

  Status BytesInto(Value* out, uint64_t length) {
    if (length > bytes_.size() - position_) return Corrupt("a value runs past the end");
    out->bytes.assign(bytes_.data() + position_, length);
    position_ += length;
    return Status::Ok();
  }

  Status Corrupt(const std::string& what) const {
    return Corruption("thrift compact protocol, byte " + std::to_string(position_) + ": " + what);
  }

  std::string_view bytes_;
  size_t position_ = 0;
  size_t values_ = 0;
};

void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

void AppendSigned(int64_t value, std::string* out) {
  AppendVarint((static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63), out);
}

uint8_t CodeOf(Type type) { return static_cast<uint8_t>(type); }

void AppendValue(const Value& value, std::string* out) {
  switch (value.type) {
    case Type::kBool:  // inside a container (a field's bool is in its header)
      out->push_back(static_cast<char>(value.integer != 0 ? kBoolTrueCode : kBoolFalseCode));
      return;
    case Type::kByte:
      out->push_back(static_cast<char>(value.integer));
      return;
    case Type::kI16:
    case Type::kI32:
    case Type::kI64:
      AppendSigned(value.integer, out);
      return;
    case Type::kDouble:
      out->append(value.bytes);
      return;
    case Type::kBinary:
      AppendVarint(value.bytes.size(), out);
      out->append(value.bytes);
      return;
    case Type::kList:
    case Type::kSet: {
      const size_t size = value.elements.size();
      if (size < 15) {
        out->push_back(static_cast<char>(size << 4 | CodeOf(value.element_type)));
      } else {
        out->push_back(static_cast<char>(0xf0 | CodeOf(value.element_type)));
        AppendVarint(size, out);
      }
      for (const Value& element : value.elements) AppendValue(element, out);
      return;
    }
    case Type::kMap:
      AppendVarint(value.elements.size() / 2, out);
      if (!value.elements.empty()) {
        out->push_back(
            static_cast<char>(CodeOf(value.element_type) << 4 | CodeOf(value.value_type)));
      }
      for (const Value& element : value.elements) AppendValue(element, out);
      return;
    case Type::kStruct:
      AppendStruct(value, out);
      return;
  }
}

}  // namespace

Value Value::Integer(Type type, int64_t integer) {
  Value v;
  v.type = type;
  v.integer = integer;
  return v;
}

Value* Value::Find(int16_t id) {
  for (Field& field : fields) {
    if (field.id == id) return &field.value;
  }
  return nullptr;
}

const Value* Value::Find(int16_t id) const { return const_cast<Value*>(this)->Find(id); }

void Value::Set(int16_t id, Value value) {
  if (Value* existing = Find(id)) {
    *existing = std::move(value);
    return;
  }
  auto after =
      std::find_if(fields.begin(), fields.end(), [&](const Field& f) { return f.id > id; });
  fields.insert(after, Field{.id = id, .value = std::move(value)});
}

void Value::Erase(int16_t id) {
  std::erase_if(fields, [&](const Field& f) { return f.id == id; });
}

Result<Value> ReadStruct(std::string_view bytes, size_t* consumed) {
  Reader reader(bytes);
  Value value;
  EL_RETURN_IF_ERROR(reader.ReadStructInto(&value, 0));
  *consumed = reader.position();
  return value;
}

void AppendStruct(const Value& value, std::string* out) {
  int16_t last_id = 0;
  for (const Field& field : value.fields) {
    const uint8_t code = field.value.type == Type::kBool
                             ? (field.value.integer != 0 ? kBoolTrueCode : kBoolFalseCode)
                             : CodeOf(field.value.type);
    const int32_t delta = int32_t{field.id} - last_id;
    if (delta > 0 && delta <= 15) {
      out->push_back(static_cast<char>(delta << 4 | code));
    } else {
      out->push_back(static_cast<char>(code));
      AppendSigned(field.id, out);
    }
    last_id = field.id;
    if (field.value.type != Type::kBool) AppendValue(field.value, out);
  }
  out->push_back('\0');
}

std::string WriteStruct(const Value& value) {
  std::string out;
  AppendStruct(value, &out);
  return out;
}

std::string WriteValue(const Value& value) {
  std::string out;
  AppendValue(value, &out);
  return out;
}

}  // namespace eventlake::lake::thrift
