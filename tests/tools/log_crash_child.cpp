// The child process of the log crash test (tests/e2e/test_log_crash.py).
//
//   log_crash_child append DIR RUN_ID   appends to stream `crash` forever, from
//                                       4 threads, printing `ack <partition>
//                                       <offset> <id>` once each event is durable
//   log_crash_child dump DIR            opens the log (running recovery) and
//                                       prints `rec <partition> <offset> <id>
//                                       <ok|bad>` per record, then `end`
//
// The parent kills `append` with SIGKILL at random moments and checks with
// `dump` that every acknowledged event survived, intact and exactly once.
// An event's data is a function of its id alone, so `dump` can tell an
// intact record from a damaged one without knowing what was written.
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/cloud_event.h"
#include "log/log.h"

namespace {

using eventlake::CloudEvent;
using eventlake::Result;
using eventlake::log::Log;
using eventlake::log::LogOptions;
using eventlake::log::RecordPosition;
using eventlake::log::Stream;

constexpr const char* kStream = "crash";
constexpr const char* kSource = "/eventlake/tests/crash";
constexpr const char* kType = "eventlake.test.crash";
constexpr int kThreads = 4;

uint64_t Fnv1a(std::string_view text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

// The data of the event with this id: the id repeated to 50..400 bytes.
std::string ExpectedData(const std::string& id) {
  size_t length = 50 + Fnv1a(id) % 351;
  std::string data;
  data.reserve(length + id.size());
  while (data.size() < length) data += id;
  data.resize(length);
  return data;
}

CloudEvent MakeEvent(std::string id) {
  CloudEvent event;
  event.source = kSource;
  event.type = kType;
  event.data_content_type = "text/plain";
  event.data = ExpectedData(id);
  event.id = std::move(id);
  return event;
}

bool IsIntact(const CloudEvent& event) {
  return event.source == kSource && event.type == kType &&
         event.data_content_type == "text/plain" && event.data == ExpectedData(event.id);
}

// One write(2) per line, so that lines from several threads never interleave
// and a SIGKILL can only cut the output between lines (pipe writes of less
// than PIPE_BUF bytes are atomic).
void WriteLine(const std::string& line) {
  ssize_t n;
  do {
    n = write(STDOUT_FILENO, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(line.size())) _exit(3);  // the parent went away
}

Result<Stream*> EnsureCrashStream(Log& log) {
  eventlake::log::StreamOptions options;
  options.name = kStream;
  options.partitions = 2;
  options.durability = eventlake::log::Durability::kFsync;
  options.segment_max_bytes = 64 << 10;  // rolls happen while the test kills
  options.retention_age = std::chrono::milliseconds(0);
  return log.EnsureStream(options);
}

// Appends forever: singles half of the time, batches of 1..20 otherwise.
void AppendLoop(Stream* stream, const std::string& run, int thread) {
  std::mt19937_64 rng(Fnv1a(run + "/" + std::to_string(thread)));
  std::string prefix = run + "-" + std::to_string(thread) + "-";
  uint64_t seq = 0;
  std::vector<CloudEvent> batch;
  while (true) {
    size_t size = rng() % 2 == 0 ? 1 : 1 + rng() % 20;
    batch.clear();
    for (size_t i = 0; i < size; ++i) batch.push_back(MakeEvent(prefix + std::to_string(seq++)));
    std::vector<Result<RecordPosition>> results = stream->AppendAndWait(batch);
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i].has_value()) {
        WriteLine("ack " + std::to_string(results[i]->partition) + " " +
                  std::to_string(results[i]->offset) + " " + batch[i].id + "\n");
      } else if (results[i].error().IsRetryable()) {
        usleep(1000);  // backpressure: the id is dropped, never reused
      } else {
        std::fprintf(stderr, "append of %s failed: %s\n", batch[i].id.c_str(),
                     results[i].error().ToString().c_str());
        _exit(2);
      }
    }
  }
}

Result<std::unique_ptr<Log>> OpenLog(const std::string& dir) {
  LogOptions options;
  options.dir = dir;
  return Log::Open(std::move(options));
}

int RunAppend(const std::string& dir, const std::string& run) {
  Result<std::unique_ptr<Log>> log = OpenLog(dir);
  if (!log.has_value()) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), log.error().ToString().c_str());
    return 1;
  }
  Result<Stream*> stream = EnsureCrashStream(**log);
  if (!stream.has_value()) {
    std::fprintf(stderr, "stream: %s\n", stream.error().ToString().c_str());
    return 1;
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(AppendLoop, *stream, run, t);
  for (std::thread& t : threads) t.join();  // never: the parent kills us
  return 0;
}

// Prints every record of one partition into `out`; false on a read error.
bool DumpPartition(const eventlake::log::Partition& partition, uint32_t p, std::string* out) {
  uint64_t next = partition.StartOffset();
  uint64_t end = partition.EndOffset();
  eventlake::log::ReadLimits limits{.max_records = 10000, .max_bytes = 16ull << 20};
  while (next < end) {
    auto records = partition.Read(next, limits);
    if (!records.has_value() || records->empty()) {
      std::fprintf(stderr, "read partition %u from %llu: %s\n", p,
                   static_cast<unsigned long long>(next),
                   records.has_value() ? "no records before the end offset"
                                       : records.error().ToString().c_str());
      return false;
    }
    for (const eventlake::log::LogRecord& record : *records) {
      *out += "rec " + std::to_string(p) + " " + std::to_string(record.offset) + " " +
              record.event.id + (IsIntact(record.event) ? " ok\n" : " bad\n");
    }
    next = records->back().offset + 1;
  }
  return true;
}

int RunDump(const std::string& dir) {
  Result<std::unique_ptr<Log>> log = OpenLog(dir);
  if (!log.has_value()) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), log.error().ToString().c_str());
    return 1;
  }
  std::string out;
  Stream* stream = (*log)->FindStream(kStream);  // absent if killed before creating it
  for (uint32_t p = 0; stream != nullptr && p < stream->partition_count(); ++p) {
    if (!DumpPartition(stream->partition(p), p, &out)) return 1;
  }
  out += "end\n";
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
    std::perror("write");
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 3 && args[0] == "append") return RunAppend(args[1], args[2]);
  if (args.size() == 2 && args[0] == "dump") return RunDump(args[1]);
  std::fprintf(stderr, "usage: log_crash_child append DIR RUN_ID | dump DIR\n");
  return 2;
}
