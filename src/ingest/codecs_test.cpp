// Tests of the small codecs under the CloudEvents formats: base64, JSON
// strings and UTF-8, and plain JSON wrapping.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ingest/base64.h"
#include "ingest/json_text.h"
#include "ingest/plain_json.h"

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

PlainJsonContext Context() {
  PlainJsonContext context;
  context.source = "/eventlake/sources/web";
  context.now = 1'700'000'000'000'000;
  return context;
}

TEST(WrapPlainJson, WrapsOneObject) {
  auto events = WrapPlainJson(R"({"user":"u1","n":2})", Context());
  ASSERT_TRUE(events) << events.error().ToString();
  ASSERT_EQ(events->size(), 1u);
  const CloudEvent& event = (*events)[0];
  EXPECT_EQ(event.source, "/eventlake/sources/web");
  EXPECT_EQ(event.type, "eventlake.event");
  EXPECT_EQ(event.data_content_type, "application/json");
  EXPECT_EQ(event.time, 1'700'000'000'000'000);
  EXPECT_EQ(event.data, R"({"user":"u1","n":2})");
  EXPECT_EQ(event.id.size(), 36u);
}

TEST(WrapPlainJson, UsesIdempotencyKeyAsId) {
  PlainJsonContext context = Context();
  context.idempotency_key = "k1";
  EXPECT_EQ(WrapPlainJson("{}", context).value()[0].id, "k1");
  auto events = WrapPlainJson("[{},{}]", context);
  ASSERT_TRUE(events);
  EXPECT_EQ((*events)[0].id, "k1-0");
  EXPECT_EQ((*events)[1].id, "k1-1");
}

TEST(WrapPlainJson, RejectsNonObjects) {
  EXPECT_THAT(WrapPlainJson("[{}, 3]", Context()).error().message(), HasSubstr("[1]"));
  EXPECT_FALSE(WrapPlainJson("\"text\"", Context()));
  EXPECT_FALSE(WrapPlainJson("{", Context()));
}

}  // namespace
}  // namespace eventlake::ingest
