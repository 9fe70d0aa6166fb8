// Free lists of small blocks for one Lua state's allocator (lua_sandbox.cpp).
// A `lua` step makes and drops a few small tables and strings per event; the
// garbage collector frees them by the hundred, more than malloc's per-thread
// cache holds, and the next events ask for the same sizes again. The pool
// keeps freed blocks of up to kMaxBlock bytes in lists by size (16-byte
// steps), up to kMaxPooledBytes in all; the rest goes to malloc and free.
//
// It changes no accounting: the sandbox's memory limit counts the sizes the
// state asks for, as before; blocks kept here are the process's, as free
// memory kept by malloc is.
//
// Threads: used by one thread at a time (its state's).
#pragma once

#include <array>
#include <cstddef>

namespace eventlake::pipeline {

class LuaBlockPool {
 public:
  static constexpr size_t kMaxBlock = 256;
  static constexpr size_t kMaxPooledBytes = size_t{1} << 20;

  LuaBlockPool() = default;
  ~LuaBlockPool();
  LuaBlockPool(const LuaBlockPool&) = delete;
  LuaBlockPool& operator=(const LuaBlockPool&) = delete;

  // A block of `size` (> 0) bytes; nullptr when there is no memory.
  void* Allocate(size_t size);
  // `block` (from this pool, `size` as allocated or last resized) is free.
  void Free(void* block, size_t size);
  // `block` with `new_size` (> 0) bytes, the first min(old, new) kept;
  // nullptr (and `block` as it was) when there is no memory.
  void* Resize(void* block, size_t old_size, size_t new_size);

  // The bytes of the free blocks kept.
  size_t pooled_bytes() const { return pooled_bytes_; }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  static constexpr size_t kStep = 16;
  static bool Pooled(size_t size) { return size <= kMaxBlock; }
  static size_t ClassOf(size_t size) { return (size + kStep - 1) / kStep - 1; }

  std::array<FreeBlock*, kMaxBlock / kStep> free_{};
  size_t pooled_bytes_ = 0;
};

}  // namespace eventlake::pipeline
