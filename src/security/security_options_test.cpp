// Tests for the `security:` config section: a full example, and every error
// with the key path it must name (unknown keys, bad effect, bad or pasted
// hashes, unknown and repeated names).
#include "security/security_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "security/api_key.h"

namespace eventlake::security {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kHashA = HashApiKey("key-a");
const std::string kHashB = HashApiKey("key-b");

Result<SecurityOptions> Parse(const std::string& yaml) {
  EL_ASSIGN_OR_RETURN(YAML::Node root, config::LoadYaml(yaml, "eventlake.yaml"));
  SecurityOptions options;
  EL_RETURN_IF_ERROR(SecurityOptionsTable().Parse(root["security"], "security", &options));
  return options;
}

// The error message of parsing `yaml`, or "" when it parses.
std::string ErrorOf(const std::string& yaml) {
  Result<SecurityOptions> options = Parse(yaml);
  if (options.has_value()) return "";
  EXPECT_EQ(options.error().code(), StatusCode::kInvalidArgument);
  return options.error().message();
}

std::string KeyYaml(const std::string& hash, const std::string& policies = "[producer]") {
  return "security:\n"
         "  api_keys:\n"
         "    - name: web\n"
         "      key_sha256: \"" +
         hash +
         "\"\n"
         "      policies: " +
         policies +
         "\n"
         "  policies:\n"
         "    - name: producer\n"
         "      statements:\n"
         "        - effect: allow\n"
         "          actions: [\"events:Put\"]\n"
         "          resources: [\"source/web\"]\n";
}

// A section with one policy whose single statement is `statement` (YAML
// flow map).
std::string StatementYaml(const std::string& statement) {
  return "security:\n  policies:\n    - name: p\n      statements:\n        - " + statement + "\n";
}

TEST(SecurityOptions, ParsesKeysAndPolicies) {
  Result<SecurityOptions> options = Parse(KeyYaml(kHashA));
  ASSERT_TRUE(options.has_value()) << options.error().ToString();
  ASSERT_EQ(options->api_keys.size(), 1u);
  EXPECT_EQ(options->api_keys[0].name, "web");
  EXPECT_EQ(options->api_keys[0].key_sha256, kHashA);
  EXPECT_EQ(options->api_keys[0].policies, std::vector<std::string>{"producer"});
  ASSERT_EQ(options->policies.size(), 1u);
  const Statement& st = options->policies[0].statements.at(0);
  EXPECT_EQ(st.effect, Effect::kAllow);
  EXPECT_EQ(st.actions, std::vector<std::string>{"events:Put"});
  EXPECT_EQ(st.resources, std::vector<std::string>{"source/web"});
  EXPECT_TRUE(ValidateSecurityOptions(*options).ok());
}

TEST(SecurityOptions, AbsentOrEmptySectionHasNoKeys) {
  Result<SecurityOptions> absent = Parse("server: {}\n");
  ASSERT_TRUE(absent.has_value());
  EXPECT_TRUE(absent->api_keys.empty());
  Result<SecurityOptions> empty = Parse("security:\n");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->policies.empty());
}

TEST(SecurityOptions, RejectsUnknownKeysWithTheirPath) {
  EXPECT_THAT(ErrorOf("security:\n  api_key: []\n"),
              HasSubstr("security.api_key: unknown key (known: api_keys, policies)"));
  EXPECT_THAT(ErrorOf(StatementYaml("{effect: allow, action: [\"*\"], resources: [\"*\"]}")),
              HasSubstr("security.policies[0].statements[0].action: unknown key"));
  EXPECT_THAT(ErrorOf("security:\n  policies:\n    - {name: p, Statement: []}\n"),
              HasSubstr("security.policies[0].Statement: unknown key"));
}

TEST(SecurityOptions, RejectsBadEffect) {
  EXPECT_THAT(ErrorOf(StatementYaml("{effect: Allow, actions: [\"*\"], resources: [\"*\"]}")),
              HasSubstr("security.policies[0].statements[0].effect: must be one of allow, deny, "
                        "got \"Allow\""));
  EXPECT_THAT(ErrorOf(StatementYaml("{actions: [\"*\"], resources: [\"*\"]}")),
              HasSubstr("security.policies[0].statements[0].effect: required"));
}

TEST(SecurityOptions, RejectsEmptyOrBadPatterns) {
  EXPECT_THAT(ErrorOf(StatementYaml("{effect: deny, actions: [], resources: [\"*\"]}")),
              HasSubstr("security.policies[0].statements[0].actions: must have at least 1"));
  EXPECT_THAT(ErrorOf(StatementYaml("{effect: deny, actions: [\"*\"]}")),
              HasSubstr("security.policies[0].statements[0].resources: required"));
  EXPECT_THAT(ErrorOf(StatementYaml("{effect: deny, actions: [\"events.Put\"], resources: [x]}")),
              HasSubstr("security.policies[0].statements[0]: actions[0]: invalid action "
                        "\"events.Put\""));
  EXPECT_THAT(ErrorOf(StatementYaml("{effect: deny, actions: [\"*\"], resources: [\"\"]}")),
              HasSubstr("security.policies[0].statements[0]: resources[0]: invalid resource"));
  EXPECT_THAT(ErrorOf("security:\n  policies:\n    - {name: p, statements: []}\n"),
              HasSubstr("security.policies[0].statements: must have at least 1"));
}

TEST(SecurityOptions, RejectsBadHashWithoutEchoingIt) {
  const std::string short_hash = kHashA.substr(0, 63);
  std::string error = ErrorOf(KeyYaml(short_hash));
  EXPECT_THAT(error, HasSubstr("security.api_keys[0]: key_sha256: expected 64 hex characters"));
  EXPECT_THAT(error, Not(HasSubstr(short_hash)));
  const std::string not_hex = kHashA.substr(0, 63) + "z";
  error = ErrorOf(KeyYaml(not_hex));
  EXPECT_THAT(error, HasSubstr("key_sha256: expected 64 hex characters"));
  EXPECT_THAT(error, Not(HasSubstr(not_hex)));
  EXPECT_THAT(ErrorOf("security:\n  api_keys:\n    - {name: web}\n"),
              HasSubstr("security.api_keys[0].key_sha256: required"));
}

TEST(SecurityOptions, RejectsAKeyPastedInsteadOfItsHash) {
  const std::string key = GenerateApiKey();
  const std::string error = ErrorOf(KeyYaml(key));
  EXPECT_THAT(error, HasSubstr("security.api_keys[0]: key_sha256: this looks like an API key"));
  EXPECT_THAT(error, Not(HasSubstr(key)));
}

TEST(SecurityOptions, AcceptsUpperCaseHash) {
  std::string upper = kHashA;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(ErrorOf(KeyYaml(upper)), "");
}

TEST(SecurityOptions, RejectsUnknownPolicyNameAtConfigTime) {
  EXPECT_THAT(ErrorOf(KeyYaml(kHashA, "[producer, admin]")),
              HasSubstr("security: api_keys[0].policies[1]: unknown policy \"admin\" (defined: "
                        "producer)"));
  EXPECT_THAT(ErrorOf("security:\n  api_keys:\n    - {name: a, key_sha256: " + kHashA +
                      ", policies: [x]}\n"),
              HasSubstr("api_keys[0].policies[0]: unknown policy \"x\" (defined: none)"));
}

TEST(SecurityOptions, AcceptsAKeyWithoutPolicies) { EXPECT_EQ(ErrorOf(KeyYaml(kHashA, "[]")), ""); }

TEST(SecurityOptions, RejectsRepeatedNamesAndHashes) {
  const std::string policy =
      "    - {name: p, statements: [{effect: allow, actions: [\"*\"], "
      "resources: [\"*\"]}]}\n";
  EXPECT_THAT(ErrorOf("security:\n  policies:\n" + policy + policy),
              HasSubstr("security: policies[1].name: policy \"p\" is already defined by "
                        "policies[0]"));
  EXPECT_THAT(ErrorOf("security:\n  api_keys:\n    - {name: a, key_sha256: " + kHashA +
                      "}\n    - {name: a, key_sha256: " + kHashB + "}\n"),
              HasSubstr("security: api_keys[1].name: \"a\" is already the name of api_keys[0]"));
  std::string upper = kHashA;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_THAT(ErrorOf("security:\n  api_keys:\n    - {name: a, key_sha256: " + kHashA +
                      "}\n    - {name: b, key_sha256: " + upper + "}\n"),
              HasSubstr("security: api_keys[1].key_sha256: the same key as api_keys[0]"));
}

TEST(SecurityOptions, RejectsBadAndReservedNames) {
  EXPECT_THAT(
      ErrorOf("security:\n  api_keys:\n    - {name: anonymous, key_sha256: " + kHashA + "}\n"),
      HasSubstr("security.api_keys[0]: name: \"anonymous\" is reserved"));
  EXPECT_THAT(
      ErrorOf("security:\n  api_keys:\n    - {name: \"a b\", key_sha256: " + kHashA + "}\n"),
      HasSubstr("security.api_keys[0]: name: \"a b\" has a character that is not allowed"));
  EXPECT_THAT(ErrorOf("security:\n  policies:\n    - {name: \"\", statements: [{effect: allow, "
                      "actions: [\"*\"], resources: [\"*\"]}]}\n"),
              HasSubstr("security.policies[0]: name: must be 1 to 128 characters"));
}

TEST(ValidateSecurityOptions, ChecksOptionsBuiltInCode) {
  SecurityOptions options;
  options.api_keys.push_back({.name = "a", .key_sha256 = "nothex", .policies = {}});
  EXPECT_THAT(ValidateSecurityOptions(options).message(),
              HasSubstr("api_keys[0]: key_sha256: expected 64 hex characters"));
  options.api_keys[0].key_sha256 = kHashA;
  options.policies.push_back({.name = "p", .statements = {{.effect = Effect::kDeny}}});
  EXPECT_THAT(ValidateSecurityOptions(options).message(),
              HasSubstr("policies[0]: statements[0]: actions: must have at least 1 entry"));
  options.policies[0].statements[0] = {
      .effect = Effect::kDeny, .actions = {"*"}, .resources = {"*"}};
  EXPECT_TRUE(ValidateSecurityOptions(options).ok());
}

TEST(SecurityOptions, ReferenceDocumentsEveryKey) {
  const std::string reference = SecurityOptionsTable().Reference();
  for (const char* key : {"api_keys", "policies", "key_sha256", "statements", "effect", "actions",
                          "resources", "security.policies[].statements[]"}) {
    EXPECT_THAT(reference, HasSubstr(key));
  }
}

}  // namespace
}  // namespace eventlake::security
