// The dedup window of a stream: remembers where each recently stored event
// (by its CloudEvents source and id) went, so that a retried event is answered
// as accepted with the first copy's position instead of being appended again,
// also across a restart. Format and rules: docs/formats/dedup.md.
//
// Use it in front of the append path:
//
//   DedupClaim c = window.Claim(event.source, event.id);
//   kDuplicate: answer accepted with c.position; do not append.
//   kNew:       append; then Commit(c.key, position), or Abort(c.key) if the
//               append failed. Every kNew must end in exactly one of the two.
//   kInFlight:  the same event is being appended by another request right
//               now. Call WaitFor(c.key, then): `then` runs exactly once, with
//               kDuplicate (the first append succeeded: answer with its
//               position) or kNew (it failed or vanished: the waiter now owns
//               the key and must append, then Commit or Abort, as for kNew).
//
// Threads: every call is safe from any thread (DedupOptions::shards shards,
// each with its own mutex). Continuations run without any lock held, on the
// thread that called WaitFor, Commit or Abort (often a partition writer
// thread), and must not block. Claim answers a duplicate without allocating.
// ClaimAll and CommitOrAbortAll do the same for a request's events, taking
// each shard's lock once and fetching their index slots ahead.
//
// Lifetime: open it after the log and before anything appends to the stream;
// destroy it after every claim has ended (sources stopped), before the log.
// The stream is only read during Open (the rebuild) and not kept.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/status.h"
#include "ingest/dedup_journal.h"
#include "ingest/dedup_key.h"
#include "log/log_record.h"
#include "log/stream.h"

namespace eventlake::ingest {

struct DedupOptions {
  std::string dir;                // data/state/dedup; the journal is <dir>/<stream>.journal
  log::Stream* stream = nullptr;  // required; read by Open to rebuild what the journal missed
  std::chrono::microseconds window = std::chrono::minutes(10);  // > 0
  // Bound on entries held (>= 1); the oldest of a shard go first. Enforced per
  // shard: each holds ceil(max_entries / shards).
  size_t max_entries = 1'000'000;
  uint32_t shards = 16;  // 1..256; more shards, less lock contention
  // How often committed entries are written to the journal; also the expiry
  // sweep. Bounds what a crash makes the next Open read back from the stream.
  std::chrono::milliseconds flush_interval{500};
  bool background_flush = true;        // false: only Flush() writes (tests)
  Clock* clock = &SystemClock();       // must outlive the window
  MetricsRegistry* metrics = nullptr;  // optional; must outlive the window
};

enum class DedupVerdict { kNew, kDuplicate, kInFlight };

struct DedupClaim {
  DedupVerdict verdict = DedupVerdict::kNew;
  DedupKey key;
  log::RecordPosition position;  // where the first copy is stored (kDuplicate only)
};

// Gets kDuplicate or kNew (see the top of this file).
using DedupContinuation = std::function<void(const DedupClaim& claim)>;

struct DedupStats {
  size_t entries = 0;    // committed, within the window
  size_t in_flight = 0;  // claimed, not yet committed or aborted
  uint64_t hits = 0;     // duplicates answered
  uint64_t rebuilt = 0;  // entries recovered from the stream by Open
  uint64_t evicted = 0;  // dropped early because of max_entries
  uint64_t journal_errors = 0;
  uint64_t journal_frames = 0;
};

class DedupWindow {
 public:
  // Loads the journal, drops expired entries, rebuilds what the journal missed
  // from the stream and starts the background flush.
  static Result<std::unique_ptr<DedupWindow>> Open(DedupOptions options);
  // Stops the background flush and writes what is pending.
  ~DedupWindow();
  DedupWindow(const DedupWindow&) = delete;
  DedupWindow& operator=(const DedupWindow&) = delete;

  // The key of (source, id) under this window's secret.
  DedupKey KeyFor(std::string_view source, std::string_view id) const;

  DedupClaim Claim(std::string_view source, std::string_view id);
  DedupClaim Claim(const DedupKey& key);
  // claims[i] = Claim(keys[i]) for every i in order (a key twice: kNew, then
  // kInFlight), one lock per shard. The spans are the same size.
  void ClaimAll(std::span<const DedupKey> keys, std::span<DedupClaim> claims);
  // After a kInFlight claim; `then` may run before WaitFor returns.
  void WaitFor(const DedupKey& key, DedupContinuation then);
  // The event of a kNew claim is durable at `position`; waiters learn it as
  // kDuplicate. Recording a key that is already known keeps the first.
  void Commit(const DedupKey& key, log::RecordPosition position);
  // The append of a kNew claim failed; the first waiter, if any, takes over.
  void Abort(const DedupKey& key);
  // Commit(keys[i], *results[i]) where the append stored the event, else
  // Abort(keys[i]); one lock per shard, then the waiters run.
  void CommitOrAbortAll(std::span<const DedupKey> keys,
                        std::span<const Result<log::RecordPosition>> results);

  // Writes committed entries and a checkpoint now (the background flush does
  // this every flush_interval), compacting when the journal is too large.
  Status Flush();
  // Rewrites the journal with the live entries only.
  Status Compact();

  DedupStats Stats() const;
  const std::string& journal_path() const { return journal_->path(); }

 private:
  struct Shard;
  struct Metrics;
  DedupWindow(const DedupOptions& options, std::unique_ptr<DedupJournal> journal);
  Shard& ShardFor(const DedupKey& key) const;
  size_t ShardIndex(const DedupKey& key) const { return key.w0 % shards_.size(); }
  // Calls f(shard, run) for each shard that one of `keys` falls in, where run
  // lists those keys' positions in `keys`, in order.
  template <typename F>
  void ForEachShardRun(std::span<const DedupKey> keys, F&& f);
  // Continuations to run, with what they learn, once the locks are released.
  using Wakeups = std::vector<std::pair<DedupContinuation, DedupClaim>>;
  // Claim, Commit and Abort with the shard's lock held (and expired entries
  // dropped); a Claim's hit is counted in *hits.
  DedupClaim ClaimLocked(Shard& shard, const DedupKey& key, TimestampMicros now, size_t* hits);
  void CommitLocked(Shard& shard, const DedupKey& key, log::RecordPosition position,
                    TimestampMicros now, size_t* evicted, Wakeups* wakeups);
  void AbortLocked(Shard& shard, const DedupKey& key, Wakeups* wakeups);
  void Wake(Wakeups& wakeups, size_t evicted);
  // Open: journal entries, then the rebuild from `stream`.
  Status Load(JournalContents contents, log::Stream& stream, TimestampMicros now);
  // Inserts into the entry's shard; false when its key was known.
  bool InsertLoaded(const DedupEntry& entry, bool rebuilt);
  Status FlushRound(bool force_rewrite);
  Status AppendPending(TimestampMicros now);
  Status Rewrite(TimestampMicros now);
  void FlushLoop();
  void PublishGauges();

  std::string stream_name_;
  int64_t window_micros_;
  std::chrono::milliseconds flush_interval_;
  Clock* clock_;
  MetricsRegistry* registry_;
  HashSecret secret_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::unique_ptr<Metrics> metrics_;
  uint64_t collect_hook_ = 0;

  mutable std::mutex flush_mu_;  // one flush round at a time; guards journal_ and batch_
  std::unique_ptr<DedupJournal> journal_;
  std::vector<DedupEntry> batch_;
  bool journal_broken_ = false;  // a write failed: the next round rewrites

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread flusher_;
};

}  // namespace eventlake::ingest
