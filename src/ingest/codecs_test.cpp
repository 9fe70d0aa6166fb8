// Tests of the small codecs under the CloudEvents formats: base64, JSON
// strings and UTF-8.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ingest/base64.h"
#include "ingest/json_text.h"

namespace eventlake::ingest {
namespace {

using ::testing::HasSubstr;

TEST(Base64, RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    auto decoded = DecodeBase64(EncodeBase64(bytes));
    ASSERT_TRUE(decoded) << i;
    EXPECT_EQ(*decoded, bytes);
    bytes.push_back(static_cast<char>(i * 37));
  }
  EXPECT_EQ(EncodeBase64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(EncodeBase64("fo"), "Zm8=");
}

TEST(Base64, AcceptsUnpadded) { EXPECT_EQ(DecodeBase64("Zm8").value(), "fo"); }

TEST(Base64, RejectsMalformed) {
  for (std::string_view bad : {"Z", "Zm9v!", "Zm=8", "Z===", "====", "Zm9=", "Zh==", "Zm 9v"}) {
    EXPECT_FALSE(DecodeBase64(bad)) << bad;
  }
}

TEST(JsonString, EscapesControlAndQuoteCharacters) {
  EXPECT_EQ(JsonString("a\"b\\c\n\x01"), R"("a\"b\\c\n\u0001")");
  auto parsed = nlohmann::json::parse(JsonString("tab\t é ✓ 😀"));
  EXPECT_EQ(parsed, "tab\t é ✓ 😀");
}

TEST(IsValidUtf8, RejectsOverlongsSurrogatesAndTruncation) {
  EXPECT_TRUE(IsValidUtf8("plain é ✓ 😀"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xe2\x9c"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
}

}  // namespace
}  // namespace eventlake::ingest
