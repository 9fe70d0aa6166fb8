// Tests for the Authenticator: off without keys, the principal of a known
// key, and 401-worthy errors (missing, malformed, unknown) that never repeat
// the key.
#include "security/authenticator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "security/api_key.h"

namespace eventlake::security {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Keys {
  std::string writer = GenerateApiKey();
  std::string reader = GenerateApiKey();
};

SecurityOptions OptionsFor(const Keys& keys) {
  SecurityOptions options;
  options.policies = {
      {.name = "producer",
       .statements = {{.effect = Effect::kAllow,
                       .actions = {"events:Put"},
                       .resources = {"source/*"}}}},
      {.name = "observer",
       .statements = {
           {.effect = Effect::kAllow, .actions = {"metrics:Read"}, .resources = {"metrics"}}}}};
  options.api_keys = {
      {.name = "writer", .key_sha256 = HashApiKey(keys.writer), .policies = {"producer"}},
      {.name = "reader", .key_sha256 = HashApiKey(keys.reader), .policies = {"observer"}}};
  return options;
}

Authenticator MustCreate(const SecurityOptions& options) {
  Result<Authenticator> authenticator = Authenticator::Create(options);
  if (!authenticator.has_value()) {
    ADD_FAILURE() << authenticator.error().ToString();
    return Authenticator();
  }
  return std::move(authenticator).value();
}

TEST(Authenticator, WithoutKeysIsDisabledAndAnswersAnonymous) {
  const Authenticator authenticator = MustCreate({});
  EXPECT_FALSE(authenticator.enabled());
  for (const char* header : {"", "Bearer whatever", "garbage"}) {
    Result<Principal> principal = authenticator.Authenticate(header);
    ASSERT_TRUE(principal.has_value()) << header;
    EXPECT_TRUE(principal->anonymous);
    EXPECT_EQ(principal->name, "anonymous");
    EXPECT_TRUE(principal->policies.empty());
  }
  EXPECT_FALSE(Authenticator().enabled());
}

TEST(Authenticator, PoliciesWithoutKeysLeaveItDisabled) {
  Keys keys;
  SecurityOptions options = OptionsFor(keys);
  options.api_keys.clear();
  EXPECT_FALSE(MustCreate(options).enabled());
}

TEST(Authenticator, KnownKeyGivesItsPrincipal) {
  Keys keys;
  const Authenticator authenticator = MustCreate(OptionsFor(keys));
  ASSERT_TRUE(authenticator.enabled());
  Result<Principal> writer = authenticator.Authenticate("Bearer " + keys.writer);
  ASSERT_TRUE(writer.has_value()) << writer.error().ToString();
  EXPECT_EQ(writer->name, "writer");
  EXPECT_EQ(writer->policies, std::vector<std::string>{"producer"});
  EXPECT_FALSE(writer->anonymous);
  Result<Principal> reader = authenticator.Authenticate("bearer   " + keys.reader + " ");
  ASSERT_TRUE(reader.has_value()) << reader.error().ToString();
  EXPECT_EQ(reader->name, "reader");
}

TEST(Authenticator, AcceptsUpperCaseHashInConfig) {
  Keys keys;
  SecurityOptions options = OptionsFor(keys);
  for (char& c : options.api_keys[0].key_sha256) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  Result<Principal> writer = MustCreate(options).Authenticate("Bearer " + keys.writer);
  ASSERT_TRUE(writer.has_value());
  EXPECT_EQ(writer->name, "writer");
}

TEST(Authenticator, RejectsMissingHeader) {
  Keys keys;
  Result<Principal> principal = MustCreate(OptionsFor(keys)).Authenticate("");
  ASSERT_FALSE(principal.has_value());
  EXPECT_EQ(principal.error().code(), StatusCode::kUnauthenticated);
  EXPECT_THAT(principal.error().message(), HasSubstr("missing Authorization header"));
}

TEST(Authenticator, RejectsMalformedHeader) {
  Keys keys;
  const Authenticator authenticator = MustCreate(OptionsFor(keys));
  const std::string headers[] = {"Basic dXNlcjpwYXNz", keys.writer,
                                 "Bearer " + keys.writer + " extra"};
  for (const std::string& header : headers) {
    Result<Principal> principal = authenticator.Authenticate(header);
    ASSERT_FALSE(principal.has_value()) << header;
    EXPECT_EQ(principal.error().code(), StatusCode::kUnauthenticated);
    EXPECT_THAT(principal.error().message(), Not(HasSubstr(keys.writer)));
  }
}

TEST(Authenticator, RejectsUnknownKeyWithoutEchoingIt) {
  Keys keys;
  const Authenticator authenticator = MustCreate(OptionsFor(keys));
  const std::string stranger = GenerateApiKey();
  for (const std::string& key :
       {stranger, keys.writer.substr(0, 46), keys.writer + "A", HashApiKey(keys.writer)}) {
    Result<Principal> principal = authenticator.Authenticate("Bearer " + key);
    ASSERT_FALSE(principal.has_value()) << key;
    EXPECT_EQ(principal.error().code(), StatusCode::kUnauthenticated);
    EXPECT_THAT(principal.error().message(), HasSubstr("API key is not valid"));
    EXPECT_THAT(principal.error().message(), Not(HasSubstr(key)));
  }
}

TEST(Authenticator, CreateRejectsInvalidOptions) {
  Keys keys;
  SecurityOptions options = OptionsFor(keys);
  options.api_keys[1].policies = {"missing"};
  Result<Authenticator> authenticator = Authenticator::Create(options);
  ASSERT_FALSE(authenticator.has_value());
  EXPECT_THAT(authenticator.error().message(),
              HasSubstr("security: api_keys[1].policies[0]: unknown policy \"missing\""));
  options = OptionsFor(keys);
  options.api_keys[0].key_sha256 = "abc";
  authenticator = Authenticator::Create(options);
  ASSERT_FALSE(authenticator.has_value());
  EXPECT_THAT(authenticator.error().message(),
              HasSubstr("security: api_keys[0]: key_sha256: expected 64 hex characters"));
}

}  // namespace
}  // namespace eventlake::security
