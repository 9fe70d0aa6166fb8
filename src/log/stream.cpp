// A stream: partition choice, quota, retention, consumer groups and their lag.
#include "log/stream.h"

#include <algorithm>
#include <future>
#include <optional>

#include "core/file.h"
#include "core/logging.h"
#include "log/stream_options_table.h"

namespace eventlake::log {
namespace {

// FNV-1a, 64 bits: stable across versions and platforms, so a key keeps its
// partition for the life of a stream (as long as the partition count holds).
uint64_t HashKey(std::string_view key) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : key) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string KeyText(const ExtensionValue& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  if (const auto* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  return std::get<bool>(value) ? "true" : "false";
}

// Collects the partitions' answers for one Stream::Append.
struct AppendJoin {
  explicit AppendJoin(size_t events, StreamAppendDone d)
      : results(events, Err(Internal("not appended"))), done(std::move(d)) {}
  std::vector<Result<RecordPosition>> results;
  StreamAppendDone done;
  std::atomic<size_t> remaining{0};
};

}  // namespace

Stream::Stream(StreamOptions options, Clock* clock, MetricsRegistry* metrics, std::string dir)
    : options_(std::move(options)), clock_(clock), metrics_(metrics), dir_(std::move(dir)),
      offsets_(dir_ + "/groups") {}

Stream::~Stream() {
  if (metrics_ != nullptr && collect_hook_ != 0) metrics_->RemoveCollectHook(collect_hook_);
}

Result<std::unique_ptr<Stream>> Stream::Open(std::string dir, const StreamOptions& options,
                                             Clock* clock, MetricsRegistry* metrics) {
  EL_RETURN_IF_ERROR(ValidateStreamOptions(options));
  EL_RETURN_IF_ERROR(CreateDirectories(dir));
  for (uint32_t p = options.partitions;; ++p) {  // partitions never shrink
    if (!PathExists(dir + "/" + std::to_string(p))) break;
    return Err(FailedPrecondition("stream " + options.name + " has partition " +
                                  std::to_string(p) + " on disk but is configured with " +
                                  std::to_string(options.partitions) +
                                  " partitions; partitions can grow, never shrink"));
  }
  EL_RETURN_IF_ERROR(WriteFileAtomically(dir + "/stream.json", StreamOptionsToJson(options)));
  std::unique_ptr<Stream> stream(new Stream(options, clock, metrics, dir));
  for (uint32_t p = 0; p < options.partitions; ++p) {
    PartitionContext context{options.name, p, clock, metrics};
    EL_ASSIGN_OR_RETURN(std::unique_ptr<Partition> partition,
                        Partition::Open(dir + "/" + std::to_string(p), options, context));
    stream->partitions_.push_back(std::move(partition));
  }
  if (metrics != nullptr) {
    MetricLabels labels{{"stream", options.name}};
    stream->quota_rejections_ = &metrics->GetCounter(
        "eventlake_log_quota_rejections_total", "Appends refused because the stream is over quota.",
        labels);
    stream->retention_deleted_bytes_ = &metrics->GetCounter(
        "eventlake_log_retention_deleted_bytes_total", "Bytes of segments deleted by retention.",
        labels);
    Stream* self = stream.get();
    stream->collect_hook_ = metrics->AddCollectHook([self] { self->PublishGauges(); });
  }
  return stream;
}

uint32_t Stream::PartitionForKey(std::string_view key) const {
  return static_cast<uint32_t>(HashKey(key) % partitions_.size());
}

void Stream::Append(std::span<const CloudEvent> events, StreamAppendDone done) {
  if (options_.quota_bytes > 0 && SizeBytes() >= options_.quota_bytes) {
    if (quota_rejections_ != nullptr) quota_rejections_->Increment();
    Status over = ResourceExhausted("stream " + options_.name + " is over its quota of " +
                                    std::to_string(options_.quota_bytes) +
                                    " bytes; retry after retention frees space");
    done(std::vector<Result<RecordPosition>>(events.size(), Err(over)));
    return;
  }
  // Keyless events of one append stay together in one partition (Kafka's
  // sticky partitioning, KIP-480): one write, one fsync and one completion
  // for a batch instead of one per partition; the next append takes the
  // next partition.
  auto keyed = [](const CloudEvent& event) {
    return event.FindExtension(kPartitionKeyExtension) != nullptr;
  };
  if (!events.empty() && std::none_of(events.begin(), events.end(), keyed)) {
    // The common case: nothing to share out, so no join either.
    const auto p = static_cast<uint32_t>(round_robin_++ % partitions_.size());
    std::vector<const CloudEvent*> pointers(events.size());
    for (size_t i = 0; i < events.size(); ++i) pointers[i] = &events[i];
    partitions_[p]->Append(pointers, [p, n = events.size(),
                                      done = std::move(done)](Result<uint64_t> first) {
      std::vector<Result<RecordPosition>> results;
      results.reserve(n);
      for (size_t k = 0; k < n; ++k) {
        results.push_back(first.has_value() ? Result<RecordPosition>(RecordPosition{p, *first + k})
                                            : Err(first.error()));
      }
      done(std::move(results));
    });
    return;
  }
  std::vector<std::vector<size_t>> shares(partitions_.size());
  std::optional<uint32_t> sticky;
  for (size_t i = 0; i < events.size(); ++i) {
    const ExtensionValue* key = events[i].FindExtension(kPartitionKeyExtension);
    uint32_t p = 0;
    if (key != nullptr) {
      p = PartitionForKey(KeyText(*key));
    } else {
      if (!sticky) sticky = static_cast<uint32_t>(round_robin_++ % partitions_.size());
      p = *sticky;
    }
    shares[p].push_back(i);
  }
  auto join = std::make_shared<AppendJoin>(events.size(), std::move(done));
  size_t used = 0;
  for (const auto& share : shares) used += share.empty() ? 0 : 1;
  if (used == 0) {
    join->done(std::move(join->results));
    return;
  }
  join->remaining = used;
  for (uint32_t p = 0; p < shares.size(); ++p) {
    if (shares[p].empty()) continue;
    std::vector<const CloudEvent*> share_events;
    share_events.reserve(shares[p].size());
    for (size_t i : shares[p]) share_events.push_back(&events[i]);
    partitions_[p]->Append(share_events, [join, p, indices = std::move(shares[p])](
                                             Result<uint64_t> first) {
      for (size_t k = 0; k < indices.size(); ++k) {
        if (first.has_value()) {
          join->results[indices[k]] = RecordPosition{p, *first + k};
        } else {
          join->results[indices[k]] = Err(first.error());
        }
      }
      if (join->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        join->done(std::move(join->results));
      }
    });
  }
}

std::vector<Result<RecordPosition>> Stream::AppendAndWait(std::span<const CloudEvent> events) {
  std::promise<std::vector<Result<RecordPosition>>> promise;
  auto future = promise.get_future();
  Append(events, [&promise](std::vector<Result<RecordPosition>> r) {
    promise.set_value(std::move(r));
  });
  return future.get();
}

uint64_t Stream::SizeBytes() const {
  uint64_t total = 0;
  for (const auto& p : partitions_) total += p->SizeBytes();
  return total;
}

StreamStats Stream::Stats() const {
  StreamStats stats;
  stats.name = options_.name;
  for (const auto& p : partitions_) {
    PartitionStats ps = p->Stats();
    stats.size_bytes += ps.size_bytes;
    stats.records += ps.end_offset - ps.start_offset;
    stats.partitions.push_back(std::move(ps));
  }
  return stats;
}

}  // namespace eventlake::log
