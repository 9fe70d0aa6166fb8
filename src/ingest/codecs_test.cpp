// Tests of the small codecs under the CloudEvents formats: JSON strings
// and UTF-8.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ingest/json_text.h"

namespace eventlake::ingest {
namespace {

using ::testing::HasSubstr;

TEST(JsonString, EscapesControlAndQuoteCharacters) {
  EXPECT_EQ(JsonString("a\"b\\c\n\x01"), R"("a\"b\\c\n\u0001")");
  auto parsed = nlohmann::json::parse(JsonString("tab\t é ✓ 😀"));
  EXPECT_EQ(parsed, "tab\t é ✓ 😀");
}

TEST(IsAscii, LooksAtEveryByte) {
  EXPECT_TRUE(IsAscii(""));
  EXPECT_TRUE(IsAscii("plain text that is longer than one word"));
  for (size_t at : {0, 7, 8, 15, 16, 20}) {
    std::string text(21, 'a');
    text[at] = '\xC3';
    EXPECT_FALSE(IsAscii(text)) << at;
  }
}

TEST(IsValidUtf8, RejectsOverlongsSurrogatesAndTruncation) {
  EXPECT_TRUE(IsValidUtf8("plain é ✓ 😀"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xe2\x9c"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
}

TEST(IsValidUtf8, FindsABadByteAfterOrInsideLongAsciiRuns) {
  EXPECT_TRUE(IsValidUtf8("0123456789abcdef é 0123456789abcdef"));
  EXPECT_FALSE(IsValidUtf8("0123456789abcdef\xc0\xaf"));
  EXPECT_FALSE(IsValidUtf8("01234567\xffzzzzzzzz"));
  EXPECT_FALSE(IsValidUtf8("0123456\xe2\x9c"));  // truncated at the end
}

TEST(JsonString, EscapesBetweenLongRunsOfPlainText) {
  EXPECT_EQ(JsonString("0123456789\"abcdefgh\\ijklmnop\x7f\xff."),
            "\"0123456789\\\"abcdefgh\\\\ijklmnop\x7f\xEF\xBF\xBD.\"");
  EXPECT_EQ(JsonString("abcdefg\x01hijklmnopqrstu\tv"), R"("abcdefg\u0001hijklmnopqrstu\tv")");
}

TEST(AppendValidJsonString, EscapesValidTextAndLeavesTheOutputAsItWasForBadText) {
  std::string out = "[";
  EXPECT_TRUE(AppendValidJsonString("tab\t é \"✓\"", &out));
  EXPECT_EQ(out, R"(["tab\t é \"✓\"")");
  EXPECT_FALSE(AppendValidJsonString("0123456789abcdef\xc0\xaf", &out));
  EXPECT_FALSE(AppendValidJsonString("\xed\xa0\x80", &out));
  EXPECT_EQ(out, R"(["tab\t é \"✓\"")");
}

}  // namespace
}  // namespace eventlake::ingest
