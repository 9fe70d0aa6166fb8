// The metrics registry and its Prometheus text rendering (format 0.0.4).
//
// Misuse (a name registered as two kinds, with two help texts or with two
// bucket layouts; invalid metric or label names) is a programmer error and
// aborts with a message naming the metric: silently merging or renaming would
// produce a /metrics page that lies.
//
// Collect hooks run without the registry lock (they may call GetGauge), under
// one process-wide hook mutex that RemoveCollectHook also takes: once
// RemoveCollectHook returns, its hook is not running and will not run again,
// so a component may remove its hook in its destructor. A hook must therefore
// not remove hooks or render, and RemoveCollectHook must not be called while
// holding a lock that a hook takes.
#include "core/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace eventlake {
namespace {

enum Kind { kCounter = 0, kGauge = 1, kHistogram = 2 };

constexpr std::string_view kKindNames[] = {"counter", "gauge", "histogram"};

[[noreturn]] void Die(std::string_view name, std::string_view problem) {
  std::fprintf(stderr, "eventlake: metric %.*s: %.*s\n", static_cast<int>(name.size()), name.data(),
               static_cast<int>(problem.size()), problem.data());
  std::abort();
}

bool IsValidName(std::string_view name, bool allow_colon) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           (allow_colon && c == ':');
  });
}

void AtomicAdd(std::atomic<double>& target, double delta) {
  double old = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(old, old + delta, std::memory_order_relaxed)) {
  }
}

// Integers print without exponent; other values in the shortest form that
// reads back to the same double.
void AppendDouble(std::string* out, double v) {
  if (std::isnan(v)) {
    out->append("NaN");
  } else if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
  } else {
    char buffer[64];
    std::to_chars_result r;
    if (v == std::trunc(v) && std::fabs(v) < 1e18) {
      r = std::to_chars(buffer, buffer + sizeof(buffer), static_cast<int64_t>(v));
    } else {
      r = std::to_chars(buffer, buffer + sizeof(buffer), v);
    }
    out->append(buffer, r.ptr);
  }
}

// Label values escape backslash, double quote and newline; help texts
// escape backslash and newline.
void AppendEscaped(std::string* out, std::string_view s, bool escape_quote) {
  for (char c : s) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '"' && escape_quote) {
      out->append("\\\"");
    } else {
      out->push_back(c);
    }
  }
}

// `{a="x",b="y"}` plus an optional extra label (the histogram's `le`).
void AppendLabels(std::string* out, const MetricLabels& labels, std::string_view le = {}) {
  if (labels.empty() && le.empty()) return;
  out->push_back('{');
  bool first = true;
  for (const auto& [key, value] : labels) {
    if (!first) out->push_back(',');
    first = false;
    out->append(key).append("=\"");
    AppendEscaped(out, value, /*escape_quote=*/true);
    out->push_back('"');
  }
  if (!le.empty()) {
    if (!first) out->push_back(',');
    out->append("le=\"").append(le).push_back('"');
  }
  out->push_back('}');
}

MetricLabels SortedLabels(std::string_view name, const MetricLabels& labels) {
  MetricLabels sorted = labels;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) {
    const std::string& key = sorted[i].first;
    if (!IsValidName(key, false) || key.starts_with("__")) Die(name, "invalid label " + key);
    if (i > 0 && sorted[i - 1].first == key) Die(name, "duplicate label " + key);
  }
  return sorted;
}

std::mutex& HookRunMutex() {
  static auto* mu = new std::mutex();
  return *mu;
}

}  // namespace

void Gauge::Add(double d) { AtomicAdd(value_, d); }

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  // +Inf is implicit; bounds must be sorted and distinct for cumulative counts.
  std::erase_if(bounds_, [](double b) { return std::isnan(b) || std::isinf(b); });
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  buckets_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  size_t i = std::isnan(v)
                 ? bounds_.size()
                 : static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                       bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, v);
  count_.fetch_add(1, std::memory_order_relaxed);
}

uint64_t Histogram::CumulativeCount(size_t i) const {
  uint64_t total = 0;
  for (size_t k = 0; k <= i && k <= bounds_.size(); ++k) {
    total += buckets_[k].load(std::memory_order_relaxed);
  }
  return total;
}

std::vector<double> LatencyBuckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
}

struct MetricsRegistry::Family {
  std::string help;
  int kind = kCounter;
  std::vector<double> bounds;  // histograms only
  std::map<MetricLabels, std::unique_ptr<Counter>> counters;
  std::map<MetricLabels, std::unique_ptr<Gauge>> gauges;
  std::map<MetricLabels, std::unique_ptr<Histogram>> histograms;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Family& MetricsRegistry::FamilyFor(std::string_view name, std::string_view help,
                                                    int kind) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    if (!IsValidName(name, true)) Die(name, "invalid metric name");
    auto family = std::make_unique<Family>();
    family->help = std::string(help);
    family->kind = kind;
    it = families_.emplace(std::string(name), std::move(family)).first;
  }
  Family& family = *it->second;
  if (family.kind != kind) {
    Die(name, "registered as a " + std::string(kKindNames[family.kind]) + ", requested as a " +
                  std::string(kKindNames[kind]));
  }
  if (family.help != help) Die(name, "registered with two help texts");
  return family;
}

Counter& MetricsRegistry::GetCounter(std::string_view name, std::string_view help,
                                     const MetricLabels& labels) {
  MetricLabels key = SortedLabels(name, labels);
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = FamilyFor(name, help, kCounter).counters[std::move(key)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& MetricsRegistry::GetGauge(std::string_view name, std::string_view help,
                                 const MetricLabels& labels) {
  MetricLabels key = SortedLabels(name, labels);
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = FamilyFor(name, help, kGauge).gauges[std::move(key)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& MetricsRegistry::GetHistogram(std::string_view name, std::string_view help,
                                         const std::vector<double>& upper_bounds,
                                         const MetricLabels& labels) {
  MetricLabels key = SortedLabels(name, labels);
  for (const auto& [label, value] : key) {
    if (label == "le") Die(name, "a histogram cannot have a label named le");
  }
  auto histogram = std::make_unique<Histogram>(upper_bounds);
  std::lock_guard<std::mutex> lock(mu_);
  Family& family = FamilyFor(name, help, kHistogram);
  if (family.histograms.empty()) family.bounds = histogram->UpperBounds();
  if (family.bounds != histogram->UpperBounds()) Die(name, "registered with two bucket layouts");
  auto& slot = family.histograms[std::move(key)];
  if (!slot) slot = std::move(histogram);
  return *slot;
}

uint64_t MetricsRegistry::AddCollectHook(std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t id = next_hook_id_++;
  hooks_.emplace(id, std::move(hook));
  return id;
}

void MetricsRegistry::RemoveCollectHook(uint64_t id) {
  std::lock_guard<std::mutex> run_lock(HookRunMutex());  // waits for a running hook
  std::lock_guard<std::mutex> lock(mu_);
  hooks_.erase(id);
}

namespace {

void RenderHistogram(std::string* out, const std::string& name, const MetricLabels& labels,
                     const Histogram& h) {
  // _count repeats the +Inf bucket so that the two always agree.
  uint64_t cumulative = 0;
  std::string le;
  for (size_t i = 0; i <= h.UpperBounds().size(); ++i) {
    cumulative = h.CumulativeCount(i);
    le.clear();
    if (i < h.UpperBounds().size()) {
      AppendDouble(&le, h.UpperBounds()[i]);
    } else {
      le = "+Inf";
    }
    out->append(name).append("_bucket");
    AppendLabels(out, labels, le);
    out->append(" ").append(std::to_string(cumulative)).push_back('\n');
  }
  out->append(name).append("_sum");
  AppendLabels(out, labels);
  out->push_back(' ');
  AppendDouble(out, h.Sum());
  out->push_back('\n');
  out->append(name).append("_count");
  AppendLabels(out, labels);
  out->append(" ").append(std::to_string(cumulative)).push_back('\n');
}

}  // namespace

std::string MetricsRegistry::RenderPrometheus() const {
  {
    std::lock_guard<std::mutex> run_lock(HookRunMutex());
    std::vector<std::function<void()>> hooks;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [id, hook] : hooks_) hooks.push_back(hook);
    }
    for (const auto& hook : hooks) hook();
  }
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, family] : families_) {
    out.append("# HELP ").append(name).push_back(' ');
    AppendEscaped(&out, family->help, /*escape_quote=*/false);
    out.append("\n# TYPE ").append(name).push_back(' ');
    out.append(kKindNames[family->kind]).push_back('\n');
    for (const auto& [labels, counter] : family->counters) {
      out.append(name);
      AppendLabels(&out, labels);
      out.append(" ").append(std::to_string(counter->Value())).push_back('\n');
    }
    for (const auto& [labels, gauge] : family->gauges) {
      out.append(name);
      AppendLabels(&out, labels);
      out.push_back(' ');
      AppendDouble(&out, gauge->Value());
      out.push_back('\n');
    }
    for (const auto& [labels, histogram] : family->histograms) {
      RenderHistogram(&out, name, labels, *histogram);
    }
  }
  return out;
}

}  // namespace eventlake
