// arrow_ipc::Field: one column (or a child of one) of an Arrow C data
// interface schema as the IPC writer (arrow_ipc_writer.h) needs it: the
// flatbuffer Type it becomes (Schema.fbs) and how its buffers are laid out
// (the Columnar format's layouts), parsed once from the format strings.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "engine/arrow_c_data.h"

namespace eventlake::query::arrow_ipc {

// Schema.fbs: union Type.
enum TypeId : uint8_t {
  kNullType = 1,
  kInt = 2,
  kFloatingPoint = 3,
  kBinary = 4,
  kUtf8 = 5,
  kBool = 6,
  kDecimal = 7,
  kDate = 8,
  kTime = 9,
  kTimestamp = 10,
  kInterval = 11,
  kList = 12,
  kStruct = 13,
  kUnion = 14,
  kFixedSizeBinary = 15,
  kFixedSizeList = 16,
  kMap = 17,
  kDuration = 18,
  kLargeBinary = 19,
  kLargeUtf8 = 20,
  kLargeList = 21,
};

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

// Name, nullability and metadata as the schema has them; the rest parsed.
struct Field {
  std::string name;
  bool nullable = true;
  std::vector<std::pair<std::string, std::string>> metadata;
  // The flatbuffer Type: its union id and what its table holds.
  uint8_t type = 0;
  int32_t bit_width = 0;                // Int, Decimal, Time
  bool is_signed = false;               // Int
  int32_t precision = 0;                // Decimal; FloatingPoint's enum
  int32_t scale = 0;                    // Decimal
  int32_t size = 0;                     // FixedSizeBinary, FixedSizeList
  int16_t unit = 0;                     // Date, Time, Timestamp, Duration, Interval; Union's mode
  bool keys_sorted = false;             // Map
  std::optional<std::string> timezone;  // Timestamp
  std::vector<int32_t> type_ids;        // Union
  Layout layout = Layout::kNull;
  size_t width =
      0;  // kFixed: bytes a value; kVarBinary, kList: bytes an offset; kFixedList: values a list
  std::vector<Field> children;
  // Dictionary-encoded: this field's type is the index's, `dictionary` is
  // the values' (the flatbuffer Field gets the values' type and children).
  std::unique_ptr<Field> dictionary;
  int64_t dictionary_id = -1;
  bool ordered = false;
};

// `schema` with its children and dictionary; dictionary ids are numbered
// from `next_dictionary_id` on, depth first. InvalidArgument for a format
// string the writer does not know, naming it and the column.
Result<Field> ParseField(const ArrowSchema& schema, int64_t& next_dictionary_id);

}  // namespace eventlake::query::arrow_ipc
