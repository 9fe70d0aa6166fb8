// RawArchiver: the raw zone (docs/lake.md, "The raw zone"): every event of
// a stream as it was accepted, one CloudEvents JSON object per line,
// zstd-compressed, under
//
//   raw/<name>/dt=YYYY-MM-DD/hour=HH/part-p<partition>-<first>-<last>.ndjson.zst
//
// partitioned by when the log accepted the event (the "as received" copy:
// event time is the curated zone's business), <first> and <last> the log
// offsets the file holds (20 digits each).
//
// Exactly once without a table log: a file appears whole (written to
// staging, then moved or uploaded) and its name says which offsets it
// holds. Files of one partition are written in offset order, so on start
// the archiver resumes each partition after the highest <last> it finds; a
// crash before a file is in place loses nothing (those records are read
// again) and never duplicates (nothing after them was written).
//
// Threads: Start() runs rounds on one thread; Stop() writes what is
// buffered and joins. RunOnce() is for tests, without Start().
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/status.h"
#include "lake/object_store.h"
#include "log/stream.h"

namespace eventlake::lake {

struct RawArchiverOptions {
  std::string name;  // raw.<name>: [a-z][a-z0-9_]{0,62}
  log::Stream* stream = nullptr;
  ObjectStore* store = nullptr;
  uint64_t max_bytes = 64ull << 20;             // uncompressed bytes buffered before a write
  std::chrono::milliseconds max_age{60'000};    // or when the oldest buffered event is this old
  uint32_t max_poll_records = 10'000;
  std::chrono::milliseconds idle_wait{200};
  int zstd_level = 3;
  Clock* clock = &SystemClock();
  MetricsRegistry* metrics = nullptr;
};

// The object key of a raw file, and the parts of one.
std::string RawFileKey(std::string_view name, uint32_t partition, uint64_t first, uint64_t last,
                       int64_t append_micros);
struct RawFileName {
  uint32_t partition = 0;
  uint64_t first = 0;
  uint64_t last = 0;
};
std::optional<RawFileName> ParseRawFileKey(std::string_view key);

class RawArchiver {
 public:
  // Lists what is archived already and resumes after it.
  static Result<std::unique_ptr<RawArchiver>> Create(RawArchiverOptions options);
  ~RawArchiver();  // Stop()
  RawArchiver(const RawArchiver&) = delete;
  RawArchiver& operator=(const RawArchiver&) = delete;

  Status Start();
  void Stop();
  // One round over every partition; writes files when due or `force`.
  Result<uint64_t> RunOnce(bool force);
  std::vector<uint64_t> positions() const { return next_; }

 private:
  struct Buffer {  // one partition's events of one hour
    uint32_t partition = 0;
    uint64_t first = 0;
    uint64_t last = 0;
    int64_t append_micros = 0;  // of the first event: names the directory
    std::string lines;
  };

  explicit RawArchiver(RawArchiverOptions options) : options_(std::move(options)) {}
  Status Resume();
  Status Take(uint32_t partition, const log::LogRecord& record);
  Status WriteAll();
  Status WriteFile(const Buffer& buffer);
  void Run();

  RawArchiverOptions options_;
  std::vector<uint64_t> next_;  // next offset to read, per partition
  // Buffers in the order they were opened: per partition, ascending offsets.
  std::vector<Buffer> buffers_;
  uint64_t buffered_bytes_ = 0;
  int64_t oldest_micros_ = 0;

  Counter* events_ = nullptr;
  Counter* files_ = nullptr;
  Counter* bytes_ = nullptr;

  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace eventlake::lake
