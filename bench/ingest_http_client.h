// One load-generator thread of bench/ingest_http: a closed loop over N
// keep-alive connections on one epoll instance. Each connection has exactly
// one request in flight (no pipelining) and sends the next as soon as the
// answer to the last has been read. Plain POSIX sockets, edge-triggered epoll,
// no allocation per request once the buffers have grown.
//
// What counts: a 200 whose body names as many accepted events ("offset":
// occurrences) as the request carried, completed inside the measuring window
// [measure_from_ns, measure_until_ns). Its events are durable events and its
// latency (first send to last byte of the answer) goes into the histogram.
// Anything else inside the window is counted under a key in `errors`: the
// status code ("429"), "200_short" (fewer events accepted than sent),
// "200_duplicate" (the server saw an id twice: a bug of this client),
// "connect" (a failed reconnect) or "connection_lost" (closed or reset with a
// request in flight). After a 429 or 503 the connection pauses 10 ms, and
// 100 ms after a failed connect, instead of spinning. A response this client
// cannot frame (chunked, no Content-Length, garbage) is fatal: the thread sets
// `fatal` and raises *abort so that every thread stops.
//
// Threads: RunClientThread runs on the calling thread and touches nothing
// shared but *abort.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "ingest_http_histogram.h"
#include "ingest_http_request.h"

namespace eventlake::bench {

struct ClientOptions {
  sockaddr_in address{};  // the server (IPv4)
  RequestSpec request;
  int connections = 1;  // this thread's share
  int thread_index = 0;
  uint32_t run = 0;  // the run's random number, part of every event id
  // CLOCK_MONOTONIC nanoseconds (MonotonicNanos).
  int64_t measure_from_ns = 0;
  int64_t measure_until_ns = 0;  // the thread returns at this time
};

struct ClientStats {
  uint64_t events = 0;       // durable events counted in the window
  uint64_t requests = 0;     // the requests that carried them
  uint64_t sent_events = 0;  // events sent over the whole run, warm-up included
  std::map<std::string, uint64_t> errors;
  std::map<std::string, std::string> first_error_body;  // per errors key, trimmed
  LatencyHistogram latency;                             // of the counted requests
  std::string fatal;  // why the run must stop; empty when it need not

  void Merge(const ClientStats& other);
};

int64_t MonotonicNanos();

ClientStats RunClientThread(const ClientOptions& options, std::atomic<bool>* abort);

}  // namespace eventlake::bench
