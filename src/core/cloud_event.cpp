// CloudEvent extension access and RFC 3339 timestamps.
//
// The timestamp parser is strict and locale-free: it accepts exactly the
// RFC 3339 `date-time` production (section 5.6) with these limits:
//  - years 0001..9999; month, day (leap years included), hour, minute and
//    offset fields range-checked;
//  - second 60 (a leap second) is rejected: Unix time has no leap seconds and
//    no clock eventlake talks to emits them;
//  - at most 9 fraction digits (nanoseconds); digits beyond microseconds are
//    truncated, never rounded, so a timestamp never moves into the next second.
// Calendar arithmetic is Howard Hinnant's days_from_civil / civil_from_days,
// which is exact for the proleptic Gregorian calendar and negative times.
#include "core/cloud_event.h"

#include <cstdio>
#include <string>

namespace eventlake {

const ExtensionValue* CloudEvent::FindExtension(std::string_view name) const {
  for (const Extension& e : extensions) {
    if (e.name == name) return &e.value;
  }
  return nullptr;
}

void CloudEvent::SetExtension(std::string name, ExtensionValue value) {
  for (Extension& e : extensions) {
    if (e.name == name) {
      e.value = std::move(value);
      return;
    }
  }
  extensions.push_back({std::move(name), std::move(value)});
}

namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

// Days since 1970-01-01 of the civil date y-m-d (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);                 // [0, 399]
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct CivilDate {
  int64_t year;
  unsigned month;
  unsigned day;
};

CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);                    // [0, 146096]
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const unsigned mp = (5 * doy + 2) / 153;                                     // [0, 11]
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;                             // [1, 31]
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;                                // [1, 12]
  return {static_cast<int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

// A cursor over the text that reads fixed-width fields.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  // Reads exactly `width` decimal digits.
  bool Digits(int width, int* out) {
    if (text_.size() - pos_ < static_cast<size_t>(width)) return false;
    int value = 0;
    for (int i = 0; i < width; ++i) {
      char c = text_[pos_ + i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    pos_ += width;
    *out = value;
    return true;
  }
  // Consumes `c` (or `alt`) if it is next.
  bool Char(char c, char alt = '\0') {
    if (pos_ >= text_.size() || (text_[pos_] != c && (alt == '\0' || text_[pos_] != alt))) {
      return false;
    }
    ++pos_;
    return true;
  }
  bool AtEnd() const { return pos_ == text_.size(); }
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

// The fraction after '.': 1..9 digits, truncated to microseconds.
bool ParseFraction(Scanner& s, int64_t* micros) {
  int digits = 0;
  int64_t value = 0;
  int d = 0;
  while (s.Digits(1, &d)) {
    if (++digits > 9) return false;
    if (digits <= 6) value = value * 10 + d;
  }
  if (digits == 0) return false;
  for (int i = digits; i < 6; ++i) value *= 10;
  *micros = value;
  return true;
}

// "Z", "z" or "+hh:mm" / "-hh:mm", as seconds east of UTC.
bool ParseOffset(Scanner& s, int64_t* offset_seconds) {
  if (s.Char('Z', 'z')) {
    *offset_seconds = 0;
    return true;
  }
  int sign = s.Peek() == '-' ? -1 : 1;
  int hh = 0;
  int mm = 0;
  if (!s.Char('+', '-') || !s.Digits(2, &hh) || !s.Char(':') || !s.Digits(2, &mm)) return false;
  if (hh > 23 || mm > 59) return false;
  *offset_seconds = sign * (hh * 3600 + mm * 60);
  return true;
}

Status BadTimestamp(std::string_view text) {
  std::string message = "invalid RFC 3339 timestamp \"";
  message.append(text.substr(0, 64));
  message += "\"";
  return InvalidArgument(std::move(message));
}

// `value` (>= 0, < 10^width) as `width` decimal digits at `at`.
void PutDigits(int64_t value, int width, char* at) {
  for (int i = width - 1; i >= 0; --i) {
    at[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

Result<TimestampMicros> ParseRfc3339(std::string_view text) {
  Scanner s(text);
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!s.Digits(4, &year) || !s.Char('-') || !s.Digits(2, &month) || !s.Char('-') ||
      !s.Digits(2, &day) || !s.Char('T', 't') || !s.Digits(2, &hour) || !s.Char(':') ||
      !s.Digits(2, &minute) || !s.Char(':') || !s.Digits(2, &second)) {
    return Err(BadTimestamp(text));
  }
  if (year < 1 || month < 1 || month > 12 || day < 1 ||
      static_cast<unsigned>(day) > DaysInMonth(year, month) || hour > 23 || minute > 59 ||
      second > 59) {
    return Err(BadTimestamp(text));
  }
  int64_t fraction = 0;
  if (s.Char('.') && !ParseFraction(s, &fraction)) return Err(BadTimestamp(text));
  int64_t offset_seconds = 0;
  if (!ParseOffset(s, &offset_seconds) || !s.AtEnd()) return Err(BadTimestamp(text));

  int64_t days = DaysFromCivil(year, month, day);
  int64_t seconds = days * 86'400 + hour * 3600 + minute * 60 + second - offset_seconds;
  return seconds * kMicrosPerSecond + fraction;
}

std::string FormatRfc3339(TimestampMicros micros) {
  // Floor division, so that times before 1970 get a positive time of day.
  int64_t days = micros / kMicrosPerDay;
  int64_t rest = micros % kMicrosPerDay;
  if (rest < 0) {
    rest += kMicrosPerDay;
    --days;
  }
  CivilDate date = CivilFromDays(days);
  int64_t second_of_day = rest / kMicrosPerSecond;
  if (date.year >= 0 && date.year <= 9999) {  // every parsed time: digits by hand, no snprintf
    std::string text = "0000-00-00T00:00:00.000000Z";
    PutDigits(date.year, 4, &text[0]);
    PutDigits(date.month, 2, &text[5]);
    PutDigits(date.day, 2, &text[8]);
    PutDigits(second_of_day / 3600, 2, &text[11]);
    PutDigits(second_of_day / 60 % 60, 2, &text[14]);
    PutDigits(second_of_day % 60, 2, &text[17]);
    PutDigits(rest % kMicrosPerSecond, 6, &text[20]);
    return text;
  }
  char buffer[64];
  int n = std::snprintf(
      buffer, sizeof(buffer), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ",
      static_cast<long long>(date.year), date.month, date.day,
      static_cast<long long>(second_of_day / 3600), static_cast<long long>(second_of_day / 60 % 60),
      static_cast<long long>(second_of_day % 60), static_cast<long long>(rest % kMicrosPerSecond));
  return std::string(buffer, static_cast<size_t>(n));
}

}  // namespace eventlake
