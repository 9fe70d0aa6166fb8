// The event log: every stream under data/log/, opened at start, created on
// demand, and kept within retention by a maintenance thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "log/stream.h"

namespace eventlake::log {

struct LogOptions {
  std::string dir;  // data/log
  Clock* clock = &SystemClock();
  MetricsRegistry* metrics = nullptr;  // optional
  // How often the maintenance thread runs retention, age rolls and interval syncs.
  std::chrono::milliseconds maintenance_interval{1000};
};

class Log {
 public:
  // Opens every stream found under options.dir (each from its stream.json).
  static Result<std::unique_ptr<Log>> Open(LogOptions options);
  ~Log();  // stops maintenance, then closes streams (which flush)

  // Creates a new stream; AlreadyExists when one of that name exists.
  Result<Stream*> CreateStream(const StreamOptions& options);
  // For streams declared in the config: creates it, or applies the declared
  // options to the existing one (partitions may grow, never shrink).
  Result<Stream*> EnsureStream(const StreamOptions& options);
  // nullptr when there is no such stream.
  Stream* FindStream(std::string_view name) const;
  std::vector<Stream*> Streams() const;  // sorted by name

  // One maintenance pass over all streams.
  Status Maintain();
  // Runs Maintain() every maintenance_interval on a thread of its own until destruction.
  void StartMaintenance();

 private:
  explicit Log(LogOptions options);
  Result<Stream*> OpenStream(const StreamOptions& options);
  // The options stored in a stream's stream.json (defaults if unreadable).
  StreamOptions ReadBackOptions(const std::string& name) const;

  LogOptions options_;
  std::mutex create_mu_;   // serialises creating and reopening streams
  mutable std::mutex mu_;  // guards streams_
  std::map<std::string, std::unique_ptr<Stream>, std::less<>> streams_;
  std::mutex maintenance_mu_;
  std::condition_variable maintenance_cv_;
  bool stopping_ = false;
  std::thread maintenance_;
};

}  // namespace eventlake::log
