#include "lake/thrift_compact.h"

#include <gtest/gtest.h>

#include <string>

namespace eventlake::lake::thrift {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

Value Parse(const std::string& bytes) {
  size_t consumed = 0;
  auto v = ReadStruct(bytes, &consumed);
  EXPECT_TRUE(v.has_value()) << v.error().ToString();
  EXPECT_EQ(consumed, bytes.size());
  return v.value_or(Value{});
}

TEST(ThriftCompact, ReadsShortAndLongFieldHeadersBoolsAndZigzagIntegers) {
  // field 1 i32 = -2 (zigzag 3), field 2 bool true, field 20 (long form) i64 = 300,
  // field 3 (delta back, long form) binary "ab", stop.
  const std::string bytes =
      Bytes({0x15, 0x03, 0x11, 0x06, 0x28, 0xd8, 0x04, 0x08, 0x06, 0x02, 'a', 'b', 0x00});
  const Value v = Parse(bytes);
  ASSERT_EQ(v.fields.size(), 4u);
  EXPECT_EQ(v.Find(1)->type, Type::kI32);
  EXPECT_EQ(v.Find(1)->integer, -2);
  EXPECT_EQ(v.Find(2)->type, Type::kBool);
  EXPECT_EQ(v.Find(2)->integer, 1);
  EXPECT_EQ(v.Find(20)->integer, 300);
  EXPECT_EQ(v.Find(3)->bytes, "ab");
  EXPECT_EQ(WriteStruct(v), bytes);
}

TEST(ThriftCompact, ListsShortAndLongMapsAndNestedStructsRoundTrip) {
  Value inner;
  inner.Set(1, Value::Integer(Type::kI64, -1));
  inner.Set(2, Value::Integer(Type::kBool, 0));
  Value list;
  list.type = Type::kList;
  list.element_type = Type::kStruct;
  for (int i = 0; i < 20; ++i) list.elements.push_back(inner);  // 20 > 14: the long header
  Value bools;
  bools.type = Type::kSet;
  bools.element_type = Type::kBool;
  bools.elements = {Value::Integer(Type::kBool, 1), Value::Integer(Type::kBool, 0)};
  Value map;
  map.type = Type::kMap;
  map.element_type = Type::kI32;
  map.value_type = Type::kBinary;
  Value text;
  text.type = Type::kBinary;
  text.bytes = "x";
  map.elements = {Value::Integer(Type::kI32, 7), text};
  Value top;
  top.Set(4, list);
  top.Set(1, bools);  // Set keeps the fields in id order
  top.Set(300, map);
  top.Set(2, Value::Integer(Type::kByte, -5));
  ASSERT_EQ(top.fields[0].id, 1);
  ASSERT_EQ(top.fields[3].id, 300);

  const std::string bytes = WriteStruct(top);
  const Value back = Parse(bytes);
  EXPECT_EQ(WriteStruct(back), bytes);
  ASSERT_EQ(back.Find(4)->elements.size(), 20u);
  EXPECT_EQ(back.Find(4)->elements[19].Find(1)->integer, -1);
  EXPECT_EQ(back.Find(4)->elements[19].Find(2)->integer, 0);
  EXPECT_EQ(back.Find(1)->elements[0].integer, 1);
  EXPECT_EQ(back.Find(1)->elements[1].integer, 0);
  EXPECT_EQ(back.Find(300)->elements[1].bytes, "x");
  EXPECT_EQ(back.Find(2)->integer, -5);

  Value erased = back;
  erased.Erase(4);
  EXPECT_EQ(erased.Find(4), nullptr);
  EXPECT_LT(WriteStruct(erased).size(), bytes.size());
}

TEST(ThriftCompact, MalformedInputIsCorruptionNamingTheByte) {
  const std::string cases[] = {
      Bytes({0x15}),             // ends inside a field
      Bytes({0x18, 0x05, 'a'}),  // binary longer than the input
      Bytes({0x16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00}),
      Bytes({0x1d, 0x00}),                                      // type code 13
      Bytes({0x19, 0xf5, 0xff, 0xff, 0x03, 0x00}),              // a list claiming 65535 elements
      Bytes({0x14, 0xfe, 0xff, 0x07, 0x00}),                    // an i16 out of range
      Bytes({0x05, 0xfe, 0xff, 0x03, 0x00, 0x15, 0x00, 0x00}),  // field 32767, then 32768
  };
  for (const std::string& bytes : cases) {
    size_t consumed = 0;
    auto v = ReadStruct(bytes, &consumed);
    ASSERT_FALSE(v.has_value()) << testing::PrintToString(bytes);
    EXPECT_EQ(v.error().code(), StatusCode::kCorruption);
    EXPECT_NE(v.error().message().find("byte "), std::string::npos) << v.error().message();
  }
}

TEST(ThriftCompact, NestingDeeperThanTheLimitIsRefusedWithoutRecursingFurther) {
  std::string bytes;
  for (int i = 0; i <= kMaxDepth + 1; ++i) bytes.push_back(0x1c);  // field 1: struct
  bytes.append(static_cast<size_t>(kMaxDepth) + 3, '\0');
  size_t consumed = 0;
  auto v = ReadStruct(bytes, &consumed);
  ASSERT_FALSE(v.has_value());
  EXPECT_NE(v.error().message().find("nested deeper"), std::string::npos) << v.error().message();

  std::string shallow;
  for (int i = 0; i < kMaxDepth; ++i) shallow.push_back(0x1c);
  shallow.append(static_cast<size_t>(kMaxDepth) + 1, '\0');
  EXPECT_TRUE(ReadStruct(shallow, &consumed).has_value());
}

TEST(ThriftCompact, AStructEndsAtItsStopByteAndSaysWhereThatIs) {
  const std::string bytes = Bytes({0x15, 0x02, 0x00, 'r', 'e', 's', 't'});
  size_t consumed = 0;
  auto v = ReadStruct(bytes, &consumed);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(consumed, 3u);
  EXPECT_EQ(v->Find(1)->integer, 1);
}

}  // namespace
}  // namespace eventlake::lake::thrift
