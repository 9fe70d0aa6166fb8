// Schedule: parsing cron expressions and rates, and the next firing time.
#include "pipeline/schedule.h"

#include <array>
#include <charconv>
#include <chrono>
#include <vector>

#include "core/ascii_case.h"

namespace eventlake::pipeline {
namespace {

constexpr int64_t kMinuteMicros = 60'000'000;
constexpr int64_t kHourMicros = 60 * kMinuteMicros;
constexpr int64_t kDayMicros = 24 * kHourMicros;
constexpr int64_t kHorizonMicros = 3653 * kDayMicros;  // 10 years

struct FieldSpec {
  const char* name;
  int min;
  int max;
  const std::array<std::string_view, 12>* names;  // value min + i, or null
  int names_base;
};

constexpr std::array<std::string_view, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 12> kDayNames = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

constexpr std::array<FieldSpec, 5> kFields = {{
    {"minute", 0, 59, nullptr, 0},
    {"hour", 0, 23, nullptr, 0},
    {"day of month", 1, 31, nullptr, 0},
    {"month", 1, 12, &kMonthNames, 1},
    {"day of week", 0, 7, &kDayNames, 0},  // 7 is Sunday too
}};

std::vector<std::string_view> Split(std::string_view text, char by) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t at = text.find(by, start);
    out.push_back(text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

Result<int> ParseValue(std::string_view text, const FieldSpec& field) {
  if (field.names != nullptr) {
    const std::string lower = AsciiLower(text);
    for (size_t i = 0; i < field.names->size(); ++i) {
      if (!(*field.names)[i].empty() && (*field.names)[i] == lower) return field.names_base + static_cast<int>(i);
    }
  }
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Err(InvalidArgument(std::string(field.name) + ": \"" + std::string(text) + "\" is not a value"));
  }
  if (value < field.min || value > field.max) {
    return Err(InvalidArgument(std::string(field.name) + ": " + std::to_string(value) + " is outside " +
                               std::to_string(field.min) + "-" + std::to_string(field.max)));
  }
  return value;
}

// The values one cron field allows, as bits (bit v for value v).
Result<std::vector<bool>> ParseField(std::string_view text, const FieldSpec& field) {
  std::vector<bool> allowed(static_cast<size_t>(field.max) + 1, false);
  for (std::string_view item : Split(text, ',')) {
    int step = 1;
    if (const size_t slash = item.find('/'); slash != std::string_view::npos) {
      const std::string_view step_text = item.substr(slash + 1);
      auto [end, ec] = std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
      if (step_text.empty() || ec != std::errc() || end != step_text.data() + step_text.size() || step < 1 ||
          step > field.max + 1) {
        return Err(InvalidArgument(std::string(field.name) + ": the step \"" + std::string(step_text) +
                                   "\" is not a number from 1 to " + std::to_string(field.max + 1)));
      }
      item = item.substr(0, slash);
    }
    int low = field.min, high = field.max;
    if (item == "*") {
      // the whole range
    } else if (const size_t dash = item.find('-'); dash != std::string_view::npos) {
      EL_ASSIGN_OR_RETURN(low, ParseValue(item.substr(0, dash), field));
      EL_ASSIGN_OR_RETURN(high, ParseValue(item.substr(dash + 1), field));
      if (high < low) {
        return Err(InvalidArgument(std::string(field.name) + ": the range \"" + std::string(item) +
                                   "\" ends before it starts"));
      }
    } else {
      EL_ASSIGN_OR_RETURN(low, ParseValue(item, field));
      if (step == 1) high = low;  // "5" alone; "5/10" runs from 5 to the end
    }
    for (int v = low; v <= high; v += step) allowed[static_cast<size_t>(v)] = true;
  }
  return allowed;
}

template <size_t N>
std::bitset<N> Bits(const std::vector<bool>& allowed) {
  std::bitset<N> bits;
  for (size_t v = 0; v < allowed.size() && v < N; ++v) bits[v] = allowed[v];
  return bits;
}

// "90s", "5m", "1h", "2d", "500ms" -> micros.
Result<int64_t> ParsePeriod(std::string_view text, std::string_view what) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + digits, n);
  const std::string_view unit = text.substr(digits);
  int64_t unit_micros = 0;
  if (unit == "ms") unit_micros = 1000;
  if (unit == "s") unit_micros = 1'000'000;
  if (unit == "m") unit_micros = kMinuteMicros;
  if (unit == "h") unit_micros = kHourMicros;
  if (unit == "d") unit_micros = kDayMicros;
  if (digits == 0 || ec != std::errc() || unit_micros == 0 || n > kHorizonMicros / unit_micros) {
    return Err(InvalidArgument(std::string(what) + ": expected a duration such as 90s, 5m, 1h or 1d"));
  }
  if (n * unit_micros < 1'000'000) return Err(InvalidArgument(std::string(what) + ": at least 1s"));
  return n * unit_micros;
}

// EventBridge's "rate(5 minutes)".
Result<int64_t> ParseRate(std::string_view inner) {
  const size_t space = inner.find(' ');
  const auto bad = [] {
    return Err(InvalidArgument("rate(N unit): N a positive number, unit minute(s), hour(s) or day(s)"));
  };
  if (space == std::string_view::npos) return bad();
  int64_t n = 0;
  const std::string_view count = inner.substr(0, space);
  auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
  if (count.empty() || ec != std::errc() || end != count.data() + count.size() || n < 1) return bad();
  const std::string unit = AsciiLower(inner.substr(space + 1));
  int64_t unit_micros = 0;
  if (unit == "minute" || unit == "minutes") unit_micros = kMinuteMicros;
  if (unit == "hour" || unit == "hours") unit_micros = kHourMicros;
  if (unit == "day" || unit == "days") unit_micros = kDayMicros;
  if (unit_micros == 0 || n > kHorizonMicros / unit_micros) return bad();
  return n * unit_micros;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }

}  // namespace

Result<Schedule> Schedule::Parse(std::string_view text) {
  if (text.size() > kMaxScheduleLength) {
    return Err(InvalidArgument("a schedule is at most " + std::to_string(kMaxScheduleLength) + " characters"));
  }
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  Schedule s;
  s.text_ = std::string(text);
  if (text.starts_with("rate(") && text.ends_with(")")) {
    EL_ASSIGN_OR_RETURN(s.period_micros_, ParseRate(text.substr(5, text.size() - 6)));
    return s;
  }
  if (text.starts_with("@every ")) {
    EL_ASSIGN_OR_RETURN(s.period_micros_, ParsePeriod(text.substr(7), "@every"));
    return s;
  }
  std::string cron(text);
  const std::string lower = AsciiLower(text);
  if (lower == "@yearly" || lower == "@annually") cron = "0 0 1 1 *";
  if (lower == "@monthly") cron = "0 0 1 * *";
  if (lower == "@weekly") cron = "0 0 * * 0";
  if (lower == "@daily" || lower == "@midnight") cron = "0 0 * * *";
  if (lower == "@hourly") cron = "0 * * * *";
  std::vector<std::string_view> fields;
  for (std::string_view f : Split(cron, ' ')) {
    if (!f.empty()) fields.push_back(f);
  }
  if (fields.size() != 5) {
    return Err(InvalidArgument("\"" + s.text_ +
                               "\": expected a cron expression (minute hour day-of-month month day-of-week), "
                               "@hourly/@daily/@weekly/@monthly/@yearly, rate(N unit) or @every <duration>"));
  }
  EL_ASSIGN_OR_RETURN(auto minutes, ParseField(fields[0], kFields[0]));
  EL_ASSIGN_OR_RETURN(auto hours, ParseField(fields[1], kFields[1]));
  EL_ASSIGN_OR_RETURN(auto days, ParseField(fields[2], kFields[2]));
  EL_ASSIGN_OR_RETURN(auto months, ParseField(fields[3], kFields[3]));
  EL_ASSIGN_OR_RETURN(auto weekdays, ParseField(fields[4], kFields[4]));
  if (weekdays[7]) weekdays[0] = true;
  s.minutes_ = Bits<60>(minutes);
  s.hours_ = Bits<24>(hours);
  s.days_of_month_ = Bits<32>(days);
  s.months_ = Bits<13>(months);
  s.days_of_week_ = Bits<7>(weekdays);
  s.any_day_of_month_ = fields[2].starts_with("*");
  s.any_day_of_week_ = fields[4].starts_with("*");
  return s;
}

bool Schedule::MatchesDay(int day_of_month, int month, int day_of_week) const {
  if (!months_[static_cast<size_t>(month)]) return false;
  const bool dom = days_of_month_[static_cast<size_t>(day_of_month)];
  const bool dow = days_of_week_[static_cast<size_t>(day_of_week)];
  if (any_day_of_month_ && any_day_of_week_) return true;
  if (any_day_of_month_) return dow;
  if (any_day_of_week_) return dom;
  return dom || dow;  // both restricted: either (Vixie cron)
}

std::optional<int64_t> Schedule::NextAfter(int64_t after_micros) const {
  if (period_micros_ > 0) return (FloorDiv(after_micros, period_micros_) + 1) * period_micros_;
  using namespace std::chrono;
  int64_t t = (FloorDiv(after_micros, kMinuteMicros) + 1) * kMinuteMicros;
  const int64_t horizon = after_micros + kHorizonMicros;
  while (t <= horizon) {
    const int64_t day_index = FloorDiv(t, kDayMicros);
    const sys_days day{days(day_index)};
    const year_month_day ymd{day};
    const int month = static_cast<int>(static_cast<unsigned>(ymd.month()));
    const int64_t day_start = day_index * kDayMicros;
    if (!months_[static_cast<size_t>(month)]) {
      const year_month_day next_month = year_month_day{ymd.year(), ymd.month(), std::chrono::day{1}} + months{1};
      t = static_cast<int64_t>(sys_days{next_month}.time_since_epoch().count()) * kDayMicros;
      continue;
    }
    const int day_of_week = static_cast<int>(std::chrono::weekday{day}.c_encoding());  // 0 = Sunday
    if (!MatchesDay(static_cast<int>(static_cast<unsigned>(ymd.day())), month, day_of_week)) {
      t = day_start + kDayMicros;
      continue;
    }
    const int hour = static_cast<int>((t - day_start) / kHourMicros);
    if (!hours_[static_cast<size_t>(hour)]) {
      t = day_start + (hour + 1) * kHourMicros;
      continue;
    }
    const int minute = static_cast<int>((t - day_start - hour * kHourMicros) / kMinuteMicros);
    if (!minutes_[static_cast<size_t>(minute)]) {
      t += kMinuteMicros;
      continue;
    }
    return t;
  }
  return std::nullopt;
}

}  // namespace eventlake::pipeline
