// lake_write: JSON events from the log to committed Parquet, the path the
// loader runs (issue 4, "bench/lake_write"). It fills a stream with N
// clickstream-like events (8 data members, about 300 bytes each), then
// measures, each over the whole stream:
//   read    the log read and event decode alone
//   encode  + the events as row cells (EventRowEncoder)
//   load    + the TableWriter (DuckDB appenders, zstd Parquet, the Delta
//           commit): Loader rounds until every record is committed
//   flush   the part of load that writes Parquet and commits (its last round)
//   compact the same rows committed as `files` small files (20), compacted into one
//           file per partition (CompactTable) by concatenating their row
//           groups, the default
//   compact_rewrite  the same, rewriting the rows through DuckDB instead
//   query   a GROUP BY over the concatenated files, over the rewritten ones
//           and over one file that holds the same rows (written by one
//           COPY), median of 5 each: query_s_compacted / query_s_one_file
//           is the ratio to watch
// and prints, per phase, rows/s of wall time and rows per CPU-second of the
// whole process (user + system: DuckDB's own threads count), the figure to
// compare with "per core".
//
//   bench_lake_write [events] [dir] [phases] [files]
//       defaults: 1000000, build/bench-data/lake_write, read,encode,load,compact, 20
//
// One JSON line per phase on stdout; scripts/run-benchmarks records them.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "engine/database.h"
#include "lake/compaction.h"
#include "lake/event_row.h"
#include "lake/loader.h"
#include "lake/local_object_store.h"
#include "log/log.h"

namespace {

using namespace eventlake;  // NOLINT: a benchmark's main file

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec * 1e-6 + usage.ru_stime.tv_sec +
         usage.ru_stime.tv_usec * 1e-6;
}

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Fill(log::Stream& stream, size_t n) {
  const int64_t now = SystemClock().NowMicros();
  std::vector<CloudEvent> batch;
  char data[512];
  for (size_t i = 0; i < n; ++i) {
    CloudEvent e;
    e.id = "click-" + std::to_string(i);
    e.source = "/web/frontend";
    e.type = "page.viewed";
    e.time = now - static_cast<int64_t>((n - i) * 1000);
    e.data_content_type = "application/json";
    std::snprintf(data, sizeof data,
                  R"({"user":"user-%zu","session":"s-%zu","page":"/products/%zu","referrer":)"
                  R"("https://search.example/?q=item%zu","country":"%s","price":%zu.%02zu,)"
                  R"("items":%zu,"logged_in":%s})",
                  i % 50000, i / 20, i % 997, i % 31, (i % 3) ? "DE" : "FR", i % 500, i % 100,
                  i % 9, (i % 2) ? "true" : "false");
    e.data = data;
    batch.push_back(std::move(e));
    if (batch.size() == 1000 || i + 1 == n) {
      for (const auto& r : stream.AppendAndWait(batch)) {
        if (!r.has_value()) {
          std::fprintf(stderr, "append: %s\n", r.error().ToString().c_str());
          std::exit(1);
        }
      }
      batch.clear();
    }
  }
}

void Report(const char* phase, size_t rows, double wall, double cpu) {
  std::printf(
      "{\"phase\":\"%s\",\"rows\":%zu,\"wall_s\":%.3f,\"cpu_s\":%.3f,"
      "\"rows_per_s\":%.0f,\"rows_per_cpu_s\":%.0f}\n",
      phase, rows, wall, cpu, rows / wall, rows / cpu);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::stoul(argv[1]) : 1'000'000;
  const std::string dir = argc > 2 && argv[2][0] != '\0' ? std::string(argv[2])
                                                          : EVENTLAKE_BENCH_DEFAULT_DIR "/lake_write";
  const std::string phases = argc > 3 ? argv[3] : "read,encode,load,compact";
  const size_t small_files = argc > 4 ? std::stoul(argv[4]) : 20;
  auto wanted = [&](const char* phase) { return phases.find(phase) != std::string::npos; };
  std::filesystem::remove_all(dir);
  auto opened = log::Log::Open({dir + "/log"});
  if (!opened) return std::fprintf(stderr, "%s\n", opened.error().ToString().c_str()), 1;
  auto log = std::move(*opened);
  auto stream = log->CreateStream({.name = "events", .partitions = 2,
                                   .durability = log::Durability::kNone});
  if (!stream) return std::fprintf(stderr, "%s\n", stream.error().ToString().c_str()), 1;
  Fill(**stream, n);

  if (wanted("read")) {  // the log alone
    const double w0 = WallSeconds(), c0 = ProcessCpuSeconds();
    size_t rows = 0;
    for (uint32_t p = 0; p < (*stream)->partition_count(); ++p) {
      for (uint64_t at = 0;;) {
        auto records = (*stream)->partition(p).Read(at, {.max_records = 10'000, .max_bytes = 64 << 20});
        if (!records || records->empty()) break;
        rows += records->size();
        at = records->back().offset + 1;
      }
    }
    Report("read", rows, WallSeconds() - w0, ProcessCpuSeconds() - c0);
  }
  if (wanted("encode")) {  // read + rows
    const double w0 = WallSeconds(), c0 = ProcessCpuSeconds();
    lake::EventRowEncoder encoder;
    size_t rows = 0, cells = 0;
    for (uint32_t p = 0; p < (*stream)->partition_count(); ++p) {
      for (uint64_t at = 0;;) {
        auto records = (*stream)->partition(p).Read(at, {.max_records = 10'000, .max_bytes = 64 << 20});
        if (!records || records->empty()) break;
        for (const auto& r : *records) {
          auto row = encoder.Encode(r.event, r.append_time);
          if (row) cells += row->size();
        }
        rows += records->size();
        at = records->back().offset + 1;
      }
    }
    if (cells == 0) return 1;
    Report("encode", rows, WallSeconds() - w0, ProcessCpuSeconds() - c0);
  }
  if (wanted("load")) {  // read + rows + Parquet + commits, as the server's loader
    auto store = lake::LocalObjectStore::Open(dir + "/lake");
    auto db = engine::Database::Open({.threads = 2, .memory_limit = "2GB"});
    if (!store || !db) return 1;
    auto writer = lake::TableWriter::Open(store->get(), db->get(),
                                          {.name = "curated.clicks",
                                           .partition_by = {"day(time)"},
                                           .initial_columns = lake::EventAttributeColumns(),
                                           .max_rows = n + 1,  // one flush, at the end
                                           .max_bytes = 512ull << 20,
                                           .max_age = std::chrono::hours(1)},
                                          &SystemClock());
    if (!writer) return std::fprintf(stderr, "%s\n", writer.error().ToString().c_str()), 1;
    auto loader = lake::Loader::Create({.name = "bench", .stream = *stream,
                                        .writer = writer->get()});
    if (!loader) return 1;
    const double w0 = WallSeconds(), c0 = ProcessCpuSeconds();
    size_t rows = 0;
    while (true) {
      auto read = (*loader)->RunOnce(false);
      if (!read) return std::fprintf(stderr, "%s\n", read.error().ToString().c_str()), 1;
      if (*read == 0) break;
      rows += *read;
    }
    const double w1 = WallSeconds(), c1 = ProcessCpuSeconds();
    auto last = (*loader)->RunOnce(true);
    if (!last) return 1;
    // The writer flushes at 1,000,000 rows or here: the flush alone (Parquet
    // and commit) is the last round's time.
    Report("flush", rows, WallSeconds() - w1, ProcessCpuSeconds() - c1);
    Report("load", rows, WallSeconds() - w0, ProcessCpuSeconds() - c0);
    const auto snapshot = (*writer)->snapshot();
    std::fprintf(stderr, "table: version %lld, %zu files, %llu rows, %llu bytes\n",
                 static_cast<long long>(snapshot->version), snapshot->files.size(),
                 static_cast<unsigned long long>(snapshot->RowCount()),
                 static_cast<unsigned long long>(snapshot->SizeBytes()));
    if (snapshot->RowCount() != n) return std::fprintf(stderr, "rows lost\n"), 1;
  }
  if (wanted("compact")) {  // small files, then one compaction, each way
    auto db = engine::Database::Open({.threads = 2, .memory_limit = "2GB"});
    if (!db) return 1;
    // The stream loaded as `small_files` files into the table at `root`, then
    // compacted with `options`; the compacted table's files as a DuckDB list.
    auto compact = [&](const char* phase, const std::string& root,
                       const lake::CompactionOptions& options) -> std::optional<std::string> {
      auto store = lake::LocalObjectStore::Open(root);
      if (!store) return std::nullopt;
      auto writer = lake::TableWriter::Open(store->get(), db->get(),
                                            {.name = "curated.clicks",
                                             .partition_by = {"day(time)"},
                                             .initial_columns = lake::EventAttributeColumns(),
                                             .max_rows = n / small_files,
                                             .max_age = std::chrono::hours(1)},
                                            &SystemClock());
      if (!writer) return std::nullopt;
      auto loader = lake::Loader::Create(
          {.name = phase, .stream = *stream, .writer = writer->get(), .max_poll_records = 1000});
      if (!loader) return std::nullopt;
      while (true) {
        auto read = (*loader)->RunOnce(false);
        if (!read) return std::nullopt;
        if (*read == 0) break;
      }
      if (!(*loader)->RunOnce(true)) return std::nullopt;
      const size_t files = (*writer)->snapshot()->files.size();
      const double w0 = WallSeconds(), c0 = ProcessCpuSeconds();
      auto result =
          lake::CompactTable(store->get(), db->get(), "curated.clicks", options, &SystemClock());
      if (!result) {
        std::fprintf(stderr, "%s\n", result.error().ToString().c_str());
        return std::nullopt;
      }
      Report(phase, result->rows, WallSeconds() - w0, ProcessCpuSeconds() - c0);
      std::fprintf(stderr, "%s: %zu files -> %zu (%zu concatenated), %llu rows\n", phase, files,
                   result->files_added, result->files_concatenated,
                   static_cast<unsigned long long>(result->rows));
      lake::DeltaLog log(store->get(), "curated/clicks", db->get());
      auto compacted = log.Load();
      if (!compacted) return std::nullopt;
      std::string list;
      for (const auto& [path, add] : (*compacted)->files) {
        list += (list.empty() ? "'" : ", '") + root + "/curated/clicks/" + path + "'";
      }
      return "[" + list + "]";
    };
    const auto concatenated = compact("compact", dir + "/lake-compact",
                                      {.target_file_bytes = 1ull << 30, .min_files = 2});
    const auto rewritten = compact("compact_rewrite", dir + "/lake-rewrite",
                                   {.target_file_bytes = 1ull << 30,
                                    .min_files = 2,
                                    .concatenate_min_rows_per_row_group = UINT64_MAX});
    if (!concatenated || !rewritten) return 1;

    // The same rows as one file, then the query over each.
    auto connection = (*db)->Connect();
    if (!connection) return 1;
    const std::string one_file = dir + "/one.parquet";
    if (!(*connection)
             ->Execute("COPY (SELECT * FROM read_parquet(" + *concatenated + ")) TO '" + one_file +
                       "' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)")
             .ok()) {
      return 1;
    }
    const std::string query =
        "SELECT country, count(*), sum(price), avg(items), count(DISTINCT user) FROM read_parquet(";
    auto median_seconds = [&](const std::string& files) {
      std::vector<double> times;
      for (int i = 0; i < 5; ++i) {
        const double t0 = WallSeconds();
        if (!(*connection)->Query(query + files + ") GROUP BY country").has_value()) return -1.0;
        times.push_back(WallSeconds() - t0);
      }
      std::sort(times.begin(), times.end());
      return times[2];
    };
    const double on_concatenated = median_seconds(*concatenated);
    const double on_rewritten = median_seconds(*rewritten);
    const double on_one = median_seconds("'" + one_file + "'");
    std::printf(
        "{\"phase\":\"query\",\"rows\":%zu,\"query_s_compacted\":%.4f,"
        "\"query_s_rewritten\":%.4f,\"query_s_one_file\":%.4f,\"ratio\":%.3f}\n",
        n, on_concatenated, on_rewritten, on_one, on_concatenated / on_one);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
