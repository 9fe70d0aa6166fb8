#include "query/flatbuffer_builder.h"

#include <gtest/gtest.h>

#include "query/flatbuffer_test_reader.h"

namespace eventlake::query {
namespace {

using Offset = FlatBufferBuilder::Offset;

struct Pair {
  int64_t a;
  int64_t b;
};

// The buffer as the reader needs it: 8-aligned in memory.
std::string_view Aligned(const std::string& bytes, std::vector<uint64_t>& storage) {
  storage.assign((bytes.size() + 7) / 8, 0);
  std::memcpy(storage.data(), bytes.data(), bytes.size());
  return {reinterpret_cast<const char*>(storage.data()), bytes.size()};
}

TEST(FlatBufferBuilder, TablesStringsAndVectorsReadBack) {
  FlatBufferBuilder b;
  const Offset child_name = b.String("child");
  b.StartTable();
  b.AddOffset(0, child_name);
  b.AddScalar<int16_t>(2, -7);
  const Offset child = b.EndTable();
  const Pair pairs[] = {{1, 2}, {3, 4}};
  const Offset structs = b.Vector(pairs, 2, sizeof(Pair), 8);
  const Offset children = b.OffsetVector(std::vector<Offset>{child, child});
  const Offset name = b.String("root");
  b.StartTable();
  b.AddScalar<uint8_t>(0, 1);
  b.AddOffset(1, name);
  b.AddScalar<int64_t>(2, int64_t{1} << 40);
  b.AddOffset(3, structs);
  b.AddOffset(4, children);
  const std::string bytes = b.Finish(b.EndTable());
  EXPECT_EQ(bytes.size() % 8, 0u);

  std::vector<uint64_t> storage;
  auto root = FlatTable::Root(Aligned(bytes, storage));
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->Scalar<uint8_t>(0), 1);
  EXPECT_EQ(root->String(1), "root");
  EXPECT_EQ(root->Scalar<int64_t>(2), int64_t{1} << 40);  // the reader checks 8-byte alignment
  auto v = root->Vector(3, sizeof(Pair));
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->size, 2u);
  EXPECT_EQ(v->start % 8, 0u);
  EXPECT_EQ(root->ElementAt<int64_t>({v->start, 4}, 3), 4);
  for (size_t i = 0; i < 2; ++i) {
    auto c = root->TableAt(4, i);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->String(0), "child");
    EXPECT_EQ(c->Scalar<int16_t>(2), -7);
    EXPECT_FALSE(c->Scalar<int16_t>(1).has_value());  // absent
  }
  EXPECT_FALSE(root->Table(9).has_value());  // beyond the vtable
}

TEST(FlatBufferBuilder, EmptyTablesAndVectorsAreValid) {
  FlatBufferBuilder b;
  const Offset none = b.OffsetVector({});
  b.StartTable();
  const Offset empty = b.EndTable();
  b.StartTable();
  b.AddOffset(0, empty);
  b.AddOffset(1, none);
  const std::string bytes = b.Finish(b.EndTable());
  std::vector<uint64_t> storage;
  auto root = FlatTable::Root(Aligned(bytes, storage));
  ASSERT_TRUE(root.has_value());
  EXPECT_TRUE(root->Table(0).has_value());
  ASSERT_TRUE(root->Vector(1, 4).has_value());
  EXPECT_EQ(root->Vector(1, 4)->size, 0u);
}

TEST(FlatBufferBuilder, GrowsPastItsFirstBlockKeepingOffsets) {
  FlatBufferBuilder b;
  std::vector<Offset> strings;
  for (int i = 0; i < 500; ++i) strings.push_back(b.String("string number " + std::to_string(i)));
  const Offset vector = b.OffsetVector(strings);
  b.StartTable();
  b.AddOffset(0, vector);
  const std::string bytes = b.Finish(b.EndTable());
  std::vector<uint64_t> storage;
  auto root = FlatTable::Root(Aligned(bytes, storage));
  ASSERT_TRUE(root.has_value());
  auto v = root->Vector(0, 4);
  ASSERT_TRUE(v.has_value());
  ASSERT_EQ(v->size, 500u);
  // The last string, through the vector's offset.
  const std::string_view all = Aligned(bytes, storage);
  const size_t slot = v->start + 4 * 499;
  uint32_t relative;
  std::memcpy(&relative, all.data() + slot, 4);
  uint32_t length;
  std::memcpy(&length, all.data() + slot + relative, 4);
  EXPECT_EQ(all.substr(slot + relative + 4, length), "string number 499");
}

}  // namespace
}  // namespace eventlake::query
