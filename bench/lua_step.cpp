// Events per second of the `lua` step on one thread: 10k events of ~200
// bytes of JSON data through a trivial function in record mode (identity,
// and one member set) and in batch mode; the median of 5 runs of CPU time
// of the measuring thread. Standalone (no Google Benchmark).
// Usage: bench_lua_step [events] [runs]
#include "pipeline/lua_step.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "thread_cpu_time.h"

namespace {

using eventlake::pipeline::BatchRecord;
using eventlake::pipeline::LuaMode;
using eventlake::pipeline::LuaStep;

std::vector<BatchRecord> MakeEvents(size_t n) {
  std::vector<BatchRecord> batch(n);
  char data[512];
  for (size_t i = 0; i < n; ++i) {
    snprintf(
        data, sizeof data,
        R"({"user_id":"u-%06zu","session":"s-%08zx","page":"/products/item-%zu","referrer":"https://example.com/)"
        R"(search?q=shoes","country":"de","price":%zu.99,"quantity":%zu,"tags":["sale","new"],"ok":true})",
        i, i * 2654435761u, i % 977, i % 300, i % 5);
    batch[i].event.id = "id-" + std::to_string(i);
    batch[i].event.source = "/web";
    batch[i].event.type = "click";
    batch[i].event.data_content_type = "application/json";
    batch[i].event.data = data;
  }
  return batch;
}

void Measure(const char* name, const std::string& code, LuaMode mode,
             const std::vector<BatchRecord>& events, int runs) {
  auto step = LuaStep::Create(
      {.code = code, .chunk_name = name, .mode = mode, .timeout = std::chrono::seconds(10)});
  if (!step.has_value()) {
    std::fprintf(stderr, "%s: %s\n", name, step.error().ToString().c_str());
    return;
  }
  std::vector<double> rates;
  for (int run = 0; run < runs; ++run) {
    const double start = eventlake::bench::ThreadCpuSeconds();
    auto result = (*step)->Run(events);
    const double seconds = eventlake::bench::ThreadCpuSeconds() - start;
    if (!result.status.ok() || !result.failed.empty() || result.out.size() != events.size()) {
      std::fprintf(stderr, "%s: the step failed\n", name);
      return;
    }
    rates.push_back(static_cast<double>(events.size()) / seconds);
  }
  std::sort(rates.begin(), rates.end());
  std::printf("%-28s %10.0f events/s (median of %d, min %.0f, max %.0f)\n", name,
              rates[rates.size() / 2], runs, rates.front(), rates.back());
}

}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::stoul(argv[1]) : 10'000;
  const int runs = argc > 2 ? std::stoi(argv[2]) : 5;
  const std::vector<BatchRecord> events = MakeEvents(n);
  std::printf("%zu events, %zu bytes of data each\n", n, events[0].event.data.size());
  Measure("record: return e", "function process(e) return e end", LuaMode::kRecord, events, runs);
  Measure("record: set a member", "function process(e) e.data.seen = true return e end",
          LuaMode::kRecord, events, runs);
  Measure("batch: set a member",
          "function process(es) for _, e in ipairs(es) do e.data.seen = true end return es end",
          LuaMode::kBatch, events, runs);
  Measure("record: match and gsub",
          "function process(e) e.data.host = e.data.referrer:match('^https?://([^/]+)') "
          "e.data.page = e.data.page:gsub('/', '.') return e end",
          LuaMode::kRecord, events, runs);
  Measure("record: 1000-step loop",
          "function process(e) local s = 0 for i = 1, 1000 do s = s + i % 7 end e.data.s = s "
          "return e end",
          LuaMode::kRecord, events, runs);
  return 0;
}
