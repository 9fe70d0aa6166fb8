// The stable problem types of ingestion: why a body, an event or a line was
// refused. Each is the last segment of an RFC 9457 problem `type` URI
// ("https://eventlake.dev/problems/<name>") and has one HTTP status, so that
// a producer can act on the type without parsing `detail`.
//
// Decoders in ingest return an IngestProblem instead of a bare Status because
// a Status code cannot tell 413 from 415 from 431; sources that do not speak
// HTTP (file_drop, mqtt, kafka) turn it into a Status with ToStatus().
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace eventlake::ingest {

enum class ProblemType {
  kBodyTooLarge,          // 413: the body as received is over max_body_bytes
  kDecompressedTooLarge,  // 413: the body inflates past max_decompressed_bytes
  kUnsupportedEncoding,   // 415: a Content-Encoding other than gzip, zstd, identity
  kInvalidEncoding,       // 400: the body is not valid gzip or zstd
  kUnsupportedMediaType,  // 415: a Content-Type no decoder reads
  kMalformedJson,         // 400: not JSON (the detail says where it broke, if known)
  kTooDeep,               // 400: arrays/objects nested deeper than max_depth
  kStringTooLong,         // 400: a string or key over max_string_bytes (pointer set)
  kInvalidUtf8,           // 400: text that is not UTF-8
  kTooManyEvents,         // 413: more events than max_events_per_batch
  kInvalidEvent,          // 400: breaks a CloudEvents rule (pointer names the attribute)
  kSchemaViolation,       // 400: data breaks the source's JSON Schema (pointer set)
  kHeaderTooLarge,        // 431: a header value over max_header_value_bytes
};

// "body_too_large", "invalid_event", ...: stable, lower_snake.
std::string_view ProblemTypeName(ProblemType type);
// 400, 413, 415 or 431.
unsigned ProblemHttpStatus(ProblemType type);
// A short human title for problem+json ("Invalid event").
std::string_view ProblemTitle(ProblemType type);

struct IngestProblem {
  ProblemType type = ProblemType::kInvalidEvent;
  std::string detail;   // for people: names the attribute, line or limit
  std::string pointer;  // RFC 6901 pointer into the body ("/3/time"); "" = the whole body

  // "invalid_event at /3/time: attribute 'time' is not an RFC 3339 timestamp".
  std::string ToString() const;

  friend bool operator==(const IngestProblem&, const IngestProblem&) = default;
};

// InvalidArgument with ToString() as the message: every ingestion problem is
// the producer's to fix, none is retryable.
Status ToStatus(const IngestProblem& problem);

}  // namespace eventlake::ingest
