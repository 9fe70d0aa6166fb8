// The Arrow C data interface (https://arrow.apache.org/docs/format/CDataInterface.html):
// the two structs DuckDB exports results as (ChunkStream::ArrowSchemaOf and
// ArrowChunk), as the specification defines them, and owners that release
// them. Plain C ABI: the query room reads them without seeing duckdb.h.
#pragma once

#include <cstdint>
#include <utility>

#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

extern "C" {
struct ArrowSchema {
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema** children;
  struct ArrowSchema* dictionary;
  void (*release)(struct ArrowSchema*);
  void* private_data;
};

struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  struct ArrowArray** children;
  struct ArrowArray* dictionary;
  void (*release)(struct ArrowArray*);
  void* private_data;
};
}

#endif  // ARROW_C_DATA_INTERFACE

namespace eventlake::engine {

// Owns one exported ArrowSchema or ArrowArray: releases it (its producer's
// release callback) when destroyed. Empty (release == nullptr) until filled.
template <typename T>
class ArrowOwned {
 public:
  ArrowOwned() = default;
  ArrowOwned(const ArrowOwned&) = delete;
  ArrowOwned& operator=(const ArrowOwned&) = delete;
  ArrowOwned(ArrowOwned&& other) noexcept : value_(std::exchange(other.value_, T{})) {}
  ArrowOwned& operator=(ArrowOwned&& other) noexcept {
    if (this != &other) {
      Reset();
      value_ = std::exchange(other.value_, T{});
    }
    return *this;
  }
  ~ArrowOwned() { Reset(); }

  void Reset() {
    if (value_.release != nullptr) value_.release(&value_);
    value_ = T{};
  }
  // For the producer to fill; whatever was there is released first.
  T* Fill() {
    Reset();
    return &value_;
  }
  const T& get() const { return value_; }
  bool empty() const { return value_.release == nullptr; }

 private:
  T value_{};
};

using OwnedArrowSchema = ArrowOwned<ArrowSchema>;
using OwnedArrowArray = ArrowOwned<ArrowArray>;

}  // namespace eventlake::engine
