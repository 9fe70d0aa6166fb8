// Progress line and summary of `eventlake send` (see progress.h).
#include "cli/progress.h"

#include <cstdio>

#include "cli/cli_support.h"

namespace eventlake::cli {
namespace {

constexpr int64_t kRedrawNanos = 100'000'000;  // at most 10 redraws a second

std::string Plural(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::string FormatElapsed(std::chrono::nanoseconds elapsed) {
  double seconds = static_cast<double>(elapsed.count()) / 1e9;
  char text[32];
  if (seconds < 10) {
    std::snprintf(text, sizeof text, "%.2fs", seconds);
  } else if (seconds < 60) {
    std::snprintf(text, sizeof text, "%.1fs", seconds);
  } else {
    auto whole = static_cast<long long>(seconds);
    std::snprintf(text, sizeof text, "%lldm%02llds", whole / 60, whole % 60);
  }
  return text;
}

std::string FormatProgress(const SendStats& stats, std::chrono::nanoseconds elapsed) {
  double seconds = static_cast<double>(elapsed.count()) / 1e9;
  uint64_t rate =
      seconds > 0 ? static_cast<uint64_t>(static_cast<double>(stats.events_sent) / seconds) : 0;
  std::string line = "sent " + Plural(stats.events_sent, "event", "events") + " (" +
                     std::to_string(rate) + " events/s), " + FormatBytes(stats.bytes_sent);
  if (stats.retries > 0) line += ", " + Plural(stats.retries, "retry", "retries");
  if (stats.rejected > 0) line += ", " + std::to_string(stats.rejected) + " rejected";
  return line;
}

std::string FormatSummary(const SendStats& stats, std::chrono::nanoseconds elapsed) {
  return Plural(stats.accepted, "event", "events") + " accepted, " +
         std::to_string(stats.rejected) + " rejected, " +
         Plural(stats.retries, "retry", "retries") + " in " + FormatElapsed(elapsed);
}

ProgressLine::ProgressLine(std::ostream& out, bool enabled, const Clock& clock)
    : out_(out), enabled_(enabled), clock_(clock), start_nanos_(clock.MonotonicNanos()) {}

std::chrono::nanoseconds ProgressLine::Elapsed() const {
  return std::chrono::nanoseconds(clock_.MonotonicNanos() - start_nanos_);
}

void ProgressLine::Update(const SendStats& stats) {
  if (!enabled_) return;
  int64_t now = clock_.MonotonicNanos();
  if (drawn_once_ && now - last_draw_nanos_ < kRedrawNanos) return;
  drawn_once_ = true;
  last_draw_nanos_ = now;
  std::string line = FormatProgress(stats, Elapsed());
  size_t width = line.size();
  if (width < width_) line.append(width_ - width, ' ');  // cover the end of a longer line
  out_ << '\r' << line << std::flush;
  width_ = width;
}

void ProgressLine::Clear() {
  if (!enabled_ || width_ == 0) return;
  out_ << '\r' << std::string(width_, ' ') << '\r' << std::flush;
  width_ = 0;
}

}  // namespace eventlake::cli
