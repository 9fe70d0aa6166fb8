// file_drop: a landing directory as a source. Producers drop JSON, NDJSON or
// CSV files into it; each complete file becomes one object-created event and
// one event per record, delivered to the source's EventSink, and the file
// then moves to `processed/` (everything accepted) or `failed/` (with a
// `<name>.reason` file saying what and where).
//
// Contract, per file:
// - Taken only once complete: its size and modification time unchanged for
//   settle_time, as seen by two scans and by its mtime; names starting with
//   '.' or ending in `.tmp` / `.part` are never taken (write there, then
//   rename). Only regular files (no symlinks) matching `pattern`, in name order.
// - Checked in full before anything is delivered: a file that does not parse
//   (or is larger than max_file_bytes, or cannot be read) moves to `failed/`
//   and nothing of it is appended.
// - Delivered in order: first the object-created event (type
//   "eventlake.object.created", data {"name","size","modified","records",
//   "sha256"}), then the records (type = record_type, data = the record as a
//   JSON object), all with subject = the file name, source
//   "/eventlake/sources/<name>", time = the file's mtime, and deterministic
//   ids "<first 16 hex of the file's SHA-256>-object" / "-<record index>":
//   the same bytes dropped again (or redelivered after a crash) carry the same
//   ids, and the sink's dedup stores them once.
// - In batches of batch_events; events answered with a retryable status
//   (kResourceExhausted, kUnavailable) are delivered again after a backoff
//   (retry_backoff doubling up to 64x) for as long as it takes, so a full
//   stream holds the file back instead of failing it. Any other error rejects
//   that event: the rest is still delivered, and the file then moves to
//   `failed/` with the index and reason of each rejected record (the accepted
//   records stay in the stream).
// - Moves are rename(2) followed by fsync of both directories. A file whose
//   name is taken in the target directory gets a ".1", ".2", ... suffix.
//
// Threads: Start() runs one polling thread; deliveries are waited for on it,
// one file at a time. Stop() wakes it, lets a delivery in flight finish and
// joins; a file it was in the middle of stays in the directory and is
// delivered again (deduplicated) on the next start.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/status.h"
#include "ingest/event_sink.h"
#include "ingest/sources/file_drop_options.h"
#include "ingest/sources/file_records.h"

namespace eventlake::ingest {

inline constexpr std::string_view kObjectCreatedType = "eventlake.object.created";

class FileDrop final : public Source {
 public:
  // `sink`, `metrics` and `clock` must outlive the source. Fails when the
  // options break ValidateFileDropOptions.
  static Result<std::unique_ptr<FileDrop>> Create(FileDropOptions options, EventSink& sink,
                                                  MetricsRegistry& metrics,
                                                  Clock& clock = SystemClock());
  ~FileDrop() override;  // Stop()
  FileDrop(const FileDrop&) = delete;
  FileDrop& operator=(const FileDrop&) = delete;

  std::string_view name() const override { return options_.name; }
  // Creates the directory, `processed/` and `failed/` if missing, then starts
  // the polling thread. FailedPrecondition if started before.
  Status Start() override;
  void Stop() override;

  // One scan on the caller's thread: takes every ready file, delivers it and
  // moves it. Returns how many files were moved (to processed/ or failed/).
  // Must not run while Start()'s thread does (tests call it without Start()).
  Result<size_t> PollOnce();

  const FileDropOptions& options() const { return options_; }

 private:
  struct Observation {  // what a scan saw of a file
    uint64_t size = 0;
    int64_t mtime_micros = 0;
    int64_t unchanged_since_nanos = 0;  // monotonic: first scan that saw this size and mtime
    bool stuck = false;                 // could not be moved; skipped until it changes
    friend bool SameFile(const Observation& a, const Observation& b) {
      return a.size == b.size && a.mtime_micros == b.mtime_micros;
    }
  };
  struct DroppedFile {  // a file being taken
    std::string name;
    std::string path;
    uint64_t size = 0;
    int64_t mtime_micros = 0;
    FileFormat format = FileFormat::kJson;
    std::string contents;
    std::string sha256;  // hex
  };
  struct Outcome {  // what the sink made of a file's events
    size_t accepted = 0;
    size_t rejected = 0;
    std::vector<std::string> listed;  // "record 3 (line 4): invalid_argument: ..."
    bool abandoned = false;           // stopped while waiting to retry
  };
  enum class Taken { kMoved, kLeft, kStuck };

  FileDrop(FileDropOptions options, EventSink& sink, MetricsRegistry& metrics, Clock& clock);

  void Run();
  Status Prepare();
  bool IsCandidate(const std::string& name) const;
  bool Settled(const Observation& seen) const;
  bool Stopping();
  bool WaitUnlessStopping(std::chrono::milliseconds delay);

  // file_drop.cpp: taking and moving files.
  Taken Take(const std::string& name, const Observation& seen);
  Result<std::optional<std::string>> ReadContents(const DroppedFile& file) const;
  Taken Finish(const DroppedFile& file, size_t records, const Outcome& outcome);
  Taken MoveToFailed(const DroppedFile& file, std::string_view kind, const std::string& reason);
  Taken MoveTo(const DroppedFile& file, const std::string& subdirectory,
               std::optional<std::string> reason);
  std::string ReasonHeader(const DroppedFile& file) const;

  // file_drop_delivery.cpp: events and their delivery.
  Outcome Deliver(const DroppedFile& file, size_t records);
  CloudEvent ObjectCreatedEvent(const DroppedFile& file, size_t records) const;
  CloudEvent RecordEvent(const DroppedFile& file, FileRecord record) const;
  // Delivers one batch until every event is accepted or rejected; false when
  // stopped while waiting to retry.
  bool DeliverBatch(std::vector<CloudEvent>& events, const std::vector<std::string>& labels,
                    Outcome* outcome);
  DeliveryResults DeliverAndWait(std::vector<CloudEvent> events);

  const FileDropOptions options_;
  const std::string source_;  // "/eventlake/sources/<name>"
  EventSink& sink_;
  MetricsRegistry& metrics_;
  Clock& clock_;
  FileRecordLimits limits_;

  Counter& files_processed_;
  Counter& records_delivered_;
  Counter& records_rejected_;
  Counter& delivery_retries_;
  Counter& bytes_read_;

  bool prepared_ = false;                    // polling thread only
  std::map<std::string, Observation> seen_;  // polling thread only
  std::string last_scan_error_;              // polling thread only

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  bool started_ = false;   // guarded by mu_
  std::thread thread_;
};

}  // namespace eventlake::ingest
