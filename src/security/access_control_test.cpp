// AccessControl: off without keys, 401 for bad keys, 403 with the reason,
// explicit deny over allow.
#include "security/access_control.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "security/api_key.h"

namespace eventlake::security {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kKey = "elk_test_producer_key_0123456789abcdef";

SecurityOptions Options() {
  SecurityOptions options;
  options.api_keys.push_back({"web-frontend", HashApiKey(kKey), {"producer", "no-admin"}});
  options.policies.push_back(
      {"producer", {{Effect::kAllow, {"events:Put"}, {"source/web", "source/admin"}}}});
  options.policies.push_back({"no-admin", {{Effect::kDeny, {"*"}, {"source/admin"}}}});
  return options;
}

std::string Bearer(std::string_view key) { return "Bearer " + std::string(key); }

TEST(AccessControl, IsOffWithoutKeysAndAllowsEverything) {
  auto access = AccessControl::Create({}).value();
  EXPECT_FALSE(access->enabled());
  auto principal = access->Check("", "events:Put", "source/web");
  ASSERT_TRUE(principal.has_value());
  EXPECT_TRUE(principal->anonymous);
}

TEST(AccessControl, AllowsWhatAPolicyAllows) {
  auto access = AccessControl::Create(Options()).value();
  ASSERT_TRUE(access->enabled());
  auto principal = access->Check(Bearer(kKey), "events:Put", "source/web");
  ASSERT_TRUE(principal.has_value()) << principal.error().ToString();
  EXPECT_EQ(principal->name, "web-frontend");
}

TEST(AccessControl, MissingOrUnknownKeysAreUnauthenticated) {
  auto access = AccessControl::Create(Options()).value();
  EXPECT_EQ(access->Check("", "events:Put", "source/web").error().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(access->Check(Bearer("elk_wrong_key_0123456789abcdef01234"), "events:Put", "source/web")
                .error()
                .code(),
            StatusCode::kUnauthenticated);
}

TEST(AccessControl, DeniesOtherActionsAndResourcesWithTheReason) {
  auto access = AccessControl::Create(Options()).value();
  Status other_source = access->Check(Bearer(kKey), "events:Put", "source/mobile").error();
  EXPECT_EQ(other_source.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(other_source.message(),
              HasSubstr("web-frontend may not events:Put on source/mobile"));
  EXPECT_THAT(other_source.message(), HasSubstr("no statement allows"));
  EXPECT_EQ(access->Check(Bearer(kKey), "records:Read", "stream/events").error().code(),
            StatusCode::kPermissionDenied);
}

TEST(AccessControl, AnExplicitDenyWinsOverAnAllow) {
  auto access = AccessControl::Create(Options()).value();
  Status denied = access->Check(Bearer(kKey), "events:Put", "source/admin").error();
  EXPECT_EQ(denied.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(denied.message(), HasSubstr("no-admin"));
}

TEST(AccessControl, RefusesInvalidOptions) {
  SecurityOptions options = Options();
  options.api_keys[0].policies.push_back("missing");
  EXPECT_FALSE(AccessControl::Create(options).has_value());
}

}  // namespace
}  // namespace eventlake::security
