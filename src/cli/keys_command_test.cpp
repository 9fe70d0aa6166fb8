// Tests for `eventlake keys generate`: what it prints is a working setup —
// the YAML snippet parses, and the printed key authenticates as the named
// principal and may put events.
#include "cli/keys_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/config_table.h"
#include "security/api_key.h"
#include "security/authenticator.h"
#include "security/scram.h"
#include "security/security_options.h"

namespace eventlake::cli {
namespace {

using ::testing::HasSubstr;

TEST(RenderGeneratedKey, PrintsKeyAndHashOnce) {
  const std::string key = security::GenerateApiKey();
  const std::string text = RenderGeneratedKey("web", key);
  const std::string hash = security::HashApiKey(key);
  EXPECT_THAT(text, HasSubstr("  " + key + "\n"));
  EXPECT_EQ(text.find(key), text.rfind(key)) << "the key must appear once";
  EXPECT_THAT(text, HasSubstr("key_sha256: " + hash + "\n"));
  EXPECT_THAT(text, HasSubstr("- name: web\n"));
}

TEST(RenderGeneratedKey, SnippetIsAWorkingSecurityConfig) {
  const std::string key = security::GenerateApiKey();
  const std::string text = RenderGeneratedKey("web-frontend", key);
  const size_t start = text.find("\nsecurity:\n");
  ASSERT_NE(start, std::string::npos) << text;
  Result<YAML::Node> root = config::LoadYaml(text.substr(start + 1), "snippet");
  ASSERT_TRUE(root.has_value()) << root.error().ToString();
  security::SecurityOptions options;
  Status parsed = security::SecurityOptionsTable().Parse((*root)["security"], "security", &options);
  ASSERT_TRUE(parsed.ok()) << parsed.ToString();

  Result<security::Authenticator> authenticator = security::Authenticator::Create(options);
  ASSERT_TRUE(authenticator.has_value()) << authenticator.error().ToString();
  Result<security::Principal> principal = authenticator->Authenticate("Bearer " + key);
  ASSERT_TRUE(principal.has_value()) << principal.error().ToString();
  EXPECT_EQ(principal->name, "web-frontend");
  // The SCRAM verifier is the key's: a client that knows the key logs in.
  const auto* scram = authenticator->ScramCredentialOf("web-frontend");
  ASSERT_NE(scram, nullptr);
  security::ScramServer server(scram->verifier);
  const std::string first = server.ClientFirst("n,,n=,r=abcdef").value();
  EXPECT_TRUE(server.ClientFinal(security::ScramClientFinal(key, "n=,r=abcdef", first).value()).has_value());

  Result<security::PolicySet> policies = security::PolicySet::Compile(options.policies);
  ASSERT_TRUE(policies.has_value()) << policies.error().ToString();
  EXPECT_TRUE(policies->Evaluate(*principal, "events:Put", "source/web").allowed);
  EXPECT_FALSE(policies->Evaluate(*principal, "streams:Read", "stream/events").allowed);
}

}  // namespace
}  // namespace eventlake::cli
