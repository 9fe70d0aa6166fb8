// The metrics registry: counters, gauges and histograms with labels, rendered
// in the Prometheus text exposition format (version 0.0.4) at GET /metrics.
//
// Components ask the registry for their metrics once, keep the returned
// references (valid for the registry's lifetime) and update them on hot paths
// with relaxed atomics: no lock, no allocation. Thread-safe throughout.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eventlake {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Increment(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double d);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Cumulative buckets by upper bound, plus sum and count.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double v);
  uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  double Sum() const { return sum_.load(std::memory_order_relaxed); }
  const std::vector<double>& UpperBounds() const { return bounds_; }
  // Observations <= UpperBounds()[i] (cumulative), for i < UpperBounds().size().
  uint64_t CumulativeCount(size_t i) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // not cumulative; one extra for +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// Bucket bounds for latencies in seconds: 50µs .. 10s.
std::vector<double> LatencyBuckets();

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();  // defined in metrics.cpp, where Family is complete
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Returns the metric with this name and labels, creating it on first use.
  // Names follow Prometheus rules (`eventlake_log_appends_total`); a name is
  // always of one kind and one help text (a programmer error otherwise).
  Counter& GetCounter(std::string_view name, std::string_view help, const MetricLabels& labels = {});
  Gauge& GetGauge(std::string_view name, std::string_view help, const MetricLabels& labels = {});
  Histogram& GetHistogram(std::string_view name, std::string_view help,
                          const std::vector<double>& upper_bounds,
                          const MetricLabels& labels = {});

  // Hooks run at the start of every RenderPrometheus(), to refresh gauges that
  // are cheaper to compute on scrape (sizes, lag). A hook must not call back
  // into AddCollectHook. Returns an id for RemoveCollectHook.
  uint64_t AddCollectHook(std::function<void()> hook);
  void RemoveCollectHook(uint64_t id);

  // The text exposition format: # HELP, # TYPE, samples sorted by name then labels.
  std::string RenderPrometheus() const;

 private:
  struct Family;
  Family& FamilyFor(std::string_view name, std::string_view help, int kind);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_;
  std::map<uint64_t, std::function<void()>> hooks_;
  uint64_t next_hook_id_ = 1;
};

}  // namespace eventlake
