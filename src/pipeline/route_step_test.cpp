// RouteStep: each event's sinks from the rules that hold for it, otherwise
// when none does, the choice as the elroute extension; RoutedSinks reading
// it back.
#include "pipeline/route_step.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipeline/batch_test_util.h"

namespace eventlake::pipeline {
namespace {

std::string Route(const CloudEvent& e) {
  const ExtensionValue* v = e.FindExtension(kRouteExtension);
  return v == nullptr ? "<none>" : std::get<std::string>(*v);
}

TEST(RouteStep, EachEventGoesToTheSinksOfEveryRuleThatHoldsOrOtherwise) {
  auto step = RouteStep::Create({.rules = {{.when = "region = 'eu'", .to = {"curated.eu"}},
                                           {.when = "amount > 100", .to = {"alerts", "curated.eu"}}},
                                 .otherwise = {"curated.rest"}});
  ASSERT_TRUE(step.has_value()) << step.error().ToString();
  auto batch = TestBatch({R"({"region": "eu", "amount": 5})", R"({"region": "us", "amount": 500})",
                      R"({"region": "eu", "amount": 500})", R"({"region": "us", "amount": 1})",
                      R"({"region": null, "amount": null})"});
  StepResult r = (*step)->Run(batch);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.out.size(), 5u);
  EXPECT_EQ(Route(r.out[0]), "curated.eu");
  EXPECT_EQ(Route(r.out[1]), "alerts,curated.eu");
  EXPECT_EQ(Route(r.out[2]), "curated.eu,alerts");
  EXPECT_EQ(Route(r.out[3]), "curated.rest");
  EXPECT_EQ(Route(r.out[4]), "curated.rest");  // NULL is not true
  EXPECT_EQ(r.out[1].data, batch[1].event.data);
  EXPECT_EQ(RoutedSinks(r.out[1]).value(), (std::vector<std::string_view>{"alerts", "curated.eu"}));
}

TEST(RouteStep, WithoutOtherwiseAnUnmatchedEventIsRoutedNowhere) {
  auto step = RouteStep::Create({.rules = {{.when = "amount > 100", .to = {"alerts"}}}});
  ASSERT_TRUE(step.has_value());
  auto batch = TestBatch({R"({"amount": 1})"});
  StepResult r = (*step)->Run(batch);
  ASSERT_EQ(r.out.size(), 1u);
  EXPECT_EQ(Route(r.out[0]), "");
  EXPECT_TRUE(RoutedSinks(r.out[0]).value().empty());
  EXPECT_FALSE(RoutedSinks(batch[0].event).has_value());
}

TEST(RouteStep, AConditionThatIsNotAnExpressionIsRefused) {
  EXPECT_FALSE(RouteStep::Create({.rules = {{.when = "amount >", .to = {"a"}}}}).has_value());
  EXPECT_FALSE(RouteStep::Create({.rules = {}}).has_value());
  EXPECT_FALSE(RouteStep::Create({.rules = {{.when = "true", .to = {"a,b"}}}}).has_value());
}

TEST(RouteStep, AConditionThatFailsOnABatchFailsTheBatch) {
  auto step = RouteStep::Create({.rules = {{.when = "CAST(amount AS INTEGER) > 1", .to = {"a"}}}});
  ASSERT_TRUE(step.has_value());
  auto batch = TestBatch({R"({"amount": "lots"})"});
  EXPECT_FALSE((*step)->Run(batch).status.ok());
}

}  // namespace
}  // namespace eventlake::pipeline
