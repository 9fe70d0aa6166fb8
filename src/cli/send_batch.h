// Batches of `eventlake send`: Batcher groups input records into request
// bodies bounded by an event count and a byte size, and ParseBatchAnswer
// reads the server's per-item answer to one batch.
//
// A batch holds records of one kind only: structured CloudEvents (sent as
// application/cloudevents-batch+json) or plain objects (application/json,
// wrapped by the server). A change of kind closes the batch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/http_client.h"
#include "cli/send_input.h"

namespace eventlake::cli {

// Where one event of a batch came from.
struct BatchItem {
  uint32_t input = 0;  // which input (file) of the command line
  uint64_t line = 0;   // 1-based line in that input
  uint64_t index = 0;  // 0-based record index in that input
};

struct Batch {
  bool cloudevents = false;  // structured CloudEvents, else plain JSON objects
  std::string body;          // a JSON array of the items' objects
  std::vector<BatchItem> items;

  size_t size() const { return items.size(); }
};

// Not thread-safe.
class Batcher {
 public:
  // A batch closes at `max_events` events, or before the record that would
  // take its body over `max_bytes`. A single record larger than `max_bytes`
  // travels alone. Both limits are at least 1.
  Batcher(size_t max_events, uint64_t max_bytes);

  // Adds a record of input `input`. Returns the batches this closed (zero,
  // one or, when a change of kind or size closes the pending batch and the
  // new record fills the next one by itself, two), in order.
  std::vector<Batch> Add(const InputRecord& record, uint32_t input);
  // The pending batch, if it holds any event.
  std::optional<Batch> Flush();

 private:
  size_t max_events_;
  uint64_t max_bytes_;
  Batch pending_;
};

// An item the server refused, as the answer names it.
struct RejectedItem {
  std::optional<size_t> index;  // 0-based within the batch, when given
  std::string id;               // the event id, when given
  std::string reason;           // the detail (and the JSON pointer of the bad field)
};

// What one answer to a batch says.
struct BatchAnswer {
  // Ids of the events stored (entries without an id count as "#<n>").
  std::vector<std::string> accepted_ids;
  std::vector<RejectedItem> rejected;
};

// Reads {"accepted":[{"id",...}], "rejected":[{"index","detail","pointer"}]}
// from a 2xx answer or from a problem+json (which may carry either member);
// any other body yields an empty answer. Reasons come from "detail",
// "reason", "message", "error" (a string or an object with a detail) or
// "title", in that order. A pointer into the batch body ("/3/time") gives
// the index when "index" is missing, and its rest is added to the reason
// (" (at /time)").
BatchAnswer ParseBatchAnswer(const HttpResponse& response);

}  // namespace eventlake::cli
