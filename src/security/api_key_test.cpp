// Tests for API keys: the generated format, uniqueness, SHA-256 known
// answers, hex digests and Authorization: Bearer parsing.
#include "security/api_key.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

namespace eventlake::security {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kBase64UrlChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

TEST(GenerateApiKey, HasPrefixAndBase64UrlOf32Bytes) {
  const std::string key = GenerateApiKey();
  ASSERT_EQ(key.size(), kApiKeyLength);
  EXPECT_TRUE(key.starts_with("elk_"));
  const std::string_view body = std::string_view(key).substr(4);
  EXPECT_EQ(body.size(), 43u);
  EXPECT_EQ(body.find_first_not_of(kBase64UrlChars), std::string_view::npos) << key;
  // 32 bytes are 256 bits; 43 characters carry 258, so the last one's two low bits are zero.
  EXPECT_NE(std::string_view("AEIMQUYcgkosw048").find(body.back()), std::string_view::npos) << key;
}

TEST(GenerateApiKey, NeverRepeatsAKey) {
  std::set<std::string> keys;
  for (int i = 0; i < 1000; ++i) keys.insert(GenerateApiKey());
  EXPECT_EQ(keys.size(), 1000u);
}

TEST(GenerateApiKey, KeysAreValidBearerTokens) {
  const std::string key = GenerateApiKey();
  Result<std::string> token = ParseBearer("Bearer " + key);
  ASSERT_TRUE(token.has_value()) << token.error().ToString();
  EXPECT_EQ(*token, key);
}

TEST(HashApiKey, MatchesKnownSha256Vectors) {
  EXPECT_EQ(HashApiKey("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HashApiKey(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HashApiKey("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(HashApiKey, IsLowerCaseHexThatParsesBackToTheDigest) {
  const std::string key = GenerateApiKey();
  const std::string hex = HashApiKey(key);
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
  Result<Sha256Digest> digest = ParseSha256Hex(hex);
  ASSERT_TRUE(digest.has_value());
  EXPECT_EQ(*digest, Sha256(key));
}

TEST(ParseSha256Hex, AcceptsUpperCase) {
  Result<Sha256Digest> lower =
      ParseSha256Hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Result<Sha256Digest> upper =
      ParseSha256Hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
  ASSERT_TRUE(lower.has_value() && upper.has_value());
  EXPECT_EQ(*lower, *upper);
  EXPECT_EQ(*lower, Sha256("abc"));
}

TEST(ParseSha256Hex, RejectsWrongLengthAndNonHexWithoutEchoingThem) {
  const std::string short_hex(63, 'a');
  const std::string non_hex = std::string(63, 'a') + "g";
  for (const std::string& bad : {short_hex, non_hex, std::string(65, 'a'), std::string()}) {
    Result<Sha256Digest> digest = ParseSha256Hex(bad);
    ASSERT_FALSE(digest.has_value()) << bad;
    EXPECT_EQ(digest.error().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(digest.error().message(), HasSubstr("64 hex characters"));
    if (!bad.empty()) {
      EXPECT_THAT(digest.error().message(), Not(HasSubstr(bad)));
    }
  }
  EXPECT_FALSE(IsSha256Hex(non_hex));
  EXPECT_TRUE(IsSha256Hex(std::string(64, 'F')));
}

struct BearerCase {
  std::string header;
  std::string token;  // expected token, or "" when an error is expected
  std::string error;  // a part of the expected message
};

TEST(ParseBearer, AcceptsOrRejectsEachHeaderShape) {
  const std::string max_token(kMaxBearerTokenLength, 'a');
  const BearerCase cases[] = {
      {"Bearer abc", "abc", ""},
      {"bearer abc", "abc", ""},
      {"BEARER abc", "abc", ""},
      {"BeArEr abc", "abc", ""},
      {"Bearer    abc", "abc", ""},
      {"  Bearer abc \t ", "abc", ""},
      {"Bearer a-b.c_d~e+f/g==", "a-b.c_d~e+f/g==", ""},
      {"Bearer " + max_token, max_token, ""},
      {"", "", "missing Authorization header"},
      {" \t ", "", "missing Authorization header"},
      {"Bearer", "", "no token after Bearer"},
      {"Bearer    ", "", "no token after Bearer"},
      {"Basic dXNlcjpwYXNz", "", "must use the Bearer scheme"},
      {"Bearerabc", "", "must use the Bearer scheme"},
      {"Bearer\tabc", "", "must use the Bearer scheme"},
      {"Token abc", "", "must use the Bearer scheme"},
      {"Bearer a b", "", "not allowed"},
      {"Bearer abc=def", "", "not allowed"},
      {"Bearer ===", "", "not allowed"},
      {"Bearer ab\"c", "", "not allowed"},
      {"Bearer ab,c", "", "not allowed"},
      {"Bearer caf\xc3\xa9", "", "not allowed"},
      {"Bearer ab\x01", "", "not allowed"},
      {"Bearer " + max_token + "a", "", "longer than 512"},
  };
  for (const BearerCase& c : cases) {
    SCOPED_TRACE("header: [" + c.header.substr(0, 40) + "]");
    Result<std::string> token = ParseBearer(c.header);
    if (c.error.empty()) {
      ASSERT_TRUE(token.has_value()) << token.error().ToString();
      EXPECT_EQ(*token, c.token);
    } else {
      ASSERT_FALSE(token.has_value()) << *token;
      EXPECT_EQ(token.error().code(), StatusCode::kUnauthenticated);
      EXPECT_THAT(token.error().message(), HasSubstr(c.error));
    }
  }
}

TEST(ParseBearer, NeverEchoesAKeySentWithoutScheme) {
  const std::string key = GenerateApiKey();
  Result<std::string> token = ParseBearer(key);
  ASSERT_FALSE(token.has_value());
  EXPECT_THAT(token.error().message(), Not(HasSubstr(key)));
  Result<std::string> spaced = ParseBearer(key + " x");
  ASSERT_FALSE(spaced.has_value());
  EXPECT_THAT(spaced.error().message(), Not(HasSubstr(key)));
}

}  // namespace
}  // namespace eventlake::security
