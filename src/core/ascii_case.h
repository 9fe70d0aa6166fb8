// ASCII case mapping of names (SQL keywords, settings, formats): bytes
// outside A-Z / a-z are kept as they are, whatever the locale.
#pragma once

#include <string>
#include <string_view>

namespace eventlake {

inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

inline std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

}  // namespace eventlake
