// Sender: the engine of `eventlake send`. It batches the records of its
// inputs (Batcher) and POSTs each batch to /v1/sources/{source}/events,
// retrying a batch the server cannot take yet (429, 503, 504) with backoff
// and jitter that honours Retry-After, and reporting the items the server
// rejected.
//
// Plain objects go as `application/json` with an `Idempotency-Key` made once
// per batch and kept across its retries: the server derives the events' ids
// from it ("<key>-<index>"), so a retried batch carries the same ids and
// the server's dedup can answer it without storing events twice.
// CloudEvents go as `application/cloudevents-batch+json` with their own ids.
//
// Everything outside (HTTP, sleeping, randomness, keys) comes through
// SendEnvironment, so tests drive a Sender without a server or a clock.
// Single-threaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cli/http_client.h"
#include "cli/progress.h"
#include "cli/send_batch.h"
#include "cli/send_input.h"
#include "cli/send_retry.h"
#include "core/status.h"

namespace eventlake::cli {

struct SendOptions {
  std::string source;               // the eventlake source (URL path segment)
  std::optional<std::string> type;  // sent as ce-type with plain objects
  size_t batch_size = 500;          // events per request, at most
  uint64_t batch_bytes = 1 << 20;   // request body bytes, at most (but one event always goes)
  int max_retries = 10;             // of one batch, after its first attempt
  BackoffOptions backoff;
};

struct SendEnvironment {
  // POSTs `body` to `path`; the answer whatever its HTTP status, or an error
  // when the server could not be talked to (which ends the send).
  std::function<Result<HttpResponse>(std::string_view path, std::string_view body,
                                     std::string_view content_type, const HttpHeaders& headers)>
      post;
  // Waits; false when interrupted (which ends the send).
  std::function<bool(std::chrono::milliseconds)> sleep;
  std::function<double()> random;                              // uniform in [0, 1)
  std::function<std::string()> new_key;                        // a fresh idempotency key
  std::function<std::chrono::system_clock::time_point()> now;  // for Retry-After dates
  std::ostream* messages = nullptr;  // rejected items, one line each; required
  ProgressLine* progress = nullptr;  // optional
};

class Sender {
 public:
  Sender(SendOptions options, SendEnvironment environment);

  // Sends the records of `reader` (batches may span inputs), naming the
  // input `name` in messages. Stops at the first failure: a malformed record
  // ("<name>: line N: ...", after the records before it are sent), a batch
  // the server refused (its problem detail and which records), one it still
  // could not take after max_retries retries, or no connection.
  Status SendAll(RecordReader& reader, std::string_view name);
  // Sends the pending batch.
  Status Finish();

  const SendStats& stats() const { return stats_; }

 private:
  Status SendBatch(const Batch& batch);
  // Posts `batch` until it is answered (stored, or some items rejected),
  // refused, or out of retries; adds the ids stored to *accepted.
  Status PostUntilAnswered(const Batch& batch, std::set<std::string>* accepted);
  // The failure for a refusal; `gave_up` when retries ran out.
  Status Refused(const Batch& batch, const HttpResponse& response, bool gave_up) const;
  // Sleeps before retry number `retry`; false when interrupted.
  bool WaitBeforeRetry(int retry, const HttpResponse& response);
  void ReportRejected(const Batch& batch, const std::vector<RejectedItem>& rejected);
  // "events.ndjson lines 1-500", "a.json line 7 to b.ndjson line 3".
  std::string DescribeItems(const Batch& batch) const;

  SendOptions options_;
  SendEnvironment env_;
  std::string path_;
  Batcher batcher_;
  std::vector<std::string> names_;  // per input
  SendStats stats_;
};

// A ce-* header value as the CloudEvents HTTP binding writes it: space, '"',
// '%' and everything outside printable ASCII percent-encoded (UTF-8 bytes).
std::string CeHeaderValue(std::string_view value);

}  // namespace eventlake::cli
