// MaskStep: hash, tokenize and redact, nested members, and data that
// cannot be masked failing alone.
#include "pipeline/mask_step.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "security/api_key.h"

namespace eventlake::pipeline {
namespace {

constexpr std::string_view kKey = "a-token-key-of-32-bytes-for-test";

TEST(MaskStep, HashesTokenizesAndRedacts) {
  auto step = MaskStep::Create({.members = {{"email", MaskKind::kHash},
                                            {"user.phone", MaskKind::kTokenize},
                                            {"card", MaskKind::kRedact},
                                            {"missing", MaskKind::kRedact},
                                            {"age", MaskKind::kHash}},
                                .token_key = std::string(kKey)});
  ASSERT_TRUE(step.has_value()) << step.error().ToString();
  const std::string out =
      step->MaskData(R"({"email": "a@b.c", "user": {"phone": "+49 1"}, "card": "4111", "age": 42, "n": null})").value();
  const std::string hash = security::HashApiKey("a@b.c");
  const std::string token = security::HexOf(security::HmacSha256(kKey, "+49 1"));
  EXPECT_EQ(out, R"({"email":")" + hash + R"(","user":{"phone":")" + token + R"("},"card":"REDACTED","age":")" +
                     security::HashApiKey("42") + R"(","n":null})");
  // Equal values mask equally; the key changes the tokens.
  EXPECT_EQ(step->MaskData(R"({"user": {"phone": "+49 1"}})").value(), R"({"user":{"phone":")" + token + R"("}})");
  auto other = MaskStep::Create({.members = {{"p", MaskKind::kTokenize}}, .token_key = "another-key-16-bytes"});
  EXPECT_NE(other->MaskData(R"({"p": "+49 1"})").value(), R"({"p":")" + token + R"("})");
}

TEST(MaskStep, DataThatIsNotAnObjectFailsAloneAndBadSpecsAreRefused) {
  auto step = MaskStep::Create({.members = {{"email", MaskKind::kRedact}}});
  ASSERT_TRUE(step.has_value());
  std::vector<BatchRecord> batch(2);
  batch[0].event.data = R"({"email": "x"})";
  batch[1].event.data = R"("just text with x@y.z")";
  StepResult r = step->Run(batch);
  ASSERT_EQ(r.out.size(), 1u);
  EXPECT_EQ(r.out[0].data, R"({"email":"REDACTED"})");
  ASSERT_EQ(r.failed.size(), 1u);
  EXPECT_EQ(r.failed[0].index, 1u);
  EXPECT_FALSE(MaskStep::Create({.members = {{"p", MaskKind::kTokenize}}, .token_key = "short"}).has_value());
  EXPECT_FALSE(MaskStep::Create({.members = {{"a.", MaskKind::kHash}}}).has_value());
  EXPECT_FALSE(ParseMaskKind("encrypt").has_value());
}

}  // namespace
}  // namespace eventlake::pipeline
