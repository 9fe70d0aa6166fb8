// For tests: reads what FlatBufferBuilder writes (flatbuffer_builder.h),
// checking every offset against the buffer's bounds and every scalar's
// alignment, so that a test fails instead of reading garbage. Header-only;
// no production code includes it.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace eventlake::query {

class FlatTable {
 public:
  // The root table of `buffer` (which must start 8-aligned in memory).
  static std::optional<FlatTable> Root(std::string_view buffer) {
    auto root = Read<uint32_t>(buffer, 0);
    if (!root) return std::nullopt;
    return At(buffer, *root);
  }

  template <typename T>
  std::optional<T> Scalar(uint16_t field) const {
    auto at = FieldPos(field);
    if (!at) return std::nullopt;
    if (*at % sizeof(T) != 0) return std::nullopt;  // misaligned
    return Read<T>(buffer_, *at);
  }
  std::optional<FlatTable> Table(uint16_t field) const {
    auto target = Indirect(field);
    if (!target) return std::nullopt;
    return At(buffer_, *target);
  }
  std::optional<std::string_view> String(uint16_t field) const {
    auto target = Indirect(field);
    if (!target) return std::nullopt;
    auto length = Read<uint32_t>(buffer_, *target);
    if (!length || *target + 4 + *length + 1 > buffer_.size() ||
        buffer_[*target + 4 + *length] != '\0') {
      return std::nullopt;
    }
    return buffer_.substr(*target + 4, *length);
  }
  // A vector field: where its elements start and how many there are.
  struct VectorRef {
    size_t start;
    uint32_t size;
  };
  std::optional<VectorRef> Vector(uint16_t field, size_t element_size) const {
    auto target = Indirect(field);
    if (!target) return std::nullopt;
    auto size = Read<uint32_t>(buffer_, *target);
    if (!size || *target + 4 + size_t{*size} * element_size > buffer_.size()) return std::nullopt;
    return VectorRef{*target + 4, *size};
  }
  // Element `i` of a vector of tables.
  std::optional<FlatTable> TableAt(uint16_t field, size_t i) const {
    auto v = Vector(field, 4);
    if (!v || i >= v->size) return std::nullopt;
    const size_t slot = v->start + 4 * i;
    auto relative = Read<uint32_t>(buffer_, slot);
    if (!relative) return std::nullopt;
    return At(buffer_, slot + *relative);
  }
  template <typename T>
  std::optional<T> ElementAt(const VectorRef& v, size_t i) const {
    if (i >= v.size) return std::nullopt;
    return Read<T>(buffer_, v.start + sizeof(T) * i);
  }
  size_t position() const { return position_; }

 private:
  FlatTable(std::string_view buffer, size_t position) : buffer_(buffer), position_(position) {}

  template <typename T>
  static std::optional<T> Read(std::string_view buffer, size_t at) {
    if (at + sizeof(T) > buffer.size()) return std::nullopt;
    T value;
    std::memcpy(&value, buffer.data() + at, sizeof(T));
    return value;
  }
  static std::optional<FlatTable> At(std::string_view buffer, size_t position) {
    auto to_vtable = Read<int32_t>(buffer, position);
    if (!to_vtable || position % 4 != 0) return std::nullopt;
    const int64_t vtable = static_cast<int64_t>(position) - *to_vtable;
    if (vtable < 0 || vtable % 2 != 0) return std::nullopt;
    auto vtable_size = Read<uint16_t>(buffer, static_cast<size_t>(vtable));
    auto table_size = Read<uint16_t>(buffer, static_cast<size_t>(vtable) + 2);
    if (!vtable_size || !table_size || *vtable_size < 4 || *vtable_size % 2 != 0 ||
        static_cast<size_t>(vtable) + *vtable_size > buffer.size() ||
        position + *table_size > buffer.size()) {
      return std::nullopt;
    }
    return FlatTable(buffer, position);
  }
  std::optional<size_t> FieldPos(uint16_t field) const {
    int32_t to_vtable;
    std::memcpy(&to_vtable, buffer_.data() + position_, 4);
    const size_t vtable = position_ - static_cast<size_t>(to_vtable);
    uint16_t vtable_size, table_size;
    std::memcpy(&vtable_size, buffer_.data() + vtable, 2);
    std::memcpy(&table_size, buffer_.data() + vtable + 2, 2);
    if (4 + 2 * size_t{field} + 2 > vtable_size) return std::nullopt;
    uint16_t offset;
    std::memcpy(&offset, buffer_.data() + vtable + 4 + 2 * field, 2);
    if (offset == 0 || offset >= table_size) return std::nullopt;
    return position_ + offset;
  }
  std::optional<size_t> Indirect(uint16_t field) const {
    auto at = FieldPos(field);
    if (!at || *at % 4 != 0) return std::nullopt;
    auto relative = Read<uint32_t>(buffer_, *at);
    if (!relative || *at + *relative >= buffer_.size()) return std::nullopt;
    return *at + *relative;
  }

  std::string_view buffer_;
  size_t position_;
};

}  // namespace eventlake::query
