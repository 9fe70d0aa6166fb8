// JSON-lines logging (see logging.h).
//
// Lines are built in a local string and handed to the OS with one write(2),
// so concurrent lines never interleave. Strings are escaped per RFC 8259 and
// invalid UTF-8 is replaced by U+FFFD (one per maximal ill-formed subsequence,
// as Unicode recommends), so every line is valid JSON whatever a component
// passes in. A sink installed with SetLogSink receives the line without its
// trailing newline, under a lock (a sink need not be thread-safe, but must not
// log itself).
#include "core/logging.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <mutex>
#include <string>

#include "core/clock.h"

namespace eventlake {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};

std::mutex& SinkMutex() {
  static auto* mu = new std::mutex();
  return *mu;
}
// Guarded by SinkMutex().
std::function<void(std::string_view)>& Sink() {
  static auto* sink = new std::function<void(std::string_view)>();
  return *sink;
}

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "unknown";
}

// Length of the well-formed UTF-8 sequence at s[i], or 0 if ill-formed; sets
// `*consumed` to the bytes of the maximal ill-formed prefix otherwise.
size_t Utf8SequenceLength(std::string_view s, size_t i, size_t* consumed) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t length = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // range of the second byte (RFC 3629 table)
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    length = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    length = 3;
    if (b0 == 0xe0) lo = 0xa0;  // no overlongs
    if (b0 == 0xed) hi = 0x9f;  // no surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    length = 4;
    if (b0 == 0xf0) lo = 0x90;  // no overlongs
    if (b0 == 0xf4) hi = 0x8f;  // nothing above U+10FFFF
  }
  *consumed = 1;
  if (length == 0) return 0;
  for (size_t k = 1; k < length; ++k) {
    if (i + k >= s.size()) return 0;
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xbf)) return 0;
    *consumed = k + 1;
  }
  return length;
}

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t consumed = 0;
      size_t length = Utf8SequenceLength(s, i, &consumed);
      out->append(length > 0 ? s.substr(i, length) : "\xef\xbf\xbd");  // U+FFFD
      i += length > 0 ? length : consumed;
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xf]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out->push_back('"');
}

template <typename T>
void AppendNumber(std::string* out, T value) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, end);
}

void AppendValue(std::string* out, const LogField& field) {
  const auto& v = field.value;
  if (const auto* s = std::get_if<std::string_view>(&v)) {
    AppendJsonString(out, *s);
  } else if (const auto* i = std::get_if<int64_t>(&v)) {
    AppendNumber(out, *i);
  } else if (const auto* u = std::get_if<uint64_t>(&v)) {
    AppendNumber(out, *u);
  } else if (const auto* d = std::get_if<double>(&v)) {
    if (std::isfinite(*d)) {
      AppendNumber(out, *d);
    } else {
      out->append("null");  // JSON has no NaN or infinity
    }
  } else {
    out->append(std::get<bool>(v) ? "true" : "false");
  }
}

void WriteToStderr(std::string_view line) {
  while (!line.empty()) {
    ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere left to report a failure to log
    line.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }

LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load(std::memory_order_relaxed)); }

bool ParseLogLevel(std::string_view name, LogLevel* level) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (name == LevelName(l)) {
      *level = l;
      return true;
    }
  }
  return false;
}

void SetLogSink(std::function<void(std::string_view line)> sink) {
  std::lock_guard<std::mutex> lock(SinkMutex());
  Sink() = std::move(sink);
}

void Log(LogLevel level, std::string_view component, std::string_view message,
         std::initializer_list<LogField> fields) {
  if (level < GetLogLevel()) return;
  std::string line;
  line.reserve(128);
  line.append("{\"ts\":\"");
  line.append(FormatRfc3339(SystemClock().NowMicros()));
  line.append("\",\"level\":\"");
  line.append(LevelName(level));
  line.append("\",\"component\":");
  AppendJsonString(&line, component);
  line.append(",\"msg\":");
  AppendJsonString(&line, message);
  for (const LogField& field : fields) {
    line.push_back(',');
    AppendJsonString(&line, field.key);
    line.push_back(':');
    AppendValue(&line, field);
  }
  line.push_back('}');
  {
    std::lock_guard<std::mutex> lock(SinkMutex());
    if (Sink()) {
      Sink()(line);
      return;
    }
  }
  line.push_back('\n');
  WriteToStderr(line);
}

}  // namespace eventlake
