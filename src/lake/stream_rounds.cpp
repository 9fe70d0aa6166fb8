// Partition reads and the round loop of the lake's stream consumers.
#include "lake/stream_rounds.h"

#include <algorithm>
#include <thread>

namespace eventlake::lake {

Result<uint64_t> ReadEveryPartition(
    const log::Stream& stream, std::vector<uint64_t>& next, uint32_t max_records,
    const std::function<Status(uint32_t partition, const log::LogRecord& record)>& take) {
  uint64_t read = 0;
  for (uint32_t p = 0; p < next.size(); ++p) {
    EL_ASSIGN_OR_RETURN(
        std::vector<log::LogRecord> records,
        stream.partition(p).Read(next[p], {.max_records = max_records, .max_bytes = 64ull << 20}));
    for (const log::LogRecord& record : records) {
      EL_RETURN_IF_ERROR(take(p, record));
      next[p] = record.offset + 1;
      ++read;
    }
  }
  return read;
}

void RunRounds(const std::atomic<bool>& stopping, std::chrono::milliseconds idle_wait,
               const std::function<Result<uint64_t>()>& round, std::string_view message,
               std::string_view who_key, std::string_view who) {
  constexpr std::chrono::milliseconds kFirstBackoff{100}, kMaxBackoff{10'000};
  auto backoff = kFirstBackoff;
  while (!stopping.load()) {
    auto read = round();
    if (!read.has_value()) {
      LogError("lake", message, {{who_key, who}, {"error", read.error().ToString()}});
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, kMaxBackoff);
      continue;
    }
    backoff = kFirstBackoff;
    if (*read == 0) std::this_thread::sleep_for(idle_wait);
  }
}

}  // namespace eventlake::lake
