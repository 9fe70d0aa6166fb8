// Thrift's compact protocol, the encoding of a Parquet file's footer, read
// into a generic tree and written back. Compaction by concatenation
// (parquet_concat.h) changes a few fields of a FileMetaData (offsets, row
// counts) without a generated class for each Parquet struct: the fields it
// does not know survive a round trip as they were.
//
// The footer is read from a file in the lake, which someone else may have
// written: sizes, nesting and the number of values are bounded, and anything
// malformed is a Corruption naming the byte.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace eventlake::lake::thrift {

inline constexpr int kMaxDepth = 32;
inline constexpr size_t kMaxValues = 4u << 20;

// The compact protocol's type codes (bool is two codes in a field header).
enum class Type : uint8_t {
  kBool = 1,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

struct Field;

// One value of any type. Integers (bool as 0/1) are held in `integer`, a
// double's eight bytes and a binary's bytes in `bytes`, a list's or set's
// elements in `elements` (of `element_type`), a map's keys and values
// alternating in `elements` (of `element_type` and `value_type`), a struct's
// fields in `fields`, in the order read.
struct Value {
  Type type = Type::kStruct;
  int64_t integer = 0;
  std::string bytes;
  Type element_type = Type::kByte;
  Type value_type = Type::kByte;
  std::vector<Value> elements;
  std::vector<Field> fields;

  // (Defined out of line: Field is not complete here.)
  static Value Integer(Type type, int64_t integer);

  // The struct field with `id`, or nullptr.
  Value* Find(int16_t id);
  const Value* Find(int16_t id) const;
  // Sets field `id` to `value`, replacing it or appending it.
  void Set(int16_t id, Value value);
  void Erase(int16_t id);
};

struct Field {
  int16_t id = 0;
  Value value;
};

// Reads one struct from the start of `bytes`; `*consumed` is its length.
Result<Value> ReadStruct(std::string_view bytes, size_t* consumed);

// Appends `value` (a struct) in the compact protocol.
void AppendStruct(const Value& value, std::string* out);
std::string WriteStruct(const Value& value);
// The encoding of any value, for comparing two values byte for byte.
std::string WriteValue(const Value& value);

}  // namespace eventlake::lake::thrift
