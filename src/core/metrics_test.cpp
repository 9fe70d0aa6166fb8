// Tests for the metrics registry: values, identity, misuse and the exact
// Prometheus text it renders.
#include "core/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

namespace eventlake {
namespace {

TEST(Counter, CountsConcurrentIncrements) {
  Counter c;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) c.Increment();
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(c.Value(), 40'000u);
}

TEST(Gauge, AddDoesNotLoseConcurrentUpdates) {
  Gauge g;
  g.Set(10);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&g, t] {
      for (int i = 0; i < 10'000; ++i) g.Add(t % 2 == 0 ? 1.0 : -0.5);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(g.Value(), 10 + 2 * 10'000 - 2 * 5'000);
}

TEST(Histogram, PutsEachObservationInTheFirstBucketThatHoldsIt) {
  Histogram h({1, 5, 10});
  for (double v : {0.5, 1.0, 1.5, 5.0, 7.0, 11.0, 1e9}) h.Observe(v);
  EXPECT_EQ(h.CumulativeCount(0), 2u);  // 0.5, 1 (upper bounds are inclusive)
  EXPECT_EQ(h.CumulativeCount(1), 4u);  // + 1.5, 5
  EXPECT_EQ(h.CumulativeCount(2), 5u);  // + 7
  EXPECT_EQ(h.Count(), 7u);
  EXPECT_DOUBLE_EQ(h.Sum(), 0.5 + 1 + 1.5 + 5 + 7 + 11 + 1e9);
}

TEST(Histogram, SortsAndDeduplicatesBoundsAndDropsInfinity) {
  Histogram h({5, 1, 5, std::numeric_limits<double>::infinity()});
  EXPECT_EQ(h.UpperBounds(), (std::vector<double>{1, 5}));
}

TEST(Histogram, LatencyBucketsSpan50MicrosecondsTo10Seconds) {
  std::vector<double> b = LatencyBuckets();
  ASSERT_FALSE(b.empty());
  EXPECT_DOUBLE_EQ(b.front(), 0.00005);
  EXPECT_DOUBLE_EQ(b.back(), 10);
  EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
}

TEST(MetricsRegistry, ReturnsTheSameMetricForTheSameNameAndLabelsInAnyOrder) {
  MetricsRegistry r;
  Counter& a = r.GetCounter("x_total", "X.", {{"a", "1"}, {"b", "2"}});
  Counter& b = r.GetCounter("x_total", "X.", {{"b", "2"}, {"a", "1"}});
  Counter& c = r.GetCounter("x_total", "X.", {{"a", "1"}, {"b", "3"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
}

TEST(MetricsRegistry, RendersCountersAndGaugesSortedByNameThenLabels) {
  MetricsRegistry r;
  r.GetGauge("eventlake_b_bytes", "Bytes on disk.", {{"stream", "z"}}).Set(1.5);
  r.GetGauge("eventlake_b_bytes", "Bytes on disk.", {{"stream", "a"}}).Set(100000000);
  r.GetCounter("eventlake_a_total", "Appends.").Increment(3);
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP eventlake_a_total Appends.\n"
            "# TYPE eventlake_a_total counter\n"
            "eventlake_a_total 3\n"
            "# HELP eventlake_b_bytes Bytes on disk.\n"
            "# TYPE eventlake_b_bytes gauge\n"
            "eventlake_b_bytes{stream=\"a\"} 100000000\n"
            "eventlake_b_bytes{stream=\"z\"} 1.5\n");
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelpText) {
  MetricsRegistry r;
  r.GetCounter("e_total", "Line one\nback\\slash \"quoted\"", {{"path", "a\\b\"c\nd"}}).Increment();
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP e_total Line one\\nback\\\\slash \"quoted\"\n"
            "# TYPE e_total counter\n"
            "e_total{path=\"a\\\\b\\\"c\\nd\"} 1\n");
}

TEST(MetricsRegistry, RendersHistogramsWithCumulativeBucketsSumAndCount) {
  MetricsRegistry r;
  Histogram& h = r.GetHistogram("lat_seconds", "Latency.", {0.005, 1, 2.5}, {{"op", "append"}});
  h.Observe(0.00390625);  // exact in binary, so the sum prints exactly
  h.Observe(0.5);
  h.Observe(0.5);
  h.Observe(3);
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{op=\"append\",le=\"0.005\"} 1\n"
            "lat_seconds_bucket{op=\"append\",le=\"1\"} 3\n"
            "lat_seconds_bucket{op=\"append\",le=\"2.5\"} 3\n"
            "lat_seconds_bucket{op=\"append\",le=\"+Inf\"} 4\n"
            "lat_seconds_sum{op=\"append\"} 4.00390625\n"
            "lat_seconds_count{op=\"append\"} 4\n");
}

TEST(MetricsRegistry, RendersAnUnlabelledHistogramWithOnlyLe) {
  MetricsRegistry r;
  r.GetHistogram("h", "H.", {1});
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP h H.\n# TYPE h histogram\n"
            "h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n");
}

TEST(MetricsRegistry, RendersSpecialGaugeValues) {
  MetricsRegistry r;
  r.GetGauge("g", "G.", {{"v", "nan"}}).Set(std::nan(""));
  r.GetGauge("g", "G.", {{"v", "pinf"}}).Set(std::numeric_limits<double>::infinity());
  r.GetGauge("g", "G.", {{"v", "ninf"}}).Set(-std::numeric_limits<double>::infinity());
  r.GetGauge("g", "G.", {{"v", "neg"}}).Set(-42);
  r.GetGauge("g", "G.", {{"v", "tiny"}}).Set(0.00005);
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP g G.\n# TYPE g gauge\n"
            "g{v=\"nan\"} NaN\n"
            "g{v=\"neg\"} -42\n"
            "g{v=\"ninf\"} -Inf\n"
            "g{v=\"pinf\"} +Inf\n"
            "g{v=\"tiny\"} 5e-05\n");
}

TEST(MetricsRegistry, RunsCollectHooksBeforeRenderingAndTheyMayRegisterMetrics) {
  MetricsRegistry r;
  int runs = 0;
  uint64_t id = r.AddCollectHook([&] {
    ++runs;
    r.GetGauge("lag", "Lag.").Set(runs * 10);
  });
  EXPECT_EQ(r.RenderPrometheus(), "# HELP lag Lag.\n# TYPE lag gauge\nlag 10\n");
  EXPECT_EQ(r.RenderPrometheus(), "# HELP lag Lag.\n# TYPE lag gauge\nlag 20\n");
  r.RemoveCollectHook(id);
  r.RenderPrometheus();
  EXPECT_EQ(runs, 2);
}

TEST(MetricsRegistry, RendersConsistentlyWhileOtherThreadsUpdate) {
  MetricsRegistry r;
  Counter& c = r.GetCounter("c_total", "C.");
  std::thread writer([&] {
    for (int i = 0; i < 50'000; ++i) {
      c.Increment();
      r.GetGauge("g", "G.", {{"n", std::to_string(i % 10)}}).Set(i);
    }
  });
  for (int i = 0; i < 50; ++i)
    EXPECT_NE(r.RenderPrometheus().find("# TYPE c_total"), std::string::npos);
  writer.join();
  EXPECT_EQ(c.Value(), 50'000u);
}

using MetricsRegistryDeathTest = ::testing::Test;

TEST_F(MetricsRegistryDeathTest, AbortsWhenANameIsUsedForTwoKinds) {
  MetricsRegistry r;
  r.GetCounter("clash", "Clash.");
  EXPECT_DEATH(r.GetGauge("clash", "Clash."),
               "metric clash: registered as a counter, requested as a gauge");
}

TEST_F(MetricsRegistryDeathTest, AbortsOnTwoHelpTexts) {
  MetricsRegistry r;
  r.GetCounter("x", "One.");
  EXPECT_DEATH(r.GetCounter("x", "Two."), "metric x: registered with two help texts");
}

TEST_F(MetricsRegistryDeathTest, AbortsOnTwoBucketLayouts) {
  MetricsRegistry r;
  r.GetHistogram("h", "H.", {1, 2}, {{"a", "1"}});
  EXPECT_DEATH(r.GetHistogram("h", "H.", {1, 3}, {{"a", "2"}}), "two bucket layouts");
}

TEST_F(MetricsRegistryDeathTest, AbortsOnInvalidNames) {
  MetricsRegistry r;
  EXPECT_DEATH(r.GetCounter("9lives", "X."), "invalid metric name");
  EXPECT_DEATH(r.GetCounter("has-dash", "X."), "invalid metric name");
  EXPECT_DEATH(r.GetCounter("ok", "X.", {{"bad-label", "v"}}), "invalid label");
  EXPECT_DEATH(r.GetCounter("ok", "X.", {{"__reserved", "v"}}), "invalid label");
  EXPECT_DEATH(r.GetCounter("ok", "X.", {{"a", "1"}, {"a", "2"}}), "duplicate label a");
  EXPECT_DEATH(r.GetHistogram("h", "H.", {1}, {{"le", "1"}}), "label named le");
}

}  // namespace
}  // namespace eventlake
