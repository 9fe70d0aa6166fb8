// Structured logging: one JSON object per line on stderr,
//   {"ts":"2026-11-25T02:06:55.123456Z","level":"info","component":"log",
//    "msg":"segment rolled","stream":"events","partition":0}
// No per-event lines at info: hot paths log at debug or count in metrics.
// Thread-safe; a line is written with one write(2) so lines never interleave.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace eventlake {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

struct LogField {
  std::string_view key;
  std::variant<std::string_view, int64_t, uint64_t, double, bool> value;

  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, bool v) : key(k), value(v) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  template <typename I>
    requires std::is_integral_v<I> && (!std::is_same_v<I, bool>)
  LogField(std::string_view k, I v) : key(k) {
    if constexpr (std::is_signed_v<I>) {
      value = static_cast<int64_t>(v);
    } else {
      value = static_cast<uint64_t>(v);
    }
  }
};

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// "debug", "info", "warn", "error"; false when the name is unknown.
bool ParseLogLevel(std::string_view name, LogLevel* level);

// Replaces where lines go (tests capture them); nullptr restores stderr.
void SetLogSink(std::function<void(std::string_view line)> sink);

// Writes one line if `level` is enabled.
void Log(LogLevel level, std::string_view component, std::string_view message,
         std::initializer_list<LogField> fields = {});

inline void LogDebug(std::string_view c, std::string_view m, std::initializer_list<LogField> f = {}) {
  if (GetLogLevel() <= LogLevel::kDebug) Log(LogLevel::kDebug, c, m, f);
}
inline void LogInfo(std::string_view c, std::string_view m, std::initializer_list<LogField> f = {}) {
  Log(LogLevel::kInfo, c, m, f);
}
inline void LogWarn(std::string_view c, std::string_view m, std::initializer_list<LogField> f = {}) {
  Log(LogLevel::kWarn, c, m, f);
}
inline void LogError(std::string_view c, std::string_view m, std::initializer_list<LogField> f = {}) {
  Log(LogLevel::kError, c, m, f);
}

}  // namespace eventlake
