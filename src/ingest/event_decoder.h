// The fast path of the HTTP gateway: request bodies to CloudEvents with
// simdjson, under IngestLimits, every failure an IngestProblem with a stable
// type and, where it applies, the JSON pointer of the bad value.
//
// Modes (DetectBodyMode, from Content-Type and the ce-specversion header):
// - structured `application/cloudevents+json`: one event (JSON event format
//   1.0.2 and the core spec's attribute rules, see below);
// - batch `application/cloudevents-batch+json`: a JSON array of events, each
//   accepted or rejected on its own (pointer "/<index>/...");
// - binary: any other Content-Type with a `ce-specversion` header; context
//   attributes come from `ce-*` headers (unquoted, then percent-decoded),
//   `datacontenttype` from Content-Type, `data` is the body;
// - plain JSON `application/json` (no ce-specversion): an object, or an
//   array of objects, each wrapped into an event (WrapOptions);
// - NDJSON `application/x-ndjson` or `application/jsonl`: one object per
//   non-blank line, wrapped; pointer "/<line index>" (0-based, blank lines
//   counted), detail "line <n>" (1-based).
//
// Event rules: id, source, type non-empty Strings; specversion exactly
// "1.0"; datacontenttype an RFC 2046 media type; dataschema an absolute URI;
// subject a non-empty String; time RFC 3339; JSON null for any of these
// optional attributes and for extensions means absent. Strings must not hold
// control characters or noncharacters and are at most max_attribute_bytes.
// Extensions: names 1-20 of [a-z0-9]; values String, Boolean or Integer (a
// JSON number with no fractional part in the 32-bit range; 10.0 is 10); a
// repeated member is an error. `data` is stored as its JSON text with
// whitespace removed and tokens byte for byte when datacontenttype declares
// JSON (*/json, */*+json) or is absent, in which case datacontenttype is set
// to "application/json" (JSON format 3.1.2); under any other media type
// `data` must be a JSON string and its value is stored. "data": null is an
// explicit JSON null payload. `data_base64` (null = absent) is decoded and
// sets data_is_binary; both `data` and `data_base64` is an error.
//
// Limits: simdjson rejects nesting deeper than max_depth (too_deep) and
// invalid UTF-8 (invalid_utf8); strings and keys over max_string_bytes are
// string_too_long with their pointer; more than max_events_per_batch items
// or lines is too_many_events for the whole body. JSON numbers simdjson
// cannot hold (integers beyond 64 bits, magnitudes beyond 1.8e308) are
// malformed_json.
//
// Threading: an EventDecoder is used by one thread at a time; keep one per
// event-loop thread and reuse it (its parser and buffers grow once). Views
// handed out (DecodedItem::text, JsonData) stay valid until the next call on
// the decoder; the returned CloudEvents own their bytes.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/cloud_event.h"
#include "core/id.h"
#include "ingest/ingest_limits.h"
#include "ingest/problem_type.h"

namespace eventlake::ingest {

// One HTTP header as received; names compare case-insensitively.
struct HeaderField {
  std::string_view name;
  std::string_view value;
};

// The value of the first header named `name` (case-insensitive).
std::optional<std::string_view> FindHeader(std::span<const HeaderField> headers,
                                           std::string_view name);

enum class BodyMode { kStructured, kBatch, kBinary, kPlainJson, kNdjson };

// "structured", "batch", "binary", "plain_json", "ndjson".
std::string_view BodyModeName(BodyMode mode);

// The mode of a request, per the HTTP protocol binding (section 3): a
// Content-Type starting with application/cloudevents-batch is batch, with
// application/cloudevents structured (only +json is read; others are
// unsupported_media_type); otherwise a ce-specversion header means binary;
// otherwise application/json is plain JSON and application/x-ndjson or
// application/jsonl NDJSON. Anything else is unsupported_media_type.
std::expected<BodyMode, IngestProblem> DetectBodyMode(std::span<const HeaderField> headers);

// How plain JSON objects and NDJSON lines become events.
struct WrapOptions {
  std::string source;  // required: e.g. "/eventlake/sources/web"
  std::string type;    // required: from the source's config or a ce-type header
  // A top-level member whose value (a non-empty string, or an integer) is the
  // event id; an object without it is rejected. "" = not used.
  std::string id_field;
  // The Idempotency-Key header: the id of a single object; "<key>-<index>"
  // for the objects of an array and "<key>-<line index>" for NDJSON lines.
  std::string idempotency_key;
  Clock* clock = nullptr;      // the events' time; nullptr: SystemClock()
  IdGenerator* ids = nullptr;  // UUIDv7 ids otherwise; nullptr: NewEventId()
};

using EventResult = std::expected<CloudEvent, IngestProblem>;

struct DecodedItem {
  EventResult result;
  // The item's text in the (decompressed) body: a batch element, an array
  // element, an NDJSON line, or the whole body; for dead-lettering rejects.
  std::string_view text;
  // Where the producer sees the item: its index in a batch or array, its
  // line index in NDJSON (0-based, blank lines counted), 0 for one event.
  size_t index = 0;
};

struct DecodedBody {
  BodyMode mode = BodyMode::kStructured;
  // True when the producer sent many events (batch, JSON array, NDJSON) and
  // is answered per item; false for one event, whose problem (if any) is
  // the answer.
  bool per_item = false;
  std::vector<DecodedItem> items;  // in body order
};

// The JSON `data` of an event that decoded, while still parsed: lets the
// caller validate it (JSON Schema) without parsing it again.
struct JsonData {
  size_t item;              // index in DecodedBody::items
  const CloudEvent* event;  // the decoded event (data already set)
  simdjson::dom::element value;
  std::string_view pointer;  // of the data in the body: "/data", "/3/data", "/3", ""
};
using JsonDataVisitor = std::function<void(const JsonData&)>;

// Readable bytes simdjson needs behind a text to parse it in place.
inline constexpr size_t kJsonPadding = simdjson::SIMDJSON_PADDING;

class EventDecoder {
 public:
  explicit EventDecoder(const IngestLimits& limits = {});
  ~EventDecoder();
  EventDecoder(const EventDecoder&) = delete;
  EventDecoder& operator=(const EventDecoder&) = delete;

  const IngestLimits& limits() const { return limits_; }

  // Called for every event whose data is a JSON value, right after the event
  // decoded and before the next one is parsed. Empty: no calls.
  void SetJsonDataVisitor(JsonDataVisitor visitor) { visitor_ = std::move(visitor); }

  // A whole request: checks the body size (body_too_large), undoes
  // Content-Encoding (decompress.h), detects the mode and decodes. A single
  // event (structured, binary, a plain object) that fails is returned as
  // the problem; per_item bodies carry each item's result. `body_slack`
  // bytes after the body may be read (its string's spare capacity): with at
  // least kJsonPadding, JSON is parsed in place instead of copied.
  std::expected<DecodedBody, IngestProblem> DecodeRequest(std::span<const HeaderField> headers,
                                                          std::string_view body,
                                                          const WrapOptions& wrap,
                                                          size_t body_slack = 0);

  // One structured-mode event.
  EventResult DecodeStructured(std::string_view json);
  // A JSON batch; the problem is for the whole body (malformed JSON, not an
  // array, too many events, too deep, invalid UTF-8).
  std::expected<DecodedBody, IngestProblem> DecodeBatch(std::string_view json);
  // Binary mode: `headers` are all the request's headers.
  EventResult DecodeBinary(std::span<const HeaderField> headers, std::string_view body);
  // A plain JSON object (one item, per_item false) or array of objects.
  std::expected<DecodedBody, IngestProblem> DecodePlainJson(std::string_view json,
                                                            const WrapOptions& wrap);
  // NDJSON: one item per non-blank line (LF or CRLF line ends).
  std::expected<DecodedBody, IngestProblem> DecodeNdjson(std::string_view text,
                                                         const WrapOptions& wrap);

 private:
  // A copy of `text` followed by simdjson's padding, in padded_; or `text`
  // itself when it is roomy_.
  std::string_view Padded(std::string_view text);
  // Parses padded text; a problem names `what` ("the body") and carries `pointer`.
  std::expected<simdjson::dom::element, IngestProblem> Parse(std::string_view padded,
                                                             std::string_view what,
                                                             std::string_view pointer);
  // Calls the visitor, if any, for item `item`'s JSON data.
  void VisitData(size_t item, const CloudEvent& event, simdjson::dom::element value,
                 std::string_view pointer);
  // Frees the parser's and padded_'s memory after a very large body, so that
  // an idle decoder stays small. Called when a decode starts: views handed
  // out by the previous call die then, not before.
  void Shrink();
  // Gives the parser its initial capacity and the depth limit.
  void ResetParser();

  IngestLimits limits_;
  std::unique_ptr<simdjson::dom::parser> parser_;
  std::string padded_;    // input copy with padding
  std::string inflated_;  // decompressed body
  // The text of this request known to have kJsonPadding readable bytes
  // behind it (inflated_, or a body with slack), if any.
  std::string_view roomy_;
  std::vector<std::string_view> spans_;
  JsonDataVisitor visitor_;
};

}  // namespace eventlake::ingest
