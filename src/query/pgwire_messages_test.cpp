#include "query/pgwire_messages.h"

#include <gtest/gtest.h>

#include "query/pgwire_session.h"
#include "query/pgwire_types.h"

namespace eventlake::query {
namespace {

std::string Be32(int32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((static_cast<uint32_t>(v) >> (24 - 8 * i)) & 0xFF);
  return s;
}
std::string Be16(int16_t v) { return {static_cast<char>((v >> 8) & 0xFF), static_cast<char>(v & 0xFF)}; }
std::string Cstr(std::string_view s) { return std::string(s) + std::string(1, '\0'); }

TEST(PgWire, FramesStartupPacketsAndMessages) {
  const std::string body = Be32(kPgProtocol3) + Cstr("user") + Cstr("me") + Cstr("database") + Cstr("lake") + std::string(1, '\0');
  const std::string startup = Be32(static_cast<int32_t>(body.size() + 4)) + body;
  EXPECT_EQ(PgFrameLength(startup.substr(0, 3), true).value(), std::nullopt);
  EXPECT_EQ(PgFrameLength(startup.substr(0, 10), true).value(), std::nullopt);
  EXPECT_EQ(PgFrameLength(startup, true).value(), startup.size());
  auto parsed = ParsePgStartup(startup);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  EXPECT_EQ(parsed->parameters, (std::vector<std::pair<std::string, std::string>>{{"user", "me"}, {"database", "lake"}}));
  const std::string ssl = Be32(8) + Be32(kPgSslRequest);
  EXPECT_EQ(ParsePgStartup(ssl)->kind, PgStartup::Kind::kSslRequest);
  // Lengths out of bounds are refused before anything is buffered.
  EXPECT_FALSE(PgFrameLength(Be32(2) + "xxxx", true).has_value());
  EXPECT_FALSE(PgFrameLength(Be32(1 << 30), true).has_value());
  EXPECT_FALSE(PgFrameLength("Q" + Be32(3), false).has_value());
  EXPECT_FALSE(PgFrameLength("Q" + Be32(static_cast<int32_t>(kMaxPgMessage) + 1), false).has_value());
  EXPECT_FALSE(ParsePgStartup(Be32(8) + Be32(2 << 16)).has_value());  // protocol 2
}

TEST(PgWire, ParsesTheExtendedProtocolWithBoundsChecks) {
  auto parse = ParsePgParse(Cstr("s1") + Cstr("SELECT $1") + Be16(1) + Be32(23));
  ASSERT_TRUE(parse.has_value());
  EXPECT_EQ(parse->parameter_types, (std::vector<int32_t>{23}));
  EXPECT_FALSE(ParsePgParse(Cstr("s1") + Cstr("SELECT $1") + Be16(2) + Be32(23)).has_value());
  auto bind = ParsePgBind(Cstr("") + Cstr("s1") + Be16(1) + Be16(0) + Be16(2) + Be32(2) + "42" + Be32(-1) +
                          Be16(1) + Be16(1));
  ASSERT_TRUE(bind.has_value()) << bind.error().ToString();
  EXPECT_EQ(bind->parameters[0], "42");
  EXPECT_EQ(bind->parameters[1], std::nullopt);
  EXPECT_EQ(bind->result_formats, (std::vector<int16_t>{1}));
  EXPECT_FALSE(ParsePgBind(Cstr("") + Cstr("s1") + Be16(0) + Be16(1) + Be32(100) + "42" + Be16(0)).has_value());
  EXPECT_FALSE(ParsePgBind(Cstr("") + Cstr("s1") + Be16(-1)).has_value());
  EXPECT_FALSE(ParsePgBind(Cstr("") + Cstr("s1") + Be16(1) + Be16(7) + Be16(0) + Be16(0)).has_value());
  EXPECT_EQ(ParsePgDescribe("P" + Cstr("p1"))->name, "p1");
  EXPECT_FALSE(ParsePgDescribe("X" + Cstr("p1")).has_value());
  EXPECT_EQ(ParsePgExecute(Cstr("p1") + Be32(10))->max_rows, 10);
  EXPECT_FALSE(ParsePgQuery("no terminator").has_value());
  EXPECT_FALSE(ParsePgQuery(Cstr("a") + "trailing").has_value());
}

TEST(PgWire, WritesMessagesWithTheirLengths) {
  PgWriter w;
  w.ReadyForQuery('I');
  w.Error("42601", "bad", 14);
  const std::string out = w.Take();
  EXPECT_EQ(out.substr(0, 6), std::string("Z\0\0\0\5I", 6));
  EXPECT_EQ(out[6], 'E');
  EXPECT_NE(out.find(std::string("P15\0", 4)), std::string::npos);  // 1-based position
}

TEST(PgWire, TypesAndValuesFollowPostgres) {
  EXPECT_EQ(PgTypeOf("BIGINT").oid, kPgInt8);
  EXPECT_EQ(PgTypeOf("TIMESTAMP WITH TIME ZONE").oid, kPgTimestamptz);
  EXPECT_EQ(PgTypeOf("TIMESTAMPTZ").oid, kPgTimestamptz);  // the Delta schema's spelling
  EXPECT_EQ(PgTypeOf("DECIMAL(18,3)").oid, kPgNumeric);
  EXPECT_EQ(PgTypeOf("VARCHAR[]").oid, 1009);
  EXPECT_EQ(PgTypeOf("STRUCT(a INTEGER)").oid, kPgJson);
  EXPECT_EQ(PgText("true", PgTypeOf("BOOLEAN")).value(), "t");
  EXPECT_EQ(PgText("null", PgTypeOf("BIGINT")).value(), std::nullopt);
  EXPECT_EQ(PgText(R"(["a\"b",null,1])", PgTypeOf("VARCHAR[]")).value(), R"({"a\"b",NULL,1})");
  EXPECT_EQ(PgText(R"("\\x00\\xFFa")", PgTypeOf("BLOB")).value(), "\\x00ff61");
  EXPECT_EQ(PgBinary("-2", PgTypeOf("INTEGER")).value(), std::string("\xff\xff\xff\xfe", 4));
  EXPECT_EQ(PgBinary("\"2000-01-02\"", PgTypeOf("DATE")).value(), std::string("\0\0\0\1", 4));
  EXPECT_EQ(PgBinary("\"2000-01-01 00:00:01+00\"", PgTypeOf("TIMESTAMP WITH TIME ZONE")).value(),
            std::string("\0\0\0\0\0\x0f\x42\x40", 8));
  EXPECT_FALSE(PgBinary("\"x\"", PgTypeOf("UUID")).has_value());
  EXPECT_EQ(std::get<int64_t>(PgParameter("42", kPgInt4, false).value()), 42);
  EXPECT_EQ(std::get<int64_t>(PgParameter(std::string("\0\0\0\x2a", 4), kPgInt4, true).value()), 42);
  EXPECT_FALSE(PgParameter("4x", kPgInt8, false).has_value());
  EXPECT_FALSE(PgParameter(std::string("\0\0", 2), kPgInt4, true).has_value());
  EXPECT_EQ(std::get<std::string>(PgParameter("abc", 0, false).value()), "abc");
}

}  // namespace
}  // namespace eventlake::query
