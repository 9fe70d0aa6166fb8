// AppendJsonNumber. The short path writes d as m / 10^k for the smallest
// k <= 6 at which that quotient, computed in doubles, is d again. It is
// to_chars' text because:
//   - IEEE division is correctly rounded, as parsing the text is: the text
//     reads back as d;
//   - below 1e9 a double's spacing is under 1e-6, so at most one m per k
//     reads back as d, and d * 10^k is within 0.2 of it: rounding finds it;
//   - the smallest k is the fewest digits (a text with fewer decimals
//     would have been found at its k), so no trailing zeros;
//   - from 1e-3 up, fixed notation is never longer than scientific, and
//     to_chars takes fixed on a tie (0.001, not 1e-03).
#include "pipeline/json_number.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>

namespace eventlake::pipeline {
namespace {

constexpr std::array<int64_t, 7> kPowersOfTen = {1, 10, 100, 1'000, 10'000, 100'000, 1'000'000};

void AppendInteger(int64_t value, std::string* out) {
  char buffer[24];
  const auto r = std::to_chars(buffer, buffer + sizeof buffer, value);
  out->append(buffer, r.ptr);
}

// d with its fewest decimals, when those are 1 to 6 and 1e-3 <= |d| < 1e9.
bool AppendShortDecimal(double d, std::string* out) {
  const double magnitude = std::abs(d);
  if (!(magnitude >= 1e-3 && magnitude < 1e9)) return false;
  for (size_t k = 1; k < kPowersOfTen.size(); ++k) {
    const auto power = static_cast<double>(kPowersOfTen[k]);
    const double scaled = std::round(magnitude * power);
    if (scaled / power != magnitude) continue;
    const auto m = static_cast<int64_t>(scaled);
    if (d < 0) out->push_back('-');
    AppendInteger(m / kPowersOfTen[k], out);
    out->push_back('.');
    out->append(k, '0');  // the k digits of the fraction, filled from the right
    int64_t fraction = m % kPowersOfTen[k];
    for (size_t i = out->size(); fraction > 0; fraction /= 10) {
      (*out)[--i] = static_cast<char>('0' + fraction % 10);
    }
    return true;
  }
  return false;
}

}  // namespace

void AppendJsonNumber(double d, std::string* out) {
  if (std::trunc(d) == d && std::abs(d) < 9.2e18) {
    AppendInteger(static_cast<int64_t>(d), out);
    return;
  }
  if (AppendShortDecimal(d, out)) return;
  char buffer[32];
  const auto r = std::to_chars(buffer, buffer + sizeof buffer, d);
  out->append(buffer, r.ptr);
}

}  // namespace eventlake::pipeline
