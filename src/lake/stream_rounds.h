// What the loader and the raw archiver share: reading every partition of a
// stream from where each one is, and running rounds of that on a thread
// with backoff after a failed round.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "core/logging.h"
#include "core/status.h"
#include "log/stream.h"

namespace eventlake::lake {

// Reads each partition p of `stream` from next[p] (up to max_records each)
// and calls take(p, record) for each record in order, advancing next[p] past
// it. Stops at the first failure, which it returns; otherwise the records
// read.
Result<uint64_t> ReadEveryPartition(
    const log::Stream& stream, std::vector<uint64_t>& next, uint32_t max_records,
    const std::function<Status(uint32_t partition, const log::LogRecord& record)>& take);

// Until `stopping`: runs `round`; after a round that read nothing, waits
// `idle_wait`; after a failed one logs `message` with {who_key: who} and the
// error, and waits 100 ms, doubling up to 10 s while they keep failing. Runs
// on the caller's thread.
void RunRounds(const std::atomic<bool>& stopping, std::chrono::milliseconds idle_wait,
               const std::function<Result<uint64_t>()>& round, std::string_view message,
               std::string_view who_key, std::string_view who);

}  // namespace eventlake::lake
