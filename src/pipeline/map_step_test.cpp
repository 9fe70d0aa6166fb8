// MapStep: rename, drop, set and cast, nested names, and events that
// cannot be mapped failing alone with their reason.
#include "pipeline/map_step.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace eventlake::pipeline {
namespace {

using testing::HasSubstr;

MapStep Make(MapSpec spec) {
  auto step = MapStep::Create(std::move(spec));
  EXPECT_TRUE(step.has_value()) << step.error().ToString();
  return std::move(*step);
}

TEST(MapStep, RenamesDropsSetsAndCastsInThatOrder) {
  MapStep step = Make({.rename = {{"usr", "user.id"}},
                       .drop = {"debug", "missing"},
                       .set = {{"source_system", R"("web")"}, {"user.tier", "1"}},
                       .cast = {{"price", CastType::kDouble}, {"qty", CastType::kInteger}, {"ok", CastType::kBoolean},
                                {"user.id", CastType::kString}}});
  EXPECT_EQ(step.MapData(R"({"usr": 42, "price": "9.5", "qty": "3", "ok": "true", "debug": {"x": 1}, "keep": [1]})")
                .value(),
            R"({"price":9.5,"qty":3,"ok":true,"keep":[1],"user":{"id":"42","tier":1},"source_system":"web"})");
  // Nothing to rename or cast: those members are simply absent.
  EXPECT_EQ(step.MapData(R"({"a": 1})").value(), R"({"a":1,"source_system":"web","user":{"tier":1}})");
}

TEST(MapStep, AnEventThatCannotBeMappedFailsAloneWithItsReason) {
  MapStep step = Make({.cast = {{"qty", CastType::kInteger}}});
  std::vector<BatchRecord> batch(3);
  batch[0].event.data = R"({"qty": "7"})";
  batch[1].event.data = R"({"qty": "seven"})";
  batch[2].event.data = "[1, 2]";
  StepResult r = step.Run(batch);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.out.size(), 1u);
  EXPECT_EQ(r.out[0].data, R"({"qty":7})");
  ASSERT_EQ(r.failed.size(), 2u);
  EXPECT_EQ(r.failed[0].index, 1u);
  EXPECT_THAT(r.failed[0].error.message(), HasSubstr("qty (\"seven\") cannot be cast to integer"));
  EXPECT_EQ(r.failed[1].index, 2u);
  EXPECT_THAT(r.failed[1].error.message(), HasSubstr("not a JSON object"));
  for (std::string_view bad : {R"({"qty": 1.5})", R"({"qty": 2})", R"({"qty": "yes"})"}) {
    MapStep to_bool = Make({.cast = {{"qty", CastType::kBoolean}}});
    EXPECT_FALSE(to_bool.MapData(bad).has_value()) << bad;
  }
  EXPECT_FALSE(step.MapData(R"({"qty": 1.5})").has_value());
}

TEST(MapStep, RefusesSpecsThatCannotWork) {
  EXPECT_FALSE(MapStep::Create({.set = {{"a", "not json"}}}).has_value());
  EXPECT_FALSE(MapStep::Create({.drop = {""}}).has_value());
  EXPECT_FALSE(MapStep::Create({.rename = {{"a..b", "c"}}}).has_value());
  EXPECT_FALSE(ParseCastType("float").has_value());
  EXPECT_EQ(ParseCastType("integer").value(), CastType::kInteger);
}

}  // namespace
}  // namespace eventlake::pipeline
