// The running sources of a server: for each configured source its schemas,
// its SourceSink (validation, dead letters, dedup, append) and, for the
// self-running kinds (file_drop, mqtt, kafka), the source itself; for each
// stream fed by a source with dedup, one dedup window under
// <data_dir>/state/dedup. The HTTP routes look sources up here.
//
// Order: Open after the log (it creates missing dead-letter streams and
// rebuilds dedup windows from their streams), StartSources once the server is
// ready, StopSources before the log closes; destroy after the log closed
// (appends still in flight while the log closes end in the sinks and windows).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/id.h"
#include "core/metrics.h"
#include "core/status.h"
#include "ingest/dedup_window.h"
#include "ingest/event_sink.h"
#include "ingest/schema_set.h"
#include "ingest/source_options.h"
#include "ingest/source_sink.h"
#include "log/log.h"
#include "server/config.h"

namespace eventlake::server {

class SourceRuntime {
 public:
  const ingest::SourceOptions& options() const { return *options_; }
  const ingest::SchemaSet& schemas() const { return schemas_; }
  ingest::SourceSink& sink() { return *sink_; }

  // ResourceExhausted (429) while a consumer group of the source's stream
  // lags more than max_consumer_lag records; checked at most every 250 ms.
  Status CheckConsumerLag(Clock& clock);

 private:
  friend class SourceSet;
  const ingest::SourceOptions* options_ = nullptr;
  ingest::SchemaSet schemas_;
  std::unique_ptr<ingest::SourceSink> sink_;
  std::unique_ptr<ingest::Source> runner_;  // file_drop, mqtt, kafka; null for http
  std::atomic<int64_t> lag_checked_at_{INT64_MIN};
  std::atomic<uint64_t> worst_lag_{0};
};

class SourceSet {
 public:
  struct Services {
    log::Log* log = nullptr;
    MetricsRegistry* metrics = nullptr;
    IdGenerator* ids = nullptr;
    Clock* clock = &SystemClock();
  };

  // Every source of `config` (which must outlive the set).
  static Result<std::unique_ptr<SourceSet>> Open(const Config& config, const Services& services);
  ~SourceSet();  // StopSources()

  // Starts file_drop, mqtt and kafka sources; the first failure stops the others.
  Status StartSources();
  // Stops them, waiting for their deliveries in flight. Idempotent.
  void StopSources();

  // The source named `name`, or nullptr.
  SourceRuntime* Find(std::string_view name);

 private:
  SourceSet() = default;
  Status OpenDedupWindows(const Config& config, const Services& services);
  Status OpenSource(const ingest::SourceOptions& options, const Services& services);

  std::string data_dir_;
  std::map<std::string, std::unique_ptr<ingest::DedupWindow>, std::less<>> dedup_;
  std::map<std::string, std::unique_ptr<SourceRuntime>, std::less<>> sources_;
  bool started_ = false;
};

}  // namespace eventlake::server
