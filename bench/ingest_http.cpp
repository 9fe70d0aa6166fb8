// ingest_http: a closed-loop load generator for the HTTP gateway (issue 3,
// "bench/ingest_http"). It starts no server: point it at a running one
// (scripts/bench-ingest-http starts one and runs the standard cases).
//
//   ingest_http --url http://127.0.0.1:PORT --source NAME --mode single|batch
//               [--batch-size 100] [--connections 64] [--threads 2]
//               [--duration 10s] [--warmup 2s] [--gzip] [--payload-bytes 200]
//               [--api-key KEY]
//   ingest_http --print-schema
//
// N keep-alive connections, spread over --threads epoll loops, each keep one
// request in flight (ingest_http_client.h says what counts as durable and
// what as an error). Single mode sends one structured CloudEvent per request
// (application/cloudevents+json), batch mode --batch-size events per request
// (application/cloudevents-batch+json); every event id is unique in the run.
// After the warm-up, figures are taken for --duration and printed as one JSON
// line on stdout:
//   {"mode","connections","batch_size","events_per_s","requests_per_s",
//    "p50_ms","p99_ms","p999_ms","errors":{...},"duration_s", ...}
// Latencies are those of the counted requests, from a log-linear histogram.
// The first body of each kind of error goes to stderr. --print-schema prints
// the JSON Schema that the events' data satisfies, for the server's config. Exit status: 0, or 1
// when the run failed (unreachable server, unparseable answers, or not one
// durable event counted), 2 for bad flags.
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ingest_http_client.h"

namespace {

using eventlake::bench::ClientOptions;
using eventlake::bench::ClientStats;
using eventlake::bench::MonotonicNanos;

struct Flags {
  std::string url;
  std::string host;  // from --url
  std::string port;  // from --url
  std::string source;
  bool batch = false;
  int batch_size = 100;
  int connections = 64;
  int threads = 2;
  double duration_s = 10;
  double warmup_s = 2;
  bool gzip = false;
  int payload_bytes = 200;
  std::string api_key;
};

constexpr const char* kUsage =
    "usage: ingest_http --url http://HOST:PORT --source NAME --mode single|batch\n"
    "                   [--batch-size 100] [--connections 64] [--threads 2]\n"
    "                   [--duration 10s] [--warmup 2s] [--gzip] [--payload-bytes 200]\n"
    "                   [--api-key KEY]\n"
    "       ingest_http --print-schema\n";

[[noreturn]] void Usage(const std::string& what) {
  std::fprintf(stderr, "ingest_http: %s\n%s", what.c_str(), kUsage);
  std::exit(2);
}

// "10s", "500ms", "2m" or a bare number of seconds.
double ParseSeconds(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  std::string unit = end;
  double scale = unit.empty() || unit == "s" ? 1 : unit == "ms" ? 1e-3 : unit == "m" ? 60 : -1;
  if (end == text.c_str() || scale < 0 || v < 0) Usage("bad duration for " + flag + ": " + text);
  return v * scale;
}

int ParsePositive(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (*end != '\0' || v <= 0 || v > 1'000'000) Usage("bad number for " + flag + ": " + text);
  return static_cast<int>(v);
}

// http://HOST:PORT with an optional trailing '/'; nothing else is needed.
void ParseUrl(Flags* f) {
  constexpr std::string_view kScheme = "http://";
  std::string_view rest(f->url);
  if (!rest.starts_with(kScheme)) Usage("--url must start with http:// (no TLS)");
  rest.remove_prefix(kScheme.size());
  if (rest.ends_with('/')) rest.remove_suffix(1);
  size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || rest.find('/') != std::string_view::npos) {
    Usage("--url must be http://HOST:PORT");
  }
  f->host = rest.substr(0, colon);
  f->port = rest.substr(colon + 1);
}

void ParseFlag(Flags* f, const std::string& flag, const std::string& value) {
  if (flag == "--url") {
    f->url = value;
  } else if (flag == "--source") {
    f->source = value;
  } else if (flag == "--mode") {
    if (value != "single" && value != "batch") Usage("--mode is single or batch");
    f->batch = value == "batch";
  } else if (flag == "--batch-size") {
    f->batch_size = ParsePositive(flag, value);
  } else if (flag == "--connections") {
    f->connections = ParsePositive(flag, value);
  } else if (flag == "--threads") {
    f->threads = ParsePositive(flag, value);
    if (f->threads > 999) Usage("--threads is at most 999 (3 digits of every event id)");
  } else if (flag == "--duration") {
    f->duration_s = ParseSeconds(flag, value);
  } else if (flag == "--warmup") {
    f->warmup_s = ParseSeconds(flag, value);
  } else if (flag == "--payload-bytes") {
    f->payload_bytes = ParsePositive(flag, value);
  } else if (flag == "--api-key") {
    f->api_key = value;
  } else {
    Usage("unknown flag " + flag);
  }
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") Usage("a load generator for the HTTP gateway");
    if (flag == "--print-schema") {
      std::printf("%s\n", eventlake::bench::DataSchemaJson().c_str());
      std::exit(0);
    }
    if (flag == "--gzip") {
      f.gzip = true;
      continue;
    }
    if (i + 1 >= argc) Usage(flag + " needs a value");
    ParseFlag(&f, flag, argv[++i]);
  }
  if (f.url.empty() || f.source.empty()) Usage("--url and --source are required");
  if (f.duration_s <= 0) Usage("--duration must be positive");
  ParseUrl(&f);
  if (!f.batch) f.batch_size = 1;
  f.threads = std::min(f.threads, f.connections);
  return f;
}

sockaddr_in Resolve(const Flags& f) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(f.host.c_str(), f.port.c_str(), &hints, &found);
  if (rc != 0) Usage("cannot resolve " + f.url + ": " + gai_strerror(rc));
  sockaddr_in address = *reinterpret_cast<sockaddr_in*>(found->ai_addr);
  freeaddrinfo(found);
  return address;
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Returns early when a thread aborts the run.
void SleepUntil(int64_t nanos, const std::atomic<bool>& abort) {
  for (int64_t left = nanos - MonotonicNanos(); left > 0 && !abort.load();
       left = nanos - MonotonicNanos()) {
    std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<int64_t>(left, 50'000'000)));
  }
}

std::string ErrorsJson(const ClientStats& stats) {
  std::string out = "{";
  for (const auto& [key, n] : stats.errors) {
    if (out.size() > 1) out += ",";
    out += "\"" + key + "\":" + std::to_string(n);
  }
  return out + "}";
}

void PrintResult(const Flags& f, const ClientStats& s, double seconds, double cpu_cores) {
  auto ms = [&](double q) { return s.latency.Quantile(q) / 1e6; };
  std::printf(
      "{\"mode\":\"%s\",\"connections\":%d,\"batch_size\":%d,\"events_per_s\":%.0f,"
      "\"requests_per_s\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,"
      "\"errors\":%s,\"duration_s\":%.3f,\"events\":%llu,\"requests\":%llu,\"threads\":%d,"
      "\"gzip\":%s,\"payload_bytes\":%d,\"client_cpu_cores\":%.2f}\n",
      f.batch ? "batch" : "single", f.connections, f.batch_size,
      static_cast<double>(s.events) / seconds, static_cast<double>(s.requests) / seconds, ms(0.5),
      ms(0.99), ms(0.999), ErrorsJson(s).c_str(), seconds,
      static_cast<unsigned long long>(s.events), static_cast<unsigned long long>(s.requests),
      f.threads, f.gzip ? "true" : "false", f.payload_bytes, cpu_cores);
  std::fflush(stdout);
  for (const auto& [key, body] : s.first_error_body) {
    std::fprintf(stderr, "ingest_http: first %s answer: %s\n", key.c_str(), body.c_str());
  }
}

// Runs the client threads from now to `until` (measuring from `from`); sets
// *cpu_cores to this process's CPU use during the measured window.
ClientStats RunThreads(const Flags& f, const eventlake::bench::RequestSpec& spec, int64_t from,
                       int64_t until, double* cpu_cores) {
  uint32_t run = std::random_device{}();
  std::atomic<bool> abort{false};
  std::vector<ClientStats> stats(static_cast<size_t>(f.threads));
  std::vector<std::thread> threads;
  sockaddr_in address = Resolve(f);
  for (int t = 0; t < f.threads; ++t) {
    ClientOptions options{
        .address = address,
        .request = spec,
        .connections = f.connections / f.threads + (t < f.connections % f.threads),
        .thread_index = t,
        .run = run,
        .measure_from_ns = from,
        .measure_until_ns = until};
    threads.emplace_back([options, &abort, &stats, t] {
      stats[static_cast<size_t>(t)] = RunClientThread(options, &abort);
    });
  }
  SleepUntil(from, abort);
  double cpu_from = CpuSeconds();
  SleepUntil(until, abort);
  *cpu_cores = (CpuSeconds() - cpu_from) / f.duration_s;
  for (std::thread& t : threads) t.join();
  ClientStats total;
  for (const ClientStats& s : stats) total.Merge(s);
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f = ParseFlags(argc, argv);
  eventlake::bench::RequestSpec spec{.host = f.host + ":" + f.port,
                                     .path = "/v1/sources/" + f.source + "/events",
                                     .batch = f.batch,
                                     .batch_size = f.batch_size,
                                     .payload_bytes = f.payload_bytes,
                                     .gzip = f.gzip,
                                     .api_key = f.api_key};
  int64_t from = MonotonicNanos() + static_cast<int64_t>(f.warmup_s * 1e9);
  int64_t until = from + static_cast<int64_t>(f.duration_s * 1e9);
  double cpu_cores = 0;
  ClientStats total = RunThreads(f, spec, from, until, &cpu_cores);
  if (!total.fatal.empty()) {
    std::fprintf(stderr, "ingest_http: %s\n", total.fatal.c_str());
    return 1;
  }
  PrintResult(f, total, f.duration_s, cpu_cores);
  if (total.events == 0) {
    std::fprintf(stderr, "ingest_http: not one durable event was counted\n");
    return 1;
  }
  return 0;
}
