// Opening a dedup window: the journal is read, expired entries dropped, and
// whatever the journal may have missed (a crash between an append and the
// next flush) is read back from the stream, from the last checkpoint's safe
// time on and never from before the window.
#include <algorithm>
#include <chrono>

#include "core/file.h"
#include "core/logging.h"
#include "ingest/dedup_window.h"
#include "ingest/dedup_window_internal.h"

namespace eventlake::ingest {
namespace {

// Allows for a wall-clock step back between a claim and its append.
constexpr int64_t kClockStepMarginMicros = 2'000'000;
constexpr uint32_t kMaxShards = 256;

Status ValidateOptions(const DedupOptions& o) {
  if (o.stream == nullptr) return InvalidArgument("dedup window: no stream");
  if (o.dir.empty()) return InvalidArgument("dedup window: no directory");
  if (o.window.count() <= 0) return InvalidArgument("dedup window: window must be positive");
  if (o.max_entries == 0) return InvalidArgument("dedup window: max_entries must be at least 1");
  if (o.shards == 0 || o.shards > kMaxShards) {
    return InvalidArgument("dedup window: shards must be 1.." + std::to_string(kMaxShards));
  }
  if (o.flush_interval.count() <= 0) {
    return InvalidArgument("dedup window: flush_interval must be positive");
  }
  if (o.clock == nullptr) return InvalidArgument("dedup window: no clock");
  return Status::Ok();
}

// Drops all but the newest `keep` of `entries`.
void KeepNewest(std::vector<DedupEntry>* entries, size_t keep) {
  if (entries->size() <= keep) return;
  const auto cut = entries->begin() + static_cast<ptrdiff_t>(entries->size() - keep);
  std::nth_element(entries->begin(), cut, entries->end(),
                   [](const DedupEntry& a, const DedupEntry& b) { return a.time < b.time; });
  entries->erase(entries->begin(), cut);
}

// Appends an entry for every record of `partition` appended at or after
// `from`, but reads no more than its newest `keep` records and holds no more
// than 2 * `keep` entries: the window could not hold more. Returns how many
// records were read.
Result<uint64_t> ScanPartition(log::Partition& partition, TimestampMicros from, size_t keep,
                               const HashSecret& secret, std::vector<DedupEntry>* out) {
  EL_ASSIGN_OR_RETURN(uint64_t next, partition.OffsetForTime(from));
  const uint64_t end = partition.EndOffset();
  if (end > keep) next = std::max<uint64_t>(next, end - keep);
  uint64_t read = 0;
  while (next < end) {
    EL_ASSIGN_OR_RETURN(std::vector<log::LogRecord> records, partition.Read(next, {}));
    if (records.empty()) break;
    for (const log::LogRecord& r : records) {
      if (r.offset >= end) return read;
      out->push_back({MakeDedupKey(secret, r.event.source, r.event.id),
                      {partition.id(), r.offset},
                      r.append_time});
      ++read;
      next = r.offset + 1;
    }
    if (out->size() >= 2 * keep) KeepNewest(out, keep);
  }
  return read;
}

// Every partition of `stream` from `from` on. A partition that cannot be read
// to its end is logged and skipped: what is not read can only let a retry be
// appended twice, which is no reason to refuse to start.
uint64_t ScanStream(log::Stream& stream, TimestampMicros from, size_t keep,
                    const HashSecret& secret, std::vector<DedupEntry>* out) {
  uint64_t read = 0;
  for (uint32_t p = 0; p < stream.partition_count(); ++p) {
    Result<uint64_t> n = ScanPartition(stream.partition(p), from, keep, secret, out);
    if (!n.has_value()) {
      LogWarn("dedup", "rebuild could not read a partition to its end",
              {{"stream", stream.name()}, {"partition", p}, {"error", n.error().ToString()}});
      continue;
    }
    read += *n;
  }
  KeepNewest(out, keep);
  return read;
}

}  // namespace

DedupWindow::DedupWindow(const DedupOptions& o, std::unique_ptr<DedupJournal> journal)
    : stream_name_(o.stream->name()),
      window_micros_(o.window.count()),
      flush_interval_(o.flush_interval),
      clock_(o.clock),
      registry_(o.metrics),
      secret_(journal->secret()),
      metrics_(std::make_unique<Metrics>()),
      journal_(std::move(journal)) {
  const size_t per_shard = (o.max_entries + o.shards - 1) / o.shards;
  for (uint32_t i = 0; i < o.shards; ++i) shards_.push_back(std::make_unique<Shard>(per_shard));
  if (registry_ == nullptr) return;
  const MetricLabels labels = {{"stream", stream_name_}};
  metrics_->hits = &registry_->GetCounter("eventlake_dedup_hits_total",
                                          "Retried events answered as duplicates", labels);
  metrics_->rebuilt = &registry_->GetCounter(
      "eventlake_dedup_rebuilt_total", "Dedup entries recovered from the stream at open", labels);
  metrics_->evicted =
      &registry_->GetCounter("eventlake_dedup_evicted_total",
                             "Dedup entries dropped early to stay within max_entries", labels);
  metrics_->journal_errors = &registry_->GetCounter("eventlake_dedup_journal_errors_total",
                                                    "Failed writes of the dedup journal", labels);
  metrics_->entries =
      &registry_->GetGauge("eventlake_dedup_entries", "Events held in the dedup window", labels);
  collect_hook_ = registry_->AddCollectHook([this] { PublishGauges(); });
}

Result<std::unique_ptr<DedupWindow>> DedupWindow::Open(DedupOptions options) {
  EL_RETURN_IF_ERROR(ValidateOptions(options));
  EL_RETURN_IF_ERROR(CreateDirectories(options.dir));
  const std::string path = options.dir + "/" + options.stream->name() + ".journal";
  const TimestampMicros now = options.clock->NowMicros();
  JournalContents contents;
  EL_ASSIGN_OR_RETURN(std::unique_ptr<DedupJournal> journal,
                      DedupJournal::Open(path, now, &contents));
  std::unique_ptr<DedupWindow> window(new DedupWindow(options, std::move(journal)));
  EL_RETURN_IF_ERROR(window->Load(std::move(contents), *options.stream, now));
  if (options.background_flush)
    window->flusher_ = std::thread([w = window.get()] { w->FlushLoop(); });
  return window;
}

bool DedupWindow::InsertLoaded(const DedupEntry& entry, bool rebuilt) {
  Shard& shard = ShardFor(entry.key);
  size_t evicted = 0;
  if (!shard.table.Insert(entry, &evicted)) return false;
  shard.last_time = std::max(shard.last_time, entry.time);
  if (rebuilt) {
    metrics_->rebuilt->Increment();
    if (shard.pending.size() < shard.table.max_entries()) {
      shard.pending.push_back(entry);
    } else {
      shard.pending_dropped = true;
    }
  }
  return true;
}

// Journal entries go in first, oldest first, then the rebuilt ones that are
// not known yet (the journal's entry wins: it is the committed first copy).
// Single-threaded: nothing else uses the window yet.
Status DedupWindow::Load(JournalContents contents, log::Stream& stream, TimestampMicros now) {
  const TimestampMicros cutoff = now - window_micros_;
  std::vector<DedupEntry>& entries = contents.entries;
  std::erase_if(entries, [cutoff](const DedupEntry& e) { return e.time < cutoff; });
  std::stable_sort(entries.begin(), entries.end(),
                   [](const DedupEntry& a, const DedupEntry& b) { return a.time < b.time; });
  for (const DedupEntry& e : entries) InsertLoaded(e, false);
  const size_t journaled = entries.size();

  const TimestampMicros from =
      contents.safe_time ? std::max(*contents.safe_time - kClockStepMarginMicros, cutoff) : cutoff;
  const auto started = std::chrono::steady_clock::now();
  entries.clear();
  const size_t keep = shards_.size() * shards_[0]->table.max_entries();
  const uint64_t read = ScanStream(stream, from, keep, secret_, &entries);
  std::stable_sort(entries.begin(), entries.end(),
                   [](const DedupEntry& a, const DedupEntry& b) { return a.time < b.time; });
  uint64_t rebuilt = 0;
  for (const DedupEntry& e : entries) rebuilt += InsertLoaded(e, true) ? 1 : 0;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  LogInfo("dedup", "window loaded",
          {{"stream", stream_name_},
           {"journal_entries", journaled},
           {"journal_created", contents.created},
           {"records_read", read},
           {"rebuilt", rebuilt},
           {"rebuild_ms", static_cast<int64_t>(ms.count())}});
  return Status::Ok();
}

}  // namespace eventlake::ingest
