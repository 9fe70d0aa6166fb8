// Fuzzes the schedule parser (src/pipeline/schedule.h): pipelines arrive in
// config files and through `eventlake apply`. Every text must parse or be
// refused with a message, and a parsed schedule's next time must be after
// the time asked about.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pipeline/schedule.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto schedule = eventlake::pipeline::Schedule::Parse(text);
  if (!schedule.has_value()) {
    if (schedule.error().message().empty()) __builtin_trap();
    return 0;
  }
  constexpr int64_t kAfter = 1'796'212'800'000'000;  // 2026-12-02T12:00:00Z
  auto next = schedule->NextAfter(kAfter);
  if (next.has_value() && *next <= kAfter) __builtin_trap();
  return 0;
}
