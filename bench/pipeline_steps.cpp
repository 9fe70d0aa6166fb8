// bench/pipeline, in process (issue 6): each built-in step kind alone, built
// by pipeline::BuildStep from its spec as a pipeline's config gives it, and
// the chain validate + lua + sql and a windowed sql step, over batches of N events of ~190 bytes of
// JSON data, each step under a BatchRunner as Pipeline::Process runs it.
// Per row: events/s of process CPU time (the bench has one thread and
// DuckDB runs on it: per core even on a busy machine), and the median wall
// time one batch spends in the step (the latency the step adds), each the
// median of R runs of B batches. Standalone (no Google Benchmark).
// Usage: bench_pipeline_steps [events per batch] [batches] [runs] [only]
// (only: the rows whose name is exactly this, e.g. "validate + lua + sql")
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/batch_runner.h"
#include "pipeline/step_factory.h"

namespace {

namespace fs = std::filesystem;
using eventlake::pipeline::BatchOutcome;
using eventlake::pipeline::BatchRecord;
using eventlake::pipeline::BatchRunner;
using eventlake::pipeline::StepContext;
using eventlake::pipeline::StepFunction;
using eventlake::pipeline::StepSpec;
using nlohmann::json;

constexpr size_t kUsers = 10'000;
// No waits: a failure the bench does not expect shows at once, in the figures' dead letters.
constexpr eventlake::pipeline::RetryPolicy kPolicy{.max_attempts = 1,
                                                   .base_backoff = std::chrono::milliseconds(0)};

double ProcessCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Batch b of n click events; ids and sessions are unique across batches
// (the dedup step keeps every event: its cost without drops).
std::vector<BatchRecord> MakeBatch(size_t b, size_t n) {
  std::vector<BatchRecord> batch(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t k = b * n + i;
    json data = {{"user_id", "u-" + std::to_string(k * 7919 % kUsers)},
                 {"session", "s-" + std::to_string(k)},
                 {"page", "/products/item-" + std::to_string(k % 977)},
                 {"referrer", "https://example.com/search?q=shoes"},
                 {"country", k % 3 == 0 ? "de" : "fr"},
                 {"price", static_cast<double>(k % 300) + 0.99},
                 {"quantity", static_cast<int>(k % 5)},
                 {"tags", {"sale", "new"}},
                 {"ok", true}};
    BatchRecord& r = batch[i];
    r.event.id = "id-" + std::to_string(k);
    r.event.source = "/web";
    r.event.type = "click";
    r.event.time = 1'795'000'000'000'000 + static_cast<int64_t>(k) * 1000;
    r.event.data_content_type = "application/json";
    r.event.data = data.dump();
    r.appended_micros = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();  // under the runner's max_record_age
    r.offset = k;
  }
  return batch;
}

std::string WriteUsers(const fs::path& dir) {
  const fs::path path = dir / "users.csv";
  std::ofstream out(path, std::ios::trunc);
  out << "user_id,name,segment\n";
  for (size_t i = 0; i < kUsers; ++i) out << "u-" << i << ",User " << i << ",s" << i % 7 << "\n";
  return path.string();
}

struct Kind {
  std::string name;
  std::vector<json> steps;  // one-key maps, as in eventlake.yaml
};

std::vector<Kind> Kinds(const std::string& users_csv) {
  const json schema = {{"type", "object"},
                       {"required", {"user_id", "price", "quantity"}},
                       {"properties",
                        {{"user_id", {{"type", "string"}, {"pattern", "^u-[0-9]+$"}}},
                         {"country", {{"type", "string"}, {"minLength", 2}, {"maxLength", 2}}},
                         {"price", {{"type", "number"}, {"minimum", 0}}},
                         {"quantity", {{"type", "integer"}}},
                         {"tags", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}};
  const json validate = {{"validate", {{"schema", schema}}}};
  const json lua = {{"lua",
                     {{"code",
                       "function process(e) e.data.seen = true e.data.total = e.data.price * "
                       "e.data.quantity return e end"}}}};
  const json sql = {
      {"sql",
       "SELECT * EXCLUDE (country, tags), upper(country) AS country, price * quantity AS "
       "amount FROM batch WHERE quantity > 0"}};
  return {
      {"validate", {validate}},
      {"filter", {{{"filter", "price > 10 AND country = 'de'"}}}},
      {"map",
       {{{"map",
          {{"rename", {{"referrer", "ref"}}},
           {"drop", {"tags"}},
           {"cast", {{"quantity", "double"}}}}}}}},
      {"mask", {{{"mask", {{"hash", {"user_id"}}, {"redact", {"session"}}}}}}},
      {"dedup", {{{"dedup", {{"key", {"data.session"}}, {"window", "10m"}}}}}},
      {"route",
       {{{"route",
          {{"rules", {{{"when", "country = 'de'"}, {"to", {"curated.eu"}}}}},
           {"otherwise", {"curated.other"}}}}}}},
      {"sql", {sql}},
      // What the sql step costs before its statement: the batch loaded, one column back.
      {"sql: SELECT id FROM batch", {{{"sql", "SELECT id FROM batch"}}}},
      {"lua", {lua}},
      {"enrich",
       {{{"enrich",
          {{"file", users_csv},
           {"key", "user_id"},
           {"on", "user_id"},
           {"fields", {"name", "segment"}},
           {"into", "user"}}}}}},
      // Events are 1 ms apart: a batch of 1,000 closes about one window.
      {"sql window (1s, per country)",
       {{{"sql",
          {{"sql",
            "SELECT window_start, country, count(*) AS clicks, sum(price * quantity) AS amount "
            "FROM batch GROUP BY ALL"},
           {"window", {{"size", "1s"}}}}}}}},
      {"validate + lua + sql", {validate, lua, sql}},
  };
}

struct Built {
  std::vector<std::string> names;
  std::vector<StepFunction> functions;
};

eventlake::Result<Built> Build(const Kind& kind, const fs::path& state_dir) {
  Built built;
  for (size_t i = 0; i < kind.steps.size(); ++i) {
    const auto entry = kind.steps[i].begin();  // `- <kind>: <spec>`
    const std::string name = entry.key();
    StepContext context;
    context.pipeline = "bench";
    context.state_dir = state_dir.string();
    context.step_index = i;
    // As if the group committed each batch at once: closed windows are let go.
    context.committed = [] { return eventlake::Result<std::vector<uint64_t>>(std::vector<uint64_t>{UINT64_MAX}); };
    const StepSpec step{
        .kind = name, .spec = entry.value(), .path = "bench.steps[" + std::to_string(i) + "]"};
    auto function = eventlake::pipeline::BuildStep(step, context);
    if (!function.has_value()) return eventlake::Err(function.error());
    built.names.push_back(name);
    built.functions.push_back(std::move(*function));
  }
  return built;
}

// One batch through the steps, as Pipeline::Process chains them: a step's
// output is the next step's batch. Returns the events out and dead letters.
std::pair<size_t, size_t> RunChain(const Built& built, std::vector<BatchRunner>& runners,
                                   std::vector<BatchRecord> current) {
  size_t dead = 0;
  for (size_t s = 0; s < built.functions.size(); ++s) {
    BatchOutcome outcome = runners[s].Run(built.names[s], std::move(current), built.functions[s]);
    dead += outcome.dead_letters.size();
    if (!outcome.dead_letters.empty() && dead == outcome.dead_letters.size()) {
      std::fprintf(stderr, "%s: %s\n", built.names[s].c_str(),
                   outcome.dead_letters.front().error.ToString().c_str());
    }
    current = std::move(outcome.out);
  }
  return {current.size(), dead};
}

struct Figures {
  double events_per_cpu_second = 0;
  double batch_ms = 0;  // median wall time of one batch
  size_t out = 0;       // events out of the last run
  size_t dead = 0;
};

Figures Measure(const Kind& kind, const std::vector<std::vector<BatchRecord>>& batches, int runs,
                const fs::path& dir) {
  std::vector<double> rates;
  std::vector<double> batch_ms;
  Figures figures;
  for (int run = 0; run < runs; ++run) {
    // A fresh build per run: the dedup step's claims would drop a rerun.
    const fs::path state = dir / ("state-" + std::to_string(run));
    fs::remove_all(state);
    auto built = Build(kind, state);
    if (!built.has_value()) {
      std::fprintf(stderr, "%s: %s\n", kind.name.c_str(), built.error().ToString().c_str());
      return figures;
    }
    std::vector<BatchRunner> runners;
    for (size_t s = 0; s < built->functions.size(); ++s) runners.emplace_back(kPolicy);
    figures.out = figures.dead = 0;
    double cpu = 0;
    size_t events = 0;
    for (const auto& batch : batches) {
      std::vector<BatchRecord> copy = batch;  // outside the timing: the pipeline moves its batch in
      const double cpu_start = ProcessCpuSeconds();
      const auto wall_start = std::chrono::steady_clock::now();
      const auto [out, dead] = RunChain(*built, runners, std::move(copy));
      batch_ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall_start)
              .count());
      cpu += ProcessCpuSeconds() - cpu_start;
      events += batch.size();
      figures.out += out;
      figures.dead += dead;
    }
    rates.push_back(static_cast<double>(events) / cpu);
  }
  figures.events_per_cpu_second = Median(rates);
  figures.batch_ms = Median(batch_ms);
  return figures;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::stoul(argv[1]) : 1000;
  const size_t batch_count = argc > 2 ? std::stoul(argv[2]) : 20;
  const int runs = argc > 3 ? std::stoi(argv[3]) : 5;
  const std::string only = argc > 4 ? argv[4] : "";
  // Per process: two benches at once must not remove each other's state.
  const fs::path dir = fs::temp_directory_path() / ("bench-pipeline-steps-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::vector<std::vector<BatchRecord>> batches;
  for (size_t b = 0; b < batch_count; ++b) batches.push_back(MakeBatch(b, n));
  std::printf("%zu batches of %zu events, %zu bytes of data each; median of %d runs\n\n",
              batch_count, n, batches[0][0].event.data.size(), runs);
  std::printf(
      "| step | events/s (CPU) | µs per event | ms per batch (wall, median) | out | dead letters "
      "|\n");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  for (const Kind& kind : Kinds(WriteUsers(dir))) {
    if (!only.empty() && kind.name != only) continue;
    const Figures f = Measure(kind, batches, runs, dir);
    if (f.events_per_cpu_second == 0) return 1;
    std::printf("| %s | %.0f | %.2f | %.2f | %zu | %zu |\n", kind.name.c_str(),
                f.events_per_cpu_second, 1e6 / f.events_per_cpu_second, f.batch_ms, f.out, f.dead);
  }
  fs::remove_all(dir);
  return 0;
}
