// FlatBufferBuilder (see flatbuffer_builder.h). The layout rules are
// FlatBuffers': a uoffset points forward from where it is stored; a table
// starts with an soffset back to its vtable (table minus vtable), which is
// [vtable bytes, table bytes, one uint16 per field: its place in the table,
// 0 when absent].
#include "query/flatbuffer_builder.h"

#include <algorithm>
#include <cassert>

namespace eventlake::query {

uint8_t* FlatBufferBuilder::Grow(size_t n) {
  if (head_ < n) {
    const size_t used = size();
    const size_t capacity = std::max<size_t>({256, buffer_.size() * 2, used + n});
    std::vector<uint8_t> bigger(capacity);
    if (used > 0) std::memcpy(bigger.data() + capacity - used, buffer_.data() + head_, used);
    buffer_.swap(bigger);
    head_ = capacity - used;
  }
  head_ -= n;
  return buffer_.data() + head_;
}

void FlatBufferBuilder::Align(size_t alignment, size_t extra) {
  max_align_ = std::max(max_align_, alignment);
  const size_t pad = (alignment - ((size() + extra) % alignment)) % alignment;
  if (pad > 0) std::memset(Grow(pad), 0, pad);
}

void FlatBufferBuilder::PushOffset(Offset offset) {
  Align(4);
  assert(offset != 0 && offset <= size());
  // Stored at size() + 4 from the end, pointing at `offset` from the end.
  const uint32_t relative = static_cast<uint32_t>(size() + 4 - offset);
  Push(&relative, 4);
}

void FlatBufferBuilder::Track(uint16_t field) {
  assert(in_table_);
  fields_.emplace_back(field, static_cast<Offset>(size()));
}

FlatBufferBuilder::Offset FlatBufferBuilder::String(std::string_view s) {
  assert(!in_table_);
  Align(4, s.size() + 1);
  *Grow(1) = 0;
  Push(s.data(), s.size());
  const uint32_t length = static_cast<uint32_t>(s.size());
  Push(&length, 4);
  return static_cast<Offset>(size());
}

FlatBufferBuilder::Offset FlatBufferBuilder::Vector(const void* data, size_t size,
                                                    size_t element_size, size_t alignment) {
  assert(!in_table_);
  const size_t bytes = size * element_size;
  Align(4, bytes);
  Align(alignment, bytes);
  if (bytes > 0) Push(data, bytes);
  const uint32_t length = static_cast<uint32_t>(size);
  Push(&length, 4);
  return static_cast<Offset>(this->size());
}

FlatBufferBuilder::Offset FlatBufferBuilder::OffsetVector(std::span<const Offset> offsets) {
  assert(!in_table_);
  Align(4, offsets.size() * 4);
  for (size_t i = offsets.size(); i-- > 0;) PushOffset(offsets[i]);
  const uint32_t length = static_cast<uint32_t>(offsets.size());
  Push(&length, 4);
  return static_cast<Offset>(size());
}

void FlatBufferBuilder::StartTable() {
  assert(!in_table_);
  in_table_ = true;
  fields_.clear();
  table_start_ = size();
}

void FlatBufferBuilder::AddOffset(uint16_t field, Offset offset) {
  if (offset == 0) return;  // absent
  PushOffset(offset);
  Track(field);
}

FlatBufferBuilder::Offset FlatBufferBuilder::EndTable() {
  assert(in_table_);
  // The soffset to the vtable, patched once the vtable is written.
  Align(4);
  const int32_t placeholder = 0;
  Push(&placeholder, 4);
  const size_t table = size();
  uint16_t slots = 0;
  for (const auto& [field, at] : fields_) slots = std::max<uint16_t>(slots, field + 1);
  std::vector<uint16_t> vtable(2 + slots, 0);
  vtable[0] = static_cast<uint16_t>(vtable.size() * 2);
  vtable[1] = static_cast<uint16_t>(table - table_start_);
  for (const auto& [field, at] : fields_) {
    assert(vtable[2 + field] == 0 && "a field added twice");
    vtable[2 + field] = static_cast<uint16_t>(table - at);
  }
  // The table starts 4-aligned, so the vtable (2-byte entries) ends aligned.
  Push(vtable.data(), vtable.size() * 2);
  const int32_t to_vtable = static_cast<int32_t>(size() - table);
  std::memcpy(buffer_.data() + buffer_.size() - table, &to_vtable, 4);
  in_table_ = false;
  return static_cast<Offset>(table);
}

std::string FlatBufferBuilder::Finish(Offset root) {
  assert(!in_table_);
  Align(max_align_, 4);
  PushOffset(root);
  std::string out(reinterpret_cast<const char*>(buffer_.data() + head_), size());
  buffer_.clear();
  head_ = 0;
  max_align_ = 1;
  return out;
}

}  // namespace eventlake::query
