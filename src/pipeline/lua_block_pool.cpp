// LuaBlockPool: a small block is malloc'ed at its class's size (a multiple
// of 16), so that any request of the class may reuse it; the list's link is
// stored in the free block itself.
#include "pipeline/lua_block_pool.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace eventlake::pipeline {

LuaBlockPool::~LuaBlockPool() {
  for (FreeBlock* head : free_) {
    while (head != nullptr) {
      FreeBlock* next = head->next;
      std::free(head);
      head = next;
    }
  }
}

void* LuaBlockPool::Allocate(size_t size) {
  if (!Pooled(size)) return std::malloc(size);
  const size_t c = ClassOf(size);
  if (FreeBlock* block = free_[c]; block != nullptr) {
    free_[c] = block->next;
    pooled_bytes_ -= (c + 1) * kStep;
    return block;
  }
  return std::malloc((c + 1) * kStep);
}

void LuaBlockPool::Free(void* block, size_t size) {
  if (block == nullptr) return;
  if (!Pooled(size) || pooled_bytes_ + (ClassOf(size) + 1) * kStep > kMaxPooledBytes) {
    std::free(block);
    return;
  }
  const size_t c = ClassOf(size);
  auto* free_block = static_cast<FreeBlock*>(block);
  free_block->next = free_[c];
  free_[c] = free_block;
  pooled_bytes_ += (c + 1) * kStep;
}

void* LuaBlockPool::Resize(void* block, size_t old_size, size_t new_size) {
  if (block == nullptr) return Allocate(new_size);
  if (!Pooled(old_size) && !Pooled(new_size)) return std::realloc(block, new_size);
  if (Pooled(old_size) && Pooled(new_size) && ClassOf(old_size) == ClassOf(new_size)) return block;
  void* moved = Allocate(new_size);
  if (moved == nullptr) return nullptr;
  std::memcpy(moved, block, std::min(old_size, new_size));
  Free(block, old_size);
  return moved;
}

}  // namespace eventlake::pipeline
