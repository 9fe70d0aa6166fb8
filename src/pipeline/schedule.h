// Schedules of the schedule trigger (issue 6): when a scheduled pipeline
// runs, as a cron expression or a fixed rate, always in UTC.
//
//   "0 * * * *"          cron: minute hour day-of-month month day-of-week
//   "*/15 9-17 * * MON-FRI"
//   "@hourly" "@daily" "@weekly" "@monthly" "@yearly"
//   "rate(5 minutes)"    EventBridge's spelling of a fixed rate
//   "@every 90s"         the same as a duration (ms, s, m, h, d)
//
// Cron fields take `*`, a value, `a-b`, `*/step`, `a-b/step`, `a/step`
// and comma lists; months and days of the week also by name (JAN, MON; 0
// and 7 are Sunday). As in Vixie cron, when both day of month and day of
// week are restricted a day matching either fires. A fixed rate fires at
// the multiples of its period since the Unix epoch (a one-hour rate fires
// on the hour), so that a restart does not shift it.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace eventlake::pipeline {

inline constexpr size_t kMaxScheduleLength = 256;

class Schedule {
 public:
  // InvalidArgument naming the field and what was expected.
  static Result<Schedule> Parse(std::string_view text);

  // The first time after `after_micros` (microseconds since the Unix epoch,
  // UTC) at which the schedule fires; nullopt when it never does again
  // within 10 years (a cron expression of 30 February).
  std::optional<int64_t> NextAfter(int64_t after_micros) const;

  const std::string& text() const { return text_; }

 private:
  Schedule() = default;
  bool MatchesDay(int day_of_month, int month, int day_of_week) const;

  std::string text_;
  int64_t period_micros_ = 0;  // > 0: a fixed rate
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // 1..31
  std::bitset<13> months_;         // 1..12
  std::bitset<7> days_of_week_;    // 0 = Sunday
  bool any_day_of_month_ = true;
  bool any_day_of_week_ = true;
};

}  // namespace eventlake::pipeline
