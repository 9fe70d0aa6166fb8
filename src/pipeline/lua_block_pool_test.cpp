// LuaBlockPool: freed small blocks come back for their size class, resizing
// keeps the bytes across classes and to malloc's sizes, and the pool keeps
// no more than its cap.
#include "pipeline/lua_block_pool.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace eventlake::pipeline {
namespace {

TEST(LuaBlockPool, AFreedBlockServesTheNextRequestOfItsClass) {
  LuaBlockPool pool;
  void* a = pool.Allocate(40);
  ASSERT_NE(a, nullptr);
  pool.Free(a, 40);
  EXPECT_EQ(pool.pooled_bytes(), 48u);
  EXPECT_EQ(pool.Allocate(33), a);  // 33..48 bytes: one class
  void* b = pool.Allocate(40);
  EXPECT_NE(b, a);
  pool.Free(b, 40);
  pool.Free(a, 33);
}

TEST(LuaBlockPool, ResizeKeepsTheBytesAcrossClassesAndToLargeBlocks) {
  LuaBlockPool pool;
  const std::string text = "0123456789abcdefghijklmnopqrstuv";  // 32 bytes
  auto* block = static_cast<char*>(pool.Allocate(text.size()));
  std::memcpy(block, text.data(), text.size());
  block = static_cast<char*>(pool.Resize(block, 32, 30));  // the same class: the same block
  block = static_cast<char*>(pool.Resize(block, 30, 200));
  EXPECT_EQ(std::string(block, 30), text.substr(0, 30));
  block = static_cast<char*>(pool.Resize(block, 200, 100'000));
  EXPECT_EQ(std::string(block, 30), text.substr(0, 30));
  block = static_cast<char*>(pool.Resize(block, 100'000, 20));
  EXPECT_EQ(std::string(block, 20), text.substr(0, 20));
  pool.Free(block, 20);
  void* fresh = pool.Resize(nullptr, 0, 64);
  ASSERT_NE(fresh, nullptr);
  pool.Free(fresh, 64);
}

TEST(LuaBlockPool, KeepsNoMoreThanItsCap) {
  LuaBlockPool pool;
  std::vector<void*> blocks;
  const size_t count = 2 * LuaBlockPool::kMaxPooledBytes / LuaBlockPool::kMaxBlock;
  for (size_t i = 0; i < count; ++i) blocks.push_back(pool.Allocate(LuaBlockPool::kMaxBlock));
  for (void* block : blocks) pool.Free(block, LuaBlockPool::kMaxBlock);
  EXPECT_EQ(pool.pooled_bytes(), LuaBlockPool::kMaxPooledBytes);  // the other half went to free()
  for (size_t i = 0; i < count / 2; ++i) blocks[i] = pool.Allocate(LuaBlockPool::kMaxBlock);
  EXPECT_EQ(pool.pooled_bytes(), 0u);
  for (size_t i = 0; i < count / 2; ++i) pool.Free(blocks[i], LuaBlockPool::kMaxBlock);
}

}  // namespace
}  // namespace eventlake::pipeline
