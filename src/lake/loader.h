// Loader: moves the events of one stream into one lake table, exactly once
// (docs/formats/table.md, "Exactly-once loading"). It is the default
// pipeline of the embedded configuration; the pipeline runtime will reuse
// its TableWriter.
//
// Each round reads every partition from where the table says it is (the
// txn version of appId "<name>/<stream>/<partition>", plus one), turns each
// event into a row (event_row.h) and adds it to the writer. When the writer
// says so (rows, bytes, age), it flushes: the files and one txn action per
// partition read are one commit. A crash before that commit loses nothing:
// the next start reads the same records again from the same offsets.
//
// Rows the table refuses (a type that no evolution allows) and events whose
// time is more than max_future ahead of now or more than max_past behind
// are appended to the dead-letter stream, with the reason, before the
// commit that moves past them; events older than `lateness` still land in
// their own partition and are counted as late.
//
// The loader also commits its position to the consumer group `group` of
// the stream after each commit, so the stream's lag metrics and
// `eventlake streams describe` show how far behind the table is.
//
// Threads: Start() runs the rounds on one thread; Stop() flushes what is
// buffered and joins. RunOnce() is for tests, without Start().
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/status.h"
#include "lake/event_row.h"
#include "lake/table_writer.h"
#include "log/stream.h"

namespace eventlake::lake {

struct LoaderOptions {
  std::string name;                     // the appId prefix and the metrics label
  log::Stream* stream = nullptr;        // required
  TableWriter* writer = nullptr;        // required
  // Opens (creating it if need be) the dead-letter stream; called the first
  // time a record is dead-lettered, so that a loader that never refuses a
  // row creates no stream. Empty: refused rows are counted and dropped.
  std::function<Result<log::Stream*>()> open_dead_letter;
  std::string group;                    // "" = "loader-<name>"
  uint32_t max_poll_records = 10'000;   // per partition per round
  std::chrono::milliseconds idle_wait{100};  // a round that found nothing waits this long
  std::chrono::microseconds lateness = std::chrono::hours(1);
  std::chrono::microseconds max_future = std::chrono::hours(24);
  std::chrono::microseconds max_past = std::chrono::hours(24 * 365 * 10);
  Clock* clock = &SystemClock();
  MetricsRegistry* metrics = nullptr;  // optional
};

class Loader {
 public:
  // Reads the table's txn versions; fails when options are incomplete.
  static Result<std::unique_ptr<Loader>> Create(LoaderOptions options);
  ~Loader();  // Stop()
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  Status Start();
  void Stop();

  // One round over every partition; flushes when the writer says so or
  // when `force_flush`. Returns the records read.
  Result<uint64_t> RunOnce(bool force_flush);

  // The next offset to read, per partition.
  std::vector<uint64_t> positions() const { return next_; }
  std::string AppIdOf(uint32_t partition) const;
  const LoaderOptions& options() const { return options_; }

 private:
  explicit Loader(LoaderOptions options);
  void Run();
  Status Resume();
  Status Take(uint32_t partition, const log::LogRecord& record);
  Status DeadLetter(uint32_t partition, const log::LogRecord& record, std::string_view reason,
                    const std::string& detail);
  Status FlushNow();

  LoaderOptions options_;
  EventRowEncoder encoder_;
  std::vector<uint64_t> next_;       // next offset to read, per partition
  std::vector<uint64_t> committed_;  // next offset after the last commit, per partition
  std::vector<CloudEvent> letters_;  // dead letters not yet appended
  log::Stream* dead_letter_ = nullptr;  // opened by the first dead letter

  Counter* rows_in_ = nullptr;
  Counter* late_rows_ = nullptr;
  Counter* dead_lettered_ = nullptr;
  Counter* errors_ = nullptr;

  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace eventlake::lake
