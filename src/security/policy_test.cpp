// Tests for the policy engine: a truth table of (principal's policies,
// action, resource) -> decision and the statement that decided, over
// policies read from YAML through the config table; compile-time errors;
// and what a Decision points at.
#include "security/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "core/config_table.h"
#include "security/security_options.h"

namespace eventlake::security {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kPolicies = R"yaml(
policies:
  - name: producer
    statements:
      - effect: allow
        actions: ["events:Put"]
        resources: ["source/web", "source/mobile-*"]
  - name: reader
    statements:
      - effect: allow
        actions: ["streams:List", "streams:Describe", "streams:Read", "streams:Seek"]
        resources: ["stream/*"]
      - effect: allow
        actions: ["metrics:Read"]
        resources: ["metrics"]
  - name: stream-admin
    statements:
      - effect: allow
        actions: ["streams:*"]
        resources: ["*"]
  - name: no-audit
    statements:
      - effect: deny
        actions: ["streams:*"]
        resources: ["stream/audit*"]
  - name: admin
    statements:
      - effect: allow
        actions: ["*"]
        resources: ["*"]
  - name: deny-all
    statements:
      - effect: deny
        actions: ["*"]
        resources: ["*"]
  - name: analyst
    statements:
      - effect: allow
        actions: ["tables:Select"]
        resources: ["table/curated.*", "table/analytics.hourly_?"]
      - effect: deny
        actions: ["tables:Select"]
        resources: ["table/curated.pii_*"]
  - name: observer
    statements:
      - effect: allow
        actions: ["*:Read", "*:Describe", "*:List"]
        resources: ["*"]
  - name: unicode
    statements:
      - effect: allow
        actions: ["events:Put"]
        resources: ["source/caf\u00e9", "source/\u65e5\u672c?"]
  - name: mixed-case
    statements:
      - effect: allow
        actions: ["EVENTS:PUT", "Streams:describe"]
        resources: ["source/Web", "stream/Events"]
  - name: no-web
    statements:
      - effect: deny
        actions: ["events:put"]
        resources: ["source/web"]
  - name: multi
    statements:
      - effect: allow
        actions: ["streams:Read"]
        resources: ["stream/a"]
      - effect: allow
        actions: ["streams:Read"]
        resources: ["stream/b"]
      - effect: deny
        actions: ["streams:Read"]
        resources: ["stream/b"]
      - effect: allow
        actions: ["streams:Seek", "streams:Read"]
        resources: ["stream/c", "stream/d"]
  - name: teams
    statements:
      - effect: allow
        actions: ["events:Put"]
        resources: ["source/team-?/*"]
      - effect: deny
        actions: ["events:Put"]
        resources: ["source/team-x/*"]
)yaml";

SecurityOptions ParsePolicies(std::string_view yaml) {
  Result<YAML::Node> node = config::LoadYaml(yaml, "test");
  SecurityOptions options;
  if (!node.has_value()) {
    ADD_FAILURE() << node.error().ToString();
    return options;
  }
  Status s = SecurityOptionsTable().Parse(*node, "security", &options);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return options;
}

PolicySet CompileFixture() {
  Result<PolicySet> set = PolicySet::Compile(ParsePolicies(kPolicies).policies);
  if (!set.has_value()) {
    ADD_FAILURE() << set.error().ToString();
    return PolicySet();
  }
  return std::move(set).value();
}

std::string Allow(const std::string& policy, int statement) {
  return "allowed by policy \"" + policy + "\" statement " + std::to_string(statement);
}
std::string Deny(const std::string& policy, int statement) {
  return "denied by policy \"" + policy + "\" statement " + std::to_string(statement);
}
const std::string kNone(kDefaultDenyReason);

struct Row {
  std::vector<std::string> policies;  // the principal's
  std::string action;
  std::string resource;
  bool allowed;
  std::string reason;
};

// clang-format off
const std::vector<Row>& TruthTable() {
  static const std::vector<Row> rows = {
      // Default deny: no policies, unknown policy names, nothing that applies.
      {{}, "events:Put", "source/web", false, kNone},
      {{}, "*", "*", false, kNone},
      {{"not-configured"}, "events:Put", "source/web", false, kNone},
      {{"producer"}, "events:Put", "source/other", false, kNone},
      {{"producer"}, "streams:Read", "source/web", false, kNone},
      {{"producer"}, "events:Delete", "source/web", false, kNone},
      {{"producer"}, "events:Put", "", false, kNone},
      {{"producer"}, "", "source/web", false, kNone},
      // Allow by exact action and resource, and by wildcard resource.
      {{"producer"}, "events:Put", "source/web", true, Allow("producer", 0)},
      {{"producer"}, "events:Put", "source/mobile-ios", true, Allow("producer", 0)},
      {{"producer"}, "events:Put", "source/mobile-", true, Allow("producer", 0)},
      {{"producer"}, "events:Put", "source/mobile", false, kNone},
      {{"producer"}, "events:Put", "source/web/x", false, kNone},
      {{"producer"}, "events:Put", "source/webx", false, kNone},
      // Action lists and multiple statements in one policy.
      {{"reader"}, "streams:List", "stream/events", true, Allow("reader", 0)},
      {{"reader"}, "streams:Seek", "stream/events", true, Allow("reader", 0)},
      {{"reader"}, "streams:Create", "stream/events", false, kNone},
      {{"reader"}, "metrics:Read", "metrics", true, Allow("reader", 1)},
      {{"reader"}, "metrics:Read", "metrics/x", false, kNone},
      {{"reader"}, "streams:Read", "metrics", false, kNone},
      // Wildcard actions.
      {{"stream-admin"}, "streams:Create", "stream/new", true, Allow("stream-admin", 0)},
      {{"stream-admin"}, "streams:AnythingAtAll", "x", true, Allow("stream-admin", 0)},
      {{"stream-admin"}, "events:Put", "source/web", false, kNone},
      {{"stream-admin"}, "streamsX:Read", "stream/a", false, kNone},
      {{"admin"}, "events:Put", "source/web", true, Allow("admin", 0)},
      {{"admin"}, "tables:Select", "table/curated.clicks", true, Allow("admin", 0)},
      {{"admin"}, "", "", true, Allow("admin", 0)},
      {{"observer"}, "metrics:Read", "metrics", true, Allow("observer", 0)},
      {{"observer"}, "streams:Describe", "stream/x", true, Allow("observer", 0)},
      {{"observer"}, "streams:List", "stream/x", true, Allow("observer", 0)},
      {{"observer"}, "streams:Create", "stream/x", false, kNone},
      {{"observer"}, "streams:ReadAll", "stream/x", false, kNone},
      // Deny overrides allow across policies, whatever their order.
      {{"stream-admin", "no-audit"}, "streams:Read", "stream/audit", false, Deny("no-audit", 0)},
      {{"no-audit", "stream-admin"}, "streams:Read", "stream/audit", false, Deny("no-audit", 0)},
      {{"stream-admin", "no-audit"}, "streams:Read", "stream/audit-2024", false, Deny("no-audit", 0)},
      {{"stream-admin", "no-audit"}, "streams:Read", "stream/events", true, Allow("stream-admin", 0)},
      {{"no-audit"}, "streams:Read", "stream/events", false, kNone},
      {{"no-audit"}, "streams:Read", "stream/audit", false, Deny("no-audit", 0)},
      {{"admin", "deny-all"}, "events:Put", "source/web", false, Deny("deny-all", 0)},
      {{"deny-all", "admin"}, "metrics:Read", "metrics", false, Deny("deny-all", 0)},
      {{"producer", "no-web"}, "events:Put", "source/web", false, Deny("no-web", 0)},
      {{"producer", "no-web"}, "events:Put", "source/mobile-x", true, Allow("producer", 0)},
      {{"admin", "no-web"}, "EVENTS:PUT", "source/web", false, Deny("no-web", 0)},
      // The first allow that applies is reported.
      {{"reader", "stream-admin"}, "streams:Read", "stream/x", true, Allow("reader", 0)},
      {{"stream-admin", "reader"}, "streams:Read", "stream/x", true, Allow("stream-admin", 0)},
      {{"producer", "producer"}, "events:Put", "source/web", true, Allow("producer", 0)},
      // Deny inside the same policy, and statements further down.
      {{"multi"}, "streams:Read", "stream/a", true, Allow("multi", 0)},
      {{"multi"}, "streams:Read", "stream/b", false, Deny("multi", 2)},
      {{"multi"}, "streams:Read", "stream/d", true, Allow("multi", 3)},
      {{"multi"}, "streams:Seek", "stream/c", true, Allow("multi", 3)},
      {{"multi"}, "streams:Seek", "stream/a", false, kNone},
      {{"multi", "admin"}, "streams:Read", "stream/b", false, Deny("multi", 2)},
      // Tables: dots are literal, wildcards and '?'.
      {{"analyst"}, "tables:Select", "table/curated.clicks", true, Allow("analyst", 0)},
      {{"analyst"}, "tables:Select", "table/curated.pii_users", false, Deny("analyst", 1)},
      {{"analyst"}, "tables:Select", "table/raw.web", false, kNone},
      {{"analyst"}, "tables:Select", "table/curatedXclicks", false, kNone},
      {{"analyst"}, "tables:Select", "table/analytics.hourly_1", true, Allow("analyst", 0)},
      {{"analyst"}, "tables:Select", "table/analytics.hourly_12", false, kNone},
      {{"analyst", "admin"}, "tables:Select", "table/curated.pii_x", false, Deny("analyst", 1)},
      // Resources with '/': '*' crosses it, '?' matches one character including '/'.
      {{"teams"}, "events:Put", "source/team-a/web", true, Allow("teams", 0)},
      {{"teams"}, "events:Put", "source/team-a/web/deep", true, Allow("teams", 0)},
      {{"teams"}, "events:Put", "source/team-//x", true, Allow("teams", 0)},
      {{"teams"}, "events:Put", "source/team-ab/web", false, kNone},
      {{"teams"}, "events:Put", "source/team-x/web", false, Deny("teams", 1)},
      // Unicode resources are matched by bytes; '?' takes one UTF-8 character.
      {{"unicode"}, "events:Put", "source/caf\xc3\xa9", true, Allow("unicode", 0)},
      {{"unicode"}, "events:Put", "source/cafe", false, kNone},
      {{"unicode"}, "events:Put", "source/caf\xc3\x89", false, kNone},
      {{"unicode"}, "events:Put", "source/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", true, Allow("unicode", 0)},
      {{"unicode"}, "events:Put", "source/\xe6\x97\xa5\xe6\x9c\xac", false, kNone},
      // Actions ignore case (service and name); resources do not.
      {{"producer"}, "EVENTS:PUT", "source/web", true, Allow("producer", 0)},
      {{"producer"}, "Events:put", "source/web", true, Allow("producer", 0)},
      {{"producer"}, "events:Put", "Source/Web", false, kNone},
      {{"mixed-case"}, "events:Put", "source/Web", true, Allow("mixed-case", 0)},
      {{"mixed-case"}, "events:Put", "source/web", false, kNone},
      {{"mixed-case"}, "streams:Describe", "stream/Events", true, Allow("mixed-case", 0)},
      {{"mixed-case"}, "streams:Describe", "stream/events", false, kNone},
      {{"stream-admin"}, "STREAMS:read", "stream/x", true, Allow("stream-admin", 0)},
  };
  return rows;
}
// clang-format on

TEST(PolicySet, TruthTable) {
  const PolicySet set = CompileFixture();
  ASSERT_GE(TruthTable().size(), 60u);
  for (size_t i = 0; i < TruthTable().size(); ++i) {
    const Row& row = TruthTable()[i];
    SCOPED_TRACE("row " + std::to_string(i) + ": " + row.action + " on [" + row.resource + "]");
    const Principal principal{.name = "p", .policies = row.policies};
    const Decision d = set.Evaluate(principal, row.action, row.resource);
    EXPECT_EQ(d.allowed, row.allowed);
    EXPECT_EQ(d.reason, row.reason);
  }
}

TEST(PolicySet, DecisionPointsAtTheDecidingStatement) {
  const PolicySet set = CompileFixture();
  const Principal principal{.name = "p", .policies = {"multi"}};
  const Decision deny = set.Evaluate(principal, "streams:Read", "stream/b");
  EXPECT_EQ(deny.policy, "multi");
  EXPECT_EQ(deny.statement_index, 2u);
  ASSERT_NE(deny.statement, nullptr);
  EXPECT_EQ(deny.statement->effect, Effect::kDeny);
  EXPECT_EQ(deny.statement, &set.Find("multi")->statements[2]);

  const Decision none = set.Evaluate(principal, "events:Put", "source/web");
  EXPECT_EQ(none.statement, nullptr);
  EXPECT_TRUE(none.policy.empty());
}

TEST(PolicySet, EmptySetAndAnonymousPrincipalAreDenied) {
  const PolicySet empty;
  EXPECT_FALSE(empty.Evaluate({.name = "p", .policies = {"admin"}}, "*", "*").allowed);
  const PolicySet set = CompileFixture();
  const Decision d = set.Evaluate(AnonymousPrincipal(), "events:Put", "source/web");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, kDefaultDenyReason);
}

TEST(PolicySet, SurvivesAMove) {
  PolicySet first = CompileFixture();
  PolicySet moved = std::move(first);
  const Decision d = moved.Evaluate({.name = "p", .policies = {"analyst"}}, "tables:Select",
                                    "table/curated.pii_a");
  EXPECT_EQ(d.reason, Deny("analyst", 1));
  EXPECT_EQ(d.policy, "analyst");
}

TEST(PolicySet, EvaluatesConcurrently) {
  const PolicySet set = CompileFixture();
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        for (const Row& row : TruthTable()) {
          const Decision d =
              set.Evaluate({.name = "p", .policies = row.policies}, row.action, row.resource);
          if (d.allowed != row.allowed || d.reason != row.reason) ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

Status CompileError(std::vector<Policy> policies) {
  Result<PolicySet> set = PolicySet::Compile(policies);
  return set.has_value() ? Status::Ok() : set.error();
}

TEST(PolicySet, CompileRejectsBadPolicies) {
  const Statement ok{.effect = Effect::kAllow, .actions = {"events:Put"}, .resources = {"*"}};
  EXPECT_THAT(CompileError({{"a", {ok}}, {"a", {ok}}}).message(),
              HasSubstr("policies[1] (\"a\"): a policy with this name is already defined"));
  EXPECT_THAT(CompileError({{"", {ok}}}).message(), HasSubstr("policies[0]: policy name"));
  EXPECT_THAT(CompileError({{"a b", {ok}}}).message(), HasSubstr("not allowed"));
  EXPECT_THAT(CompileError({{"a", {}}}).message(), HasSubstr("statements: must have at least 1"));
  Statement no_actions = ok;
  no_actions.actions.clear();
  EXPECT_THAT(CompileError({{"a", {ok, no_actions}}}).message(),
              HasSubstr("statements[1]: actions: must have at least 1"));
  Statement bad_action = ok;
  bad_action.actions = {"events:Put", "events.Put"};
  EXPECT_THAT(CompileError({{"a", {bad_action}}}).message(),
              HasSubstr("statements[0]: actions[1]: invalid action \"events.Put\""));
  Statement bad_resource = ok;
  bad_resource.resources = {"source/\n"};
  EXPECT_THAT(CompileError({{"a", {bad_resource}}}).message(),
              HasSubstr("resources[0]: invalid resource"));
  EXPECT_TRUE(CompileError({{"a", {ok}}, {"b", {ok}}}).ok());
}

TEST(ValidateActionPattern, AcceptsServiceColonNameOrStars) {
  for (const char* good : {"*", "**", "events:Put", "streams:*", "*:Read", "s3:Get?bject",
                           "my-service:do_thing", "EVENTS:PUT"}) {
    EXPECT_TRUE(ValidateActionPattern(good).ok()) << good;
  }
  for (const char* bad : {"", "events", "events:", ":Put", "events:Put:x", "events:Put ",
                          "events/Put", "?", "events:Pu t", "source/web"}) {
    Status s = ValidateActionPattern(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(ValidateActionPattern(std::string(129, 'a')).ok());
}

TEST(ValidateResourcePattern, RejectsEmptyLongAndControlCharacters) {
  EXPECT_TRUE(ValidateResourcePattern("table/curated.*").ok());
  EXPECT_TRUE(ValidateResourcePattern("source/caf\xc3\xa9 x").ok());
  EXPECT_FALSE(ValidateResourcePattern("").ok());
  EXPECT_FALSE(ValidateResourcePattern("a\tb").ok());
  EXPECT_FALSE(ValidateResourcePattern("a\x7f").ok());
  EXPECT_FALSE(ValidateResourcePattern(std::string(1025, 'a')).ok());
  EXPECT_TRUE(ValidateResourcePattern(std::string(1024, 'a')).ok());
}

}  // namespace
}  // namespace eventlake::security
