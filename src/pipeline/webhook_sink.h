// The `webhook` sink: each batch's events POSTed to a URL, in requests of
// at most max_batch events, as structured CloudEvents (by default a JSON
// array, the CloudEvents HTTP batch mode; sink_options.h has the formats).
// The POST is the http step's (http_post.h): SSRF guard unless
// allow_private, the connection pinned to the address checked, no
// redirects, no proxies, the timeout per request.
//
// Answers:
// - 2xx: the request's events are delivered.
// - 408, 429, 5xx, a timeout, a connection that fails, a name that does
//   not resolve: Unavailable, the whole batch fails and the pipeline runs
//   it again. When the same batch comes back (same origin, partition,
//   offsets and number of events) the requests answered before are not
//   sent again; after a restart, or a batch cut otherwise, they are (at
//   least once).
// - other statuses (4xx, 3xx: redirects are not followed): the request's
//   events are refused, returned as FailedItems (dead letters) with the
//   status and an excerpt of the answer.
// - an address the SSRF guard refuses: PermissionDenied, the batch fails.
//
// Metrics, labelled pipeline=<name>, sink=<the URL's host>:
// eventlake_webhook_requests_total{outcome = delivered|refused|retry|error},
// eventlake_webhook_events_total{outcome = delivered|refused} and
// eventlake_webhook_request_duration_seconds.
//
// Threads: Deliver is called from several partitions' threads at once (a
// curl handle per request).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/metrics.h"
#include "pipeline/http_post.h"
#include "pipeline/pipeline.h"
#include "pipeline/sink_options.h"

namespace eventlake::pipeline {

class WebhookSink : public Sink {
 public:
  // InvalidArgument for a URL or headers the POST cannot take. `metrics`
  // (required) must outlive the sink.
  static Result<std::unique_ptr<WebhookSink>> Create(WebhookSinkOptions options,
                                                     std::string pipeline,
                                                     MetricsRegistry* metrics);

  std::string_view name() const override { return name_; }
  Result<std::vector<FailedItem>> Deliver(const SinkBatch& batch) override;

  // The body of one request (exposed for tests).
  static std::string Body(WebhookFormat format, std::span<const CloudEvent> events);
  static std::string_view ContentType(WebhookFormat format);

 private:
  WebhookSink(WebhookSinkOptions options, HttpTarget target, const std::string& pipeline,
              MetricsRegistry* metrics);
  // One request of `events`; the failed items (indexes from `first`) or the error that fails the
  // batch.
  Status Post(std::span<const CloudEvent> events, size_t first, std::vector<FailedItem>* refused);

  // How far a batch that failed part way got.
  struct Progress {
    uint64_t first_offset = 0;
    uint64_t next_offset = 0;
    size_t events = 0;
    size_t sent = 0;                  // events of the requests answered (2xx or refused)
    std::vector<FailedItem> refused;  // of those
  };

  WebhookSinkOptions options_;
  HttpTarget target_;
  HttpConnections connections_;  // kept open between batches
  std::mutex mu_;
  std::map<std::pair<std::string, uint32_t>, Progress>
      progress_;      // guarded by mu_: by origin and partition
  std::string name_;  // "webhook <host>"
  Counter* delivered_;
  Counter* refused_;
  Counter* retry_;
  Counter* error_;
  Counter* events_delivered_;
  Counter* events_refused_;
  Histogram* duration_;
};

}  // namespace eventlake::pipeline
