// FlatBufferBuilder: the small part of FlatBuffers
// (https://flatbuffers.dev/internals/) that Arrow IPC metadata needs —
// tables with vtables, strings, vectors of scalars, structs and tables,
// unions (a type field and an offset field) — written without the
// FlatBuffers library.
//
// Like the real builder it writes back to front: every object is finished
// before the object that refers to it is begun, and an object is named by
// its Offset, its distance from the end of the buffer. Little-endian only.
//
//   FlatBufferBuilder b;
//   Offset name = b.String("id");
//   b.StartTable();
//   b.AddOffset(0, name);
//   b.AddScalar<uint8_t>(1, 1);
//   Offset field = b.EndTable();
//   std::string bytes = b.Finish(field);
//
// Not thread-safe; one buffer per builder.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace eventlake::query {

class FlatBufferBuilder {
 public:
  // An object's distance from the end of the buffer; 0 is "none".
  using Offset = uint32_t;

  // A string: its length, its bytes, a NUL.
  Offset String(std::string_view s);
  // A vector of scalars or of structs given as their bytes, `size` elements
  // of `element_size` each, aligned to `alignment`.
  Offset Vector(const void* data, size_t size, size_t element_size, size_t alignment);
  template <typename T>
  Offset ScalarVector(std::span<const T> values) {
    static_assert(std::is_arithmetic_v<T>);
    return Vector(values.data(), values.size(), sizeof(T), sizeof(T));
  }
  // A vector of offsets to finished objects (tables, strings).
  Offset OffsetVector(std::span<const Offset> offsets);

  // A table: Start, then fields by their id in the schema (each once, in
  // any order), then End. No other object may be begun in between.
  void StartTable();
  template <typename T>
  void AddScalar(uint16_t field, T value) {
    static_assert(std::is_arithmetic_v<T>);
    Align(sizeof(T));
    Push(&value, sizeof(T));
    Track(field);
  }
  void AddOffset(uint16_t field, Offset offset);
  Offset EndTable();

  // The buffer: the root table's offset first, the whole padded to the
  // largest alignment used. The builder is empty afterwards.
  std::string Finish(Offset root);

 private:
  size_t size() const { return buffer_.size() - head_; }
  // Reserves `n` bytes at the front.
  uint8_t* Grow(size_t n);
  void Push(const void* data, size_t n) { std::memcpy(Grow(n), data, n); }
  // Pads so that after `extra` more bytes the front is aligned to `alignment`.
  void Align(size_t alignment, size_t extra = 0);
  void PushOffset(Offset offset);
  void Track(uint16_t field);

  std::vector<uint8_t> buffer_;  // the bytes live at [head_, end)
  size_t head_ = 0;
  size_t max_align_ = 1;
  bool in_table_ = false;
  size_t table_start_ = 0;  // size() when the table began
  std::vector<std::pair<uint16_t, Offset>> fields_;
};

}  // namespace eventlake::query
