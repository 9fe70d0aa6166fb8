// Schedule: cron fields, macros, rates, and the next firing time across
// month ends, leap days and the day-of-month/day-of-week rule.
#include "pipeline/schedule.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/cloud_event.h"

namespace eventlake::pipeline {
namespace {

using testing::HasSubstr;

int64_t At(std::string_view rfc3339) { return ParseRfc3339(rfc3339).value(); }

std::string Next(std::string_view schedule, std::string_view after) {
  auto s = Schedule::Parse(schedule);
  if (!s.has_value()) return "error: " + s.error().message();
  auto next = s->NextAfter(At(after));
  if (!next.has_value()) return "never";
  std::string text = FormatRfc3339(*next);  // "...T14:00:00.000000Z"
  if (text.ends_with(".000000Z")) text = text.substr(0, text.size() - 8) + "Z";
  return text;
}

TEST(Schedule, FiresAtTheNextMatchingMinute) {
  EXPECT_EQ(Next("0 * * * *", "2026-12-02T13:00:00Z"), "2026-12-02T14:00:00Z");  // strictly after
  EXPECT_EQ(Next("0 * * * *", "2026-12-02T13:59:59.999Z"), "2026-12-02T14:00:00Z");
  EXPECT_EQ(Next("*/15 * * * *", "2026-12-02T13:16:00Z"), "2026-12-02T13:30:00Z");
  EXPECT_EQ(Next("30 2 * * *", "2026-12-31T03:00:00Z"), "2027-01-01T02:30:00Z");
  EXPECT_EQ(Next("0 0 1 * *", "2026-01-31T12:00:00Z"), "2026-02-01T00:00:00Z");
  EXPECT_EQ(Next("5,10-12 8 * * *", "2026-12-02T08:10:30Z"), "2026-12-02T08:11:00Z");
  EXPECT_EQ(Next("5/20 8 * * *", "2026-12-02T08:26:00Z"), "2026-12-02T08:45:00Z");
}

TEST(Schedule, KnowsMonthsWeekdaysAndLeapDays) {
  // 2026-12-05 is a Saturday.
  EXPECT_EQ(Next("0 9 * * MON-FRI", "2026-12-04T10:00:00Z"), "2026-12-07T09:00:00Z");
  EXPECT_EQ(Next("0 9 * * 7", "2026-12-04T10:00:00Z"), "2026-12-06T09:00:00Z");  // 7 = Sunday
  EXPECT_EQ(Next("0 0 29 2 *", "2026-03-01T00:00:00Z"), "2028-02-29T00:00:00Z");
  EXPECT_EQ(Next("0 0 1 jan,Jul *", "2026-02-01T00:00:00Z"), "2026-07-01T00:00:00Z");
  // Both day fields restricted: either matches (the 13th, or a Friday).
  EXPECT_EQ(Next("0 0 13 * FRI", "2026-12-05T00:00:00Z"), "2026-12-11T00:00:00Z");
  EXPECT_EQ(Next("0 0 13 * FRI", "2026-12-11T00:00:00Z"), "2026-12-13T00:00:00Z");
  EXPECT_EQ(Next("0 0 30 2 *", "2026-01-01T00:00:00Z"), "never");
}

TEST(Schedule, MacrosAndFixedRates) {
  EXPECT_EQ(Next("@hourly", "2026-12-02T13:20:00Z"), "2026-12-02T14:00:00Z");
  EXPECT_EQ(Next("@daily", "2026-12-02T13:20:00Z"), "2026-12-03T00:00:00Z");
  EXPECT_EQ(Next("@weekly", "2026-12-02T13:20:00Z"), "2026-12-06T00:00:00Z");
  EXPECT_EQ(Next("@yearly", "2026-12-02T13:20:00Z"), "2027-01-01T00:00:00Z");
  // Rates fire at multiples of their period since the epoch: restarts keep the beat.
  EXPECT_EQ(Next("rate(1 hour)", "2026-12-02T13:20:00Z"), "2026-12-02T14:00:00Z");
  EXPECT_EQ(Next("rate(5 minutes)", "2026-12-02T13:20:00Z"), "2026-12-02T13:25:00Z");
  EXPECT_EQ(Next("@every 90s", "2026-12-02T13:20:00Z"), "2026-12-02T13:21:00Z");
  EXPECT_EQ(Next("@every 90s", "2026-12-02T13:21:00Z"), "2026-12-02T13:22:30Z");
}

TEST(Schedule, RefusesWhatIsNotASchedule) {
  for (std::string_view bad : {"", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *",
                               "* * * 13 *", "* * * * 8", "*/0 * * * *", "5-1 * * * *", "a * * * *",
                               "* * * FOO *", "rate(0 minutes)", "rate(5 weeks)", "rate(5)", "@every 10",
                               "@every 500ms", "@every 99999999d", "1,,2 * * * *"}) {
    EXPECT_FALSE(Schedule::Parse(bad).has_value()) << bad;
  }
  EXPECT_THAT(Schedule::Parse("61 * * * *").error().message(), HasSubstr("minute: 61 is outside 0-59"));
  EXPECT_THAT(Schedule::Parse("* * * * * *").error().message(), HasSubstr("expected a cron expression"));
  EXPECT_FALSE(Schedule::Parse(std::string(300, '*')).has_value());
}

}  // namespace
}  // namespace eventlake::pipeline
