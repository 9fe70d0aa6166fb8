// The `enrich` step on one thread: how long a CSV lookup of N users takes
// to load, and events per second (CPU time of the measuring thread, the
// median of the runs) of 10k events of ~200 bytes joined with it — two
// fields at the top level, the same under `into`, and every event missing
// (kept as it came). Standalone (no Google Benchmark).
// Usage: bench_enrich_step [lookup rows] [runs]
#include "pipeline/enrich_step.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "thread_cpu_time.h"

namespace {

using eventlake::pipeline::BatchRecord;
using eventlake::pipeline::EnrichOptions;
using eventlake::pipeline::EnrichStep;

constexpr size_t kEvents = 10'000;

std::string WriteUsers(size_t rows) {
  const std::string path =
      (std::filesystem::temp_directory_path() / "bench-enrich-users.csv").string();
  std::ofstream out(path, std::ios::trunc);
  out << "user_id,name,country,tier,signup\n";
  for (size_t i = 0; i < rows; ++i) {
    out << "u-" << i << ",User number " << i << "," << (i % 2 == 0 ? "DE" : "FR") << "," << i % 5
        << ",2026-01-0" << 1 + i % 9 << "\n";
  }
  return path;
}

// Events whose user is `u-<i>` (i < users matches) or `nobody`.
std::vector<BatchRecord> Events(size_t users, bool matching) {
  std::vector<BatchRecord> batch(kEvents);
  for (size_t i = 0; i < kEvents; ++i) {
    const std::string user = matching ? "u-" + std::to_string(i * 7919 % users) : "nobody";
    batch[i].event.id = "id-" + std::to_string(i);
    batch[i].event.source = "/web";
    batch[i].event.type = "click";
    batch[i].event.data =
        R"({"user":{"id":")" + user + R"("},"session":"s-)" + std::to_string(i) +
        R"(","page":"/products/item-)" + std::to_string(i % 977) +
        R"(","referrer":"https://example.com/search?q=shoes","price":19.99,"quantity":2})";
  }
  return batch;
}

double MedianRate(EnrichStep& step, const std::vector<BatchRecord>& events, int runs) {
  std::vector<double> rates;
  for (int run = 0; run < runs; ++run) {
    const double start = eventlake::bench::ThreadCpuSeconds();
    auto result = step.Run(events);
    const double seconds = eventlake::bench::ThreadCpuSeconds() - start;
    if (result.out.size() != events.size()) return 0;
    rates.push_back(static_cast<double>(events.size()) / seconds);
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const size_t users = argc > 1 ? std::stoul(argv[1]) : 100'000;
  const int runs = argc > 2 ? std::stoi(argv[2]) : 5;
  EnrichOptions options;
  options.file = WriteUsers(users);
  options.columns.key = "user_id";
  options.on = "user.id";
  options.columns.fields = {"name", "country"};
  options.reload = std::chrono::hours(1);

  const auto start = std::chrono::steady_clock::now();
  auto top = EnrichStep::Create(options, {});
  const double load =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!top.has_value()) {
    std::fprintf(stderr, "%s\n", top.error().ToString().c_str());
    return 1;
  }
  std::printf("lookup of %zu rows loaded in %.3f s\n", (*top)->rows(), load);
  options.into = "user";
  auto into = EnrichStep::Create(options, {});
  if (!into.has_value()) return 1;

  const std::vector<BatchRecord> matching = Events(users, true);
  const std::vector<BatchRecord> missing = Events(users, false);
  std::printf("%zu events, %zu bytes of data each\n", kEvents, matching[0].event.data.size());
  std::printf("%-28s %10.0f events/s\n", "two fields, top level",
              MedianRate(**top, matching, runs));
  std::printf("%-28s %10.0f events/s\n", "two fields, into user",
              MedianRate(**into, matching, runs));
  std::printf("%-28s %10.0f events/s\n", "no row (kept)", MedianRate(**top, missing, runs));
  std::filesystem::remove(options.file);
  return 0;
}
