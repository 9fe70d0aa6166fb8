// The requests bench/ingest_http sends: built once per thread as a template
// whose event ids end in fixed-width decimal counters, then numbered in place
// before each send, so that every event of a run has its own id (the server's
// dedup window would otherwise swallow repeats) without formatting JSON on
// the hot path.
//
// An id reads "<run>-<thread>-<counter>": <run> is 8 hex digits chosen per
// run, <thread> 3 digits, <counter> 12 digits. The data of each event is a
// JSON object of about `payload_bytes` bytes with a string, an integer, a
// double, a boolean and an RFC 3339 time (DataSchemaJson describes it), padded
// with a string member.
//
// Thread safety: a RequestTemplate is immutable after BuildRequestTemplate; a
// GzipEncoder belongs to one thread.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace eventlake::bench {

struct RequestSpec {
  std::string host;    // the Host header: "127.0.0.1:8080"
  std::string path;    // "/v1/sources/bench/events"
  bool batch = false;  // application/cloudevents-batch+json instead of one structured event
  int batch_size = 1;  // events per request in batch mode
  int payload_bytes = 200;
  bool gzip = false;    // Content-Encoding: gzip (the body is compressed before each send)
  std::string api_key;  // sent as Authorization: Bearer when not empty
};

inline constexpr size_t kCounterDigits = 12;

struct RequestTemplate {
  std::string head;                // request line and headers, without Content-Length
  std::string body;                // the uncompressed body
  std::vector<size_t> counter_at;  // offset in `body` of each event id's counter digits
  int events = 0;                  // events per request
};

// `id_prefix` is "<run>-<thread>-" (RunIdPrefix).
RequestTemplate BuildRequestTemplate(const RequestSpec& spec, std::string_view id_prefix);

// "<run>-<thread>-" for the given run and thread numbers.
std::string RunIdPrefix(uint32_t run, int thread);

// Writes *counter, *counter + 1, ... into the ids of `body`, the start of a
// copy of the template's body, and advances *counter by the number of events.
void NumberEvents(const RequestTemplate& request, char* body, uint64_t* counter);

// head + "Content-Length: N\r\n\r\n" + body, into *wire (reusing its capacity).
void AssembleRequest(std::string_view head, std::string_view body, std::string* wire);

// The JSON Schema (draft 2020-12 subset) that every event's data satisfies.
std::string DataSchemaJson();

// gzip-compresses bodies with zlib at level 1 (what a latency-minded client
// would pick); reuses its zlib state across calls.
class GzipEncoder {
 public:
  GzipEncoder();
  ~GzipEncoder();
  GzipEncoder(const GzipEncoder&) = delete;
  GzipEncoder& operator=(const GzipEncoder&) = delete;

  // Replaces *out with the gzip member of `in`. False (and *out empty) when
  // zlib fails, which only happens when out of memory.
  bool Compress(std::string_view in, std::string* out);

 private:
  std::unique_ptr<z_stream> stream_;
};

}  // namespace eventlake::bench
