// Claims per second of the ingest dedup window on one thread: unique events
// (Claim + Commit, the window filling up to max_entries and then evicting) and
// retried events (Claim answered as a duplicate), plus the key hash alone.
// Times are CPU time of the measuring thread. Standalone (no Google Benchmark); the background
// flush runs on its own thread as in the server. Usage: bench_dedup_window [events] [dir]
#include "ingest/dedup_window.h"

#include <stdlib.h>
#include <time.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "log/log.h"
#include "thread_cpu_time.h"

namespace {

using eventlake::ingest::DedupVerdict;
using eventlake::ingest::DedupWindow;

double CpuSeconds() { return eventlake::bench::ThreadCpuSeconds(); }

// CPU seconds used since `since` (a CpuSeconds() value).
double Seconds(double since) { return CpuSeconds() - since; }

// UUIDv7-shaped ids, made before timing starts.
std::vector<std::string> MakeIds(size_t n) {
  std::vector<std::string> ids;
  ids.reserve(n);
  char buffer[64];
  for (size_t i = 0; i < n; ++i) {
    snprintf(buffer, sizeof(buffer), "0193%04zx-4c5a-7%03zx-8a3f-%012zx", i >> 16, i & 0xfff,
             (i * 2654435761u) & 0xffffffffffffu);
    ids.emplace_back(buffer);
  }
  return ids;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::stoul(argv[1]) : 2'000'000;
  std::string dir = argc > 2 ? argv[2] : std::filesystem::temp_directory_path() / "bench-dedup";
  std::filesystem::remove_all(dir);
  auto log = eventlake::log::Log::Open({dir + "/log"});
  eventlake::log::StreamOptions stream_options;
  stream_options.name = "events";
  stream_options.durability = eventlake::log::Durability::kNone;
  auto stream = log.value()->CreateStream(stream_options);
  eventlake::ingest::DedupOptions options;
  options.dir = dir + "/state/dedup";
  options.stream = stream.value();
  auto window = DedupWindow::Open(options);
  if (!window.has_value()) return fprintf(stderr, "%s\n", window.error().ToString().c_str()), 1;
  DedupWindow& w = **window;
  const std::string w_path = w.journal_path();
  const std::string source = "/eventlake/sources/web";
  const std::vector<std::string> ids = MakeIds(n);

  double start = CpuSeconds();
  uint64_t sink = 0;
  for (const std::string& id : ids) sink += w.KeyFor(source, id).w0;
  printf("key hash:           %6.1f ns/event (%zu-byte input)\n", Seconds(start) * 1e9 / n,
         4 + source.size() + ids[0].size());

  start = CpuSeconds();
  for (size_t i = 0; i < n; ++i) {
    auto claim = w.Claim(source, ids[i]);
    if (claim.verdict == DedupVerdict::kNew) w.Commit(claim.key, {0, i});
  }
  double s = Seconds(start);
  printf("unique Claim+Commit: %5.2f M events/s (%.0f ns/event, %zu entries held)\n", n / s / 1e6,
         s * 1e9 / n, w.Stats().entries);

  {
    // The same through the batch calls of a request, 100 events at a time,
    // into a window of its own.
    eventlake::ingest::DedupOptions batched_options = options;
    batched_options.dir = dir + "/state/dedup-batched";
    auto batched = DedupWindow::Open(batched_options);
    if (!batched.has_value()) return fprintf(stderr, "%s\n", batched.error().ToString().c_str()), 1;
    constexpr size_t kBatch = 100;
    std::vector<eventlake::ingest::DedupKey> keys(kBatch);
    std::vector<eventlake::ingest::DedupClaim> claims(kBatch);
    std::vector<eventlake::Result<eventlake::log::RecordPosition>> stored(kBatch);
    start = CpuSeconds();
    for (size_t i = 0; i + kBatch <= n; i += kBatch) {
      for (size_t k = 0; k < kBatch; ++k) keys[k] = (*batched)->KeyFor(source, ids[i + k]);
      (*batched)->ClaimAll(keys, claims);
      for (size_t k = 0; k < kBatch; ++k) stored[k] = eventlake::log::RecordPosition{0, i + k};
      (*batched)->CommitOrAbortAll(keys, stored);
    }
    s = Seconds(start);
    printf("unique ClaimAll+CommitOrAbortAll, batches of %zu: %5.2f M events/s (%.0f ns/event)\n",
           kBatch, n / s / 1e6, s * 1e9 / n);
  }

  // The newest 90% of what is held: eviction is per shard, so the very oldest
  // held entries of one shard may be newer than evicted ones of another.
  const size_t held = w.Stats().entries * 9 / 10;
  start = CpuSeconds();
  size_t hits = 0;
  for (size_t round = 0; round < 2; ++round) {
    for (size_t i = n - held; i < n; ++i) {
      hits += w.Claim(source, ids[i]).verdict == DedupVerdict::kDuplicate;
    }
  }
  s = Seconds(start);
  printf("duplicate Claim:     %5.2f M events/s (%.0f ns/event, %zu hits)\n", 2 * held / s / 1e6,
         s * 1e9 / (2 * held), hits);

  start = CpuSeconds();
  if (!w.Compact().ok()) return 1;
  printf("compaction of %zu entries: %.0f ms\n", w.Stats().entries, Seconds(start) * 1e3);
  window->reset();
  start = CpuSeconds();
  window = DedupWindow::Open(options);
  printf("reopen (journal load): %.0f ms, %zu entries\n", Seconds(start) * 1e3,
         window.value()->Stats().entries);
  window->reset();

  // A lost journal: everything in the window is read back from the stream.
  std::vector<eventlake::CloudEvent> batch(1000);
  for (size_t i = 0; i < held; i += batch.size()) {
    for (size_t j = 0; j < batch.size(); ++j) {
      batch[j].id = ids[(i + j) % n];
      batch[j].source = source;
      batch[j].type = "bench.event";
      batch[j].data = R"({"page":"/index.html","user":12345})";
    }
    stream.value()->AppendAndWait(batch);
  }
  std::filesystem::remove(w_path);
  start = CpuSeconds();
  window = DedupWindow::Open(options);
  printf("reopen without journal (rebuild): %.0f ms, %zu entries\n", Seconds(start) * 1e3,
         window.value()->Stats().rebuilt);
  window->reset();
  std::filesystem::remove_all(dir);
  return sink == 42 ? 2 : 0;
}
