// Backoff schedule and Retry-After parsing of `eventlake send` (see send_retry.h).
#include "cli/send_retry.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

namespace eventlake::cli {
namespace {

using std::chrono::milliseconds;

// Digits only, all of `text`; nullopt otherwise (no sign, no space).
std::optional<int64_t> Digits(std::string_view text) {
  int64_t value = 0;
  if (text.empty() || text.size() > 12) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.front() == '-') {
    return std::nullopt;
  }
  return value;
}

// "Wed, 21 Oct 2026 07:28:00 GMT" (RFC 9110 5.6.7, IMF-fixdate).
std::optional<std::chrono::system_clock::time_point> ParseImfFixdate(std::string_view text) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (text.size() != 29 || text.substr(3, 2) != ", " || text.substr(25) != " GMT" ||
      text[7] != ' ' || text[11] != ' ' || text[16] != ' ' || text[19] != ':' || text[22] != ':') {
    return std::nullopt;
  }
  auto month = std::find(kMonths.begin(), kMonths.end(), text.substr(8, 3));
  auto day = Digits(text.substr(5, 2)), year = Digits(text.substr(12, 4));
  auto hour = Digits(text.substr(17, 2)), minute = Digits(text.substr(20, 2));
  auto second = Digits(text.substr(23, 2));
  if (month == kMonths.end() || !day || !year || !hour || !minute || !second || *hour > 23 ||
      *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  std::chrono::year_month_day date{
      std::chrono::year(static_cast<int>(*year)),
      std::chrono::month(static_cast<unsigned>(month - kMonths.begin() + 1)),
      std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days(date) + std::chrono::hours(*hour) + std::chrono::minutes(*minute) +
         std::chrono::seconds(*second);
}

}  // namespace

bool IsRetryableHttpStatus(int status) { return status == 429 || status == 503 || status == 504; }

milliseconds RetryDelay(int retry, std::optional<milliseconds> retry_after, double random,
                        const BackoffOptions& options) {
  random = std::clamp(random, 0.0, 1.0);
  double exponential =
      static_cast<double>(options.initial.count()) * std::pow(2.0, std::clamp(retry, 0, 62));
  double base = std::min(exponential, static_cast<double>(options.max.count()));
  double delay = base * (0.5 + 0.5 * random);
  if (retry_after) {
    double asked = static_cast<double>(std::min(*retry_after, options.max_retry_after).count());
    delay = std::max(delay, asked * (1 + 0.25 * random));
  }
  return milliseconds(static_cast<int64_t>(std::llround(delay)));
}

std::optional<milliseconds> ParseRetryAfter(std::string_view value,
                                            std::chrono::system_clock::time_point now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (auto seconds = Digits(value)) return milliseconds(*seconds * 1000);
  auto when = ParseImfFixdate(value);
  if (!when) return std::nullopt;
  auto delta = std::chrono::duration_cast<milliseconds>(*when - now);
  return std::max(delta, milliseconds(0));
}

}  // namespace eventlake::cli
