// ValidateStep: valid events pass unchanged, invalid ones fail alone with
// the violation's pointer, and the batch runner dead-letters only those.
#include "pipeline/validate_step.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace eventlake::pipeline {
namespace {

using testing::HasSubstr;

constexpr std::string_view kSchema = R"({
  "type": "object",
  "required": ["price", "country"],
  "properties": {"price": {"type": "number", "minimum": 0}, "country": {"enum": ["de", "fr"]}}
})";

TEST(ValidateStep, InvalidEventsFailAloneWithThePointerOfTheViolation) {
  auto step = ValidateStep::Create(kSchema);
  ASSERT_TRUE(step.has_value()) << step.error().ToString();
  std::vector<BatchRecord> batch(4);
  batch[0].event.data = R"({"price": 3, "country": "de"})";
  batch[1].event.data = R"({"price": -2, "country": "de"})";
  batch[2].event.data = R"({"price": 1})";
  batch[3].event.data = "not json";
  for (size_t i = 0; i < batch.size(); ++i) batch[i].event.id = "e" + std::to_string(i);
  StepResult r = step->Run(batch);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.out.size(), 1u);
  EXPECT_EQ(r.Event(0, batch), batch[0].event);
  ASSERT_EQ(r.failed.size(), 3u);
  EXPECT_THAT(r.failed[0].error.message(), HasSubstr("/price"));
  EXPECT_THAT(r.failed[1].error.message(), HasSubstr("/country"));
  EXPECT_THAT(r.failed[2].error.message(), HasSubstr("invalid JSON"));

  BatchRunner runner({.max_attempts = 2}, &SystemClock(), [](std::chrono::microseconds) {});
  for (BatchRecord& b : batch) b.appended_micros = SystemClock().NowMicros();
  BatchOutcome outcome = runner.Run("validate", batch, [&](auto b) { return step->Run(b); });
  EXPECT_EQ(outcome.out.size(), 1u);
  ASSERT_EQ(outcome.dead_letters.size(), 3u);
  EXPECT_THAT(outcome.dead_letters[0].error.message(), HasSubstr("/price"));
  EXPECT_EQ(outcome.dead_letters[0].attempts, 2);
}

TEST(ValidateStep, RefusesASchemaThatDoesNotCompile) {
  EXPECT_FALSE(ValidateStep::Create(R"({"type": "thing"})").has_value());
  EXPECT_FALSE(ValidateStep::Create("{").has_value());
}

}  // namespace
}  // namespace eventlake::pipeline
