// Base64: round trips and strict decoding.
#include "core/base64.h"

#include <gtest/gtest.h>

namespace eventlake {
namespace {

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

}  // namespace
}  // namespace eventlake
