// bench_log_append: durable append throughput and latency of the event log
// (issue 2, "bench/log_append"), measured next to the raw fdatasync rate and
// sequential write bandwidth of the same disk so that results read as ratios
// to the hardware.
//
//   bench_log_append [--dir DIR] [--seconds N] [--threads 1,8,64] [--batches 1,100]
//                    [--api stream|partition] [--markdown-out FILE] [--json-out FILE]
//
// Every run appends 300-byte events (the encoded CloudEvent, the record's
// payload; 324 bytes framed on disk) to a fresh 1-partition stream with
// durability fsync, from N threads that each call AppendAndWait in a loop
// with one event or a batch. --dir defaults to a fresh folder under the build
// directory, not /tmp, which is often a tmpfs where fdatasync costs nothing;
// the bench names the file system it measured and warns on tmpfs. It removes
// what it wrote when it ends.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <latch>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/logging.h"
#include "core/metrics.h"
#include "log/event_codec.h"
#include "log/log.h"

#ifndef EVENTLAKE_BENCH_DEFAULT_DIR
#define EVENTLAKE_BENCH_DEFAULT_DIR "bench-data"
#endif

namespace {

using Clock = std::chrono::steady_clock;
using eventlake::CloudEvent;

constexpr size_t kEventBytes = 300;

struct Options {
  std::string dir;
  double seconds = 3;
  std::vector<int> threads{1, 8, 64};
  std::vector<int> batches{1, 100};
  bool partition_api = false;  // Partition::AppendAndWait instead of Stream's
  std::string markdown_out;
  std::string json_out;
};

struct Disk {
  std::string dir;
  std::string filesystem;
  // fdatasync with the CPU otherwise idle, before and after the log runs
  // (shared and virtual disks drift), and their mean.
  double fsyncs_per_sec_before = 0;
  double fsyncs_per_sec_after = 0;
  double fsyncs_per_sec = 0;
  // fdatasync while another thread spins: on virtual machines an idle vCPU
  // is slow to wake up for the completion, which can cap the idle rate far
  // below what the disk does. The better of the two is the goal ratio's base.
  double fsyncs_per_sec_busy = 0;
  double write_mb_per_sec = 0;
};

struct Run {
  int threads = 0;
  int batch = 0;
  uint64_t records = 0;
  double seconds = 0;
  double records_per_sec = 0;
  double mb_per_sec = 0;
  double fsyncs_per_sec = 0;
  double records_per_fsync = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double cpu_cores = 0;   // CPU seconds used per second of the run
  uint64_t rejected = 0;  // appends refused with a retryable status (and retried)
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "bench_log_append: %s\n", what.c_str());
  std::exit(1);
}

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<int> ParseList(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    int v = std::atoi(item.c_str());
    if (v <= 0) Die("bad list " + text);
    out.push_back(v);
  }
  return out;
}

Options ParseFlags(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || i + 1 >= argc) {
      Die("usage: bench_log_append [--dir DIR] [--seconds N] [--threads 1,8,64] "
          "[--batches 1,100] [--api stream|partition] [--markdown-out FILE] [--json-out FILE]");
    }
    std::string value = argv[++i];
    if (flag == "--dir") {
      o.dir = value;
    } else if (flag == "--seconds") {
      o.seconds = std::atof(value.c_str());
    } else if (flag == "--threads") {
      o.threads = ParseList(value);
    } else if (flag == "--batches") {
      o.batches = ParseList(value);
    } else if (flag == "--api") {
      if (value != "stream" && value != "partition") Die("--api is stream or partition");
      o.partition_api = value == "partition";
    } else if (flag == "--markdown-out") {
      o.markdown_out = value;
    } else if (flag == "--json-out") {
      o.json_out = value;
    } else {
      Die("unknown flag " + flag);
    }
  }
  if (o.seconds <= 0) Die("--seconds must be positive");
  return o;
}

std::string FileSystemName(const std::string& dir) {
  struct statfs fs {};
  if (statfs(dir.c_str(), &fs) != 0) Die("statfs " + dir);
  switch (static_cast<unsigned long>(fs.f_type)) {
    case 0xEF53:
      return "ext4";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x01021994:
      return "tmpfs";
    case 0x794C7630:
      return "overlayfs";
    case 0x2FC12FC1:
      return "zfs";
    case 0x6969:
      return "nfs";
    default: {
      char hex[32];
      std::snprintf(hex, sizeof(hex), "0x%lx", static_cast<unsigned long>(fs.f_type));
      return hex;
    }
  }
}

// --- the raw disk ------------------------------------------------------------

// Appends 300 bytes and fdatasyncs, in a loop: what one durable append costs
// without the log. With `busy`, a second thread spins meanwhile.
double MeasureFsyncRate(const std::string& dir, double seconds, bool busy) {
  std::atomic<bool> stop{false};
  std::thread spinner;
  if (busy) {
    spinner = std::thread([&stop] {
      while (!stop.load(std::memory_order_relaxed)) {
      }
    });
  }
  std::string path = dir + "/raw-fsync.bin";
  int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) Die("open " + path);
  std::string block(kEventBytes, 'x');
  uint64_t syncs = 0;
  Clock::time_point start = Clock::now();
  while (Since(start) < seconds) {
    if (write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size())) Die("write");
    if (fdatasync(fd) != 0) Die("fdatasync");
    ++syncs;
  }
  double rate = static_cast<double>(syncs) / Since(start);
  stop = true;
  if (spinner.joinable()) spinner.join();
  close(fd);
  unlink(path.c_str());
  return rate;
}

// Writes 1 MiB blocks for up to 512 MiB or `seconds`, then one fdatasync.
double MeasureWriteBandwidth(const std::string& dir, double seconds) {
  std::string path = dir + "/raw-write.bin";
  int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) Die("open " + path);
  std::string block(1 << 20, 'x');
  uint64_t bytes = 0;
  Clock::time_point start = Clock::now();
  while (bytes < (512ull << 20) && Since(start) < seconds) {
    if (write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size())) Die("write");
    bytes += block.size();
  }
  if (fdatasync(fd) != 0) Die("fdatasync");
  double mb_per_sec = static_cast<double>(bytes) / 1e6 / Since(start);
  close(fd);
  unlink(path.c_str());
  return mb_per_sec;
}

// --- the log -------------------------------------------------------------------

// A batch of events whose encoding is exactly kEventBytes.
std::vector<CloudEvent> MakeBatch(int size) {
  std::vector<CloudEvent> batch;
  for (int i = 0; i < size; ++i) {
    CloudEvent event;
    event.id = "bench-" + std::to_string(1000000 + i);
    event.source = "/bench/log_append";
    event.type = "eventlake.bench";
    for (int pass = 0; pass < 3; ++pass) {  // the data length's varint may change size
      size_t overhead = eventlake::log::EncodedEventSize(event) - event.data.size();
      event.data.assign(kEventBytes - overhead, 'x');
    }
    if (eventlake::log::EncodedEventSize(event) != kEventBytes) Die("cannot size events");
    batch.push_back(std::move(event));
  }
  return batch;
}

uint64_t FsyncCount(const eventlake::MetricsRegistry& metrics) {
  std::istringstream in(metrics.RenderPrometheus());
  uint64_t total = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("eventlake_log_fsyncs_total{")) {
      total += std::stoull(line.substr(line.rfind(' ') + 1));
    }
  }
  return total;
}

double CpuSeconds() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  auto sec = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return sec(usage.ru_utime) + sec(usage.ru_stime);
}

// One durable append; false when refused with a retryable status.
bool AppendOnce(eventlake::log::Stream& stream, const std::vector<CloudEvent>& batch,
                bool partition_api) {
  if (partition_api) {
    eventlake::Result<uint64_t> r = stream.partition(0).AppendAndWait(batch);
    if (r.has_value()) return true;
    if (r.error().IsRetryable()) return false;
    Die("append: " + r.error().ToString());
  }
  for (const auto& r : stream.AppendAndWait(batch)) {
    if (r.has_value()) continue;
    if (r.error().IsRetryable()) return false;
    Die("append: " + r.error().ToString());
  }
  return true;
}

double Percentile(std::vector<float>& values, double q) {
  if (values.empty()) return 0;
  size_t k = std::min(values.size() - 1, static_cast<size_t>(q * values.size()));
  std::nth_element(values.begin(), values.begin() + k, values.end());
  return values[k];
}

// A fresh log in `dir` with one 1-partition stream, durability fsync.
std::unique_ptr<eventlake::log::Log> OpenBenchLog(const std::string& dir,
                                                  eventlake::MetricsRegistry* metrics,
                                                  eventlake::log::Stream** stream) {
  eventlake::log::LogOptions log_options;
  log_options.dir = dir;
  log_options.metrics = metrics;
  auto log = eventlake::log::Log::Open(log_options);
  if (!log.has_value()) Die("open log: " + log.error().ToString());
  eventlake::log::StreamOptions stream_options;
  stream_options.name = "bench";
  stream_options.durability = eventlake::log::Durability::kFsync;
  auto created = (*log)->CreateStream(stream_options);
  if (!created.has_value()) Die("create stream: " + created.error().ToString());
  *stream = *created;
  return std::move(*log);
}

// Runs `threads` appenders of `batch` events for options.seconds on a fresh log.
Run MeasureLog(const Options& options, const std::string& dir, int threads, int batch) {
  eventlake::MetricsRegistry metrics;
  eventlake::log::Stream* stream = nullptr;
  std::unique_ptr<eventlake::log::Log> log = OpenBenchLog(dir, &metrics, &stream);
  const std::vector<CloudEvent> events = MakeBatch(batch);
  std::vector<std::vector<float>> latencies(threads);  // milliseconds
  std::atomic<uint64_t> records{0}, rejected{0};
  std::latch ready(threads + 1);
  Clock::time_point deadline;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      ready.arrive_and_wait();
      while (Clock::now() < deadline) {
        Clock::time_point start = Clock::now();
        if (!AppendOnce(*stream, events, options.partition_api)) {
          ++rejected;  // backpressure: try again
          continue;
        }
        latencies[t].push_back(static_cast<float>(Since(start) * 1e3));
        records += batch;
      }
    });
  }
  uint64_t fsyncs_before = FsyncCount(metrics);
  double cpu_before = CpuSeconds();
  Clock::time_point start = Clock::now();
  deadline = start + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(options.seconds));
  ready.arrive_and_wait();
  for (std::thread& w : workers) w.join();

  Run run{.threads = threads, .batch = batch, .records = records, .seconds = Since(start)};
  uint64_t fsyncs = FsyncCount(metrics) - fsyncs_before;
  run.cpu_cores = (CpuSeconds() - cpu_before) / run.seconds;
  run.records_per_sec = static_cast<double>(run.records) / run.seconds;
  run.mb_per_sec = run.records_per_sec * kEventBytes / 1e6;
  run.fsyncs_per_sec = static_cast<double>(fsyncs) / run.seconds;
  run.records_per_fsync = fsyncs == 0 ? 0 : static_cast<double>(run.records) / fsyncs;
  run.rejected = rejected;
  std::vector<float> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  run.p50_ms = Percentile(all, 0.50);
  run.p99_ms = Percentile(all, 0.99);
  return run;
}

// --- reporting -------------------------------------------------------------------

std::string Fmt(const char* format, double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, v);
  return buffer;
}

// 1234567 -> "1,234,567".
std::string Thousands(double v) {
  std::string digits = std::to_string(static_cast<uint64_t>(v + 0.5));
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(i, ",");
  return digits;
}

const Run* FindRun(const std::vector<Run>& runs, int threads, int batch) {
  for (const Run& r : runs) {
    if (r.threads == threads && r.batch == batch) return &r;
  }
  return nullptr;
}

std::string Goals(const Disk& disk, const std::vector<Run>& runs) {
  std::string out;
  if (const Run* r = FindRun(runs, 64, 1)) {
    // The stricter base: the better of the two raw rates.
    double raw = std::max(disk.fsyncs_per_sec_busy, disk.fsyncs_per_sec);
    out += "- 64 single appenders: " + Thousands(r->records_per_sec) +
           " records/s = " + Fmt("%.1f", 100 * r->records_per_sec / (64 * raw)) +
           "% of 64 × the raw fdatasync rate (64 × " + Thousands(raw) +
           "/s = " + Thousands(64 * raw) + "/s) (goal ≥ 80%); " +
           Fmt("%.1f", r->records_per_fsync) + " records per fsync (64 at best)\n";
  }
  const Run* best = nullptr;
  for (const Run& r : runs) {
    if (r.batch == 100 && (best == nullptr || r.records_per_sec > best->records_per_sec)) best = &r;
  }
  if (best != nullptr) {
    out += "- batches of 100: " + Thousands(best->records_per_sec) + " records/s with " +
           std::to_string(best->threads) + " appenders (goal ≥ 1,000,000)\n";
  }
  return out;
}

std::string Markdown(const Options& options, const Disk& disk, const std::vector<Run>& runs) {
  std::string out = "Disk: " + disk.filesystem + ", raw fdatasync of 300-byte appends " +
                    Thousands(disk.fsyncs_per_sec) + "/s with the CPU otherwise idle (" +
                    Thousands(disk.fsyncs_per_sec_before) + " before the log runs, " +
                    Thousands(disk.fsyncs_per_sec_after) + " after), " +
                    Thousands(disk.fsyncs_per_sec_busy) +
                    "/s with another thread spinning; sequential write " +
                    Thousands(disk.write_mb_per_sec) + " MB/s. Log: 1 partition, durability " +
                    "fsync, 300-byte events, " + Fmt("%g", options.seconds) + " s per row, " +
                    (options.partition_api ? "Partition" : "Stream") + "::AppendAndWait.\n\n";
  out +=
      "| appenders | events per append | records/s | MB/s | fsyncs/s | records per fsync "
      "| p50 latency ms | p99 latency ms | CPU cores busy |\n";
  out += "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const Run& r : runs) {
    out += "| " + std::to_string(r.threads) + " | " + std::to_string(r.batch) + " | " +
           Thousands(r.records_per_sec) + " | " + Fmt("%.1f", r.mb_per_sec) + " | " +
           Thousands(r.fsyncs_per_sec) + " | " + Fmt("%.1f", r.records_per_fsync) + " | " +
           Fmt("%.3f", r.p50_ms) + " | " + Fmt("%.3f", r.p99_ms) + " | " +
           Fmt("%.2f", r.cpu_cores) + " |\n";
  }
  return out + "\n" + Goals(disk, runs);
}

std::string Json(const Disk& disk, const std::vector<Run>& runs) {
  std::string out =
      "{\"disk\": {\"dir\": \"" + disk.dir + "\", \"filesystem\": \"" + disk.filesystem +
      "\", \"fsyncs_per_sec\": " + Fmt("%.1f", disk.fsyncs_per_sec) +
      ", \"fsyncs_per_sec_before\": " + Fmt("%.1f", disk.fsyncs_per_sec_before) +
      ", \"fsyncs_per_sec_after\": " + Fmt("%.1f", disk.fsyncs_per_sec_after) +
      ", \"fsyncs_per_sec_busy\": " + Fmt("%.1f", disk.fsyncs_per_sec_busy) +
      ", \"write_mb_per_sec\": " + Fmt("%.1f", disk.write_mb_per_sec) + "},\n \"runs\": [";
  for (size_t i = 0; i < runs.size(); ++i) {
    const Run& r = runs[i];
    out += std::string(i ? ",\n  " : "\n  ") + "{\"threads\": " + std::to_string(r.threads) +
           ", \"batch\": " + std::to_string(r.batch) +
           ", \"records_per_sec\": " + Fmt("%.1f", r.records_per_sec) +
           ", \"mb_per_sec\": " + Fmt("%.2f", r.mb_per_sec) +
           ", \"fsyncs_per_sec\": " + Fmt("%.1f", r.fsyncs_per_sec) +
           ", \"records_per_fsync\": " + Fmt("%.2f", r.records_per_fsync) +
           ", \"p50_ms\": " + Fmt("%.4f", r.p50_ms) + ", \"p99_ms\": " + Fmt("%.4f", r.p99_ms) +
           ", \"cpu_cores\": " + Fmt("%.3f", r.cpu_cores) +
           ", \"rejected\": " + std::to_string(r.rejected) + "}";
  }
  return out + "\n]}\n";
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out.good()) Die("cannot write " + path);
}

// A fresh, empty directory to measure in (removed by main at the end).
std::string MakeWorkDir(const std::string& parent) {
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  std::string pattern = parent + "/log_append-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) Die("mkdtemp in " + parent);
  return pattern;
}

}  // namespace

int main(int argc, char** argv) {
  Options options = ParseFlags(argc, argv);
  eventlake::SetLogLevel(eventlake::LogLevel::kWarn);  // no "stream created" per run
  std::string work = MakeWorkDir(options.dir.empty() ? EVENTLAKE_BENCH_DEFAULT_DIR : options.dir);
  Disk disk{.dir = work, .filesystem = FileSystemName(work)};
  std::fprintf(stderr, "measuring in %s (%s)\n", work.c_str(), disk.filesystem.c_str());
  if (disk.filesystem == "tmpfs") {
    std::fprintf(stderr,
                 "WARNING: %s is on tmpfs: fdatasync is free there and the figures "
                 "say nothing about a disk; pass --dir on a real disk\n",
                 work.c_str());
  }
  disk.fsyncs_per_sec_before = MeasureFsyncRate(work, 2, /*busy=*/false);
  disk.fsyncs_per_sec_busy = MeasureFsyncRate(work, 2, /*busy=*/true);
  disk.write_mb_per_sec = MeasureWriteBandwidth(work, 3);
  std::vector<Run> runs;
  for (int batch : options.batches) {
    for (int threads : options.threads) {
      std::string dir = work + "/log-" + std::to_string(threads) + "x" + std::to_string(batch);
      runs.push_back(MeasureLog(options, dir, threads, batch));
      std::filesystem::remove_all(dir);
      std::fprintf(stderr, "  %d appenders x %d: %.0f records/s\n", threads, batch,
                   runs.back().records_per_sec);
    }
  }
  disk.fsyncs_per_sec_after = MeasureFsyncRate(work, 2, /*busy=*/false);
  disk.fsyncs_per_sec = (disk.fsyncs_per_sec_before + disk.fsyncs_per_sec_after) / 2;
  std::filesystem::remove_all(work);
  std::string markdown = Markdown(options, disk, runs);
  std::fputs(markdown.c_str(), stdout);
  if (!options.markdown_out.empty()) WriteText(options.markdown_out, markdown);
  if (!options.json_out.empty()) WriteText(options.json_out, Json(disk, runs));
  return 0;
}
