// Plain JSON and NDJSON bodies: each object becomes the data of a new event
// whose context attributes come from WrapOptions. The object's own text is
// the data (whitespace removed, tokens as sent).
#include <cstring>

#include "ingest/event_decoder.h"
#include "ingest/event_decoder_internal.h"
#include "ingest/json_spans.h"

namespace eventlake::ingest {
namespace {

using namespace decoder_internal;  // NOLINT(google-build-using-namespace): .cpp only
using simdjson::dom::element;

// Where an object sits in the body, for ids, pointers and messages.
struct ItemRef {
  std::string pointer;  // "", "/3"
  long index = -1;      // array index or line index; -1 for a single object
  bool line = false;    // an NDJSON line
};

std::string What(const ItemRef& ref) {
  if (ref.line) return "line " + std::to_string(ref.index + 1);
  if (ref.index < 0) return "the body";
  return "element " + std::to_string(ref.index);
}

std::optional<IngestProblem> CheckWrapOptions(const WrapOptions& wrap, const IngestLimits& limits) {
  if (auto problem = CheckString("source", wrap.source, limits, "")) return problem;
  if (auto problem = CheckString("type", wrap.type, limits, "")) return problem;
  const std::string& key = wrap.idempotency_key;
  if (key.empty()) return std::nullopt;
  if (key.size() > limits.max_header_value_bytes) {
    return MakeProblem(ProblemType::kHeaderTooLarge,
                       "header Idempotency-Key is longer than " +
                           std::to_string(limits.max_header_value_bytes) + " bytes",
                       "");
  }
  if (auto problem = CheckString("id", key, limits, "")) {
    return InvalidEvent("header Idempotency-Key cannot be an event id: " + problem->detail, "");
  }
  return std::nullopt;
}

std::expected<std::string, IngestProblem> IdFromField(element object, const std::string& field,
                                                      const IngestLimits& limits,
                                                      const ItemRef& ref) {
  element value;
  auto bad = [&](std::string_view why) {
    return std::unexpected(
        InvalidEvent(What(ref) + ": the id field '" + Shown(field) + "' " + std::string(why),
                     MemberPointer(ref.pointer, field)));
  };
  if (object.get_object().value_unsafe().at_key(field).get(value) != simdjson::SUCCESS) {
    return bad("is missing");
  }
  switch (value.type()) {
    case simdjson::dom::element_type::STRING: {
      std::string_view id = value.get_string().value_unsafe();
      if (auto problem = CheckString("id", id, limits, "")) return bad(problem->detail);
      return std::string(id);
    }
    case simdjson::dom::element_type::INT64:
      return std::to_string(value.get_int64().value_unsafe());
    case simdjson::dom::element_type::UINT64:
      return std::to_string(value.get_uint64().value_unsafe());
    default:
      return bad("must be a non-empty string or an integer");
  }
}

std::string NewId(const WrapOptions& wrap, long index) {
  if (!wrap.idempotency_key.empty()) {
    return index < 0 ? wrap.idempotency_key : wrap.idempotency_key + "-" + std::to_string(index);
  }
  return wrap.ids != nullptr ? wrap.ids->Next() : NewEventId();
}

EventResult WrapOne(element value, std::string_view text, const ItemRef& ref,
                    const WrapOptions& wrap, TimestampMicros now, const IngestLimits& limits) {
  if (!value.is_object()) {
    return std::unexpected(InvalidEvent(What(ref) + " is not a JSON object", ref.pointer));
  }
  if (text.size() > limits.max_string_bytes) {
    if (auto problem = CheckStringLengths(value, limits.max_string_bytes, ref.pointer)) {
      return std::unexpected(std::move(*problem));
    }
  }
  CloudEvent event;
  if (!wrap.id_field.empty()) {
    auto id = IdFromField(value, wrap.id_field, limits, ref);
    if (!id) return std::unexpected(std::move(id.error()));
    event.id = std::move(*id);
  } else {
    event.id = NewId(wrap, ref.index);
  }
  event.source = wrap.source;
  event.type = wrap.type;
  event.time = now;
  event.data_content_type = "application/json";
  MinifyJsonInto(text, &event.data);
  return event;
}

TimestampMicros Now(const WrapOptions& wrap) {
  return (wrap.clock != nullptr ? *wrap.clock : SystemClock()).NowMicros();
}

IngestProblem TooManyEvents(std::string_view what, size_t max) {
  return MakeProblem(ProblemType::kTooManyEvents,
                     std::string(what) + " holds more than " + std::to_string(max) + " events", "");
}

}  // namespace

std::expected<DecodedBody, IngestProblem> EventDecoder::DecodePlainJson(std::string_view json,
                                                                        const WrapOptions& wrap) {
  Shrink();
  if (auto problem = CheckWrapOptions(wrap, limits_)) return std::unexpected(std::move(*problem));
  const TimestampMicros now = Now(wrap);
  std::string_view padded = Padded(json);
  auto root = Parse(padded, "the body", "");
  if (!root) return std::unexpected(std::move(root.error()));
  DecodedBody body{.mode = BodyMode::kPlainJson, .per_item = root->is_array(), .items = {}};
  if (root->is_object()) {
    std::string_view text = TrimJsonSpace(padded);
    EventResult event = WrapOne(*root, text, ItemRef{}, wrap, now, limits_);
    if (event) VisitData(0, *event, *root, "");
    body.items.push_back({std::move(event), text});
    return body;
  }
  if (!root->is_array()) {
    return std::unexpected(
        InvalidEvent("a JSON body must be an object or an array of objects", ""));
  }
  simdjson::dom::array array = root->get_array().value_unsafe();
  if (array.size() > limits_.max_events_per_batch) {
    return std::unexpected(TooManyEvents("the array", limits_.max_events_per_batch));
  }
  spans_.clear();
  AppendArrayElementSpans(TrimJsonSpace(padded), &spans_);
  body.items.reserve(array.size());
  for (element value : array) {
    size_t i = body.items.size();
    std::string_view text = i < spans_.size() ? spans_[i] : std::string_view();
    ItemRef ref{IndexPointer("", i), static_cast<long>(i), false};
    EventResult event = WrapOne(value, text, ref, wrap, now, limits_);
    if (event) VisitData(i, *event, value, ref.pointer);
    body.items.push_back({std::move(event), text, i});
  }
  return body;
}

std::expected<DecodedBody, IngestProblem> EventDecoder::DecodeNdjson(std::string_view text,
                                                                     const WrapOptions& wrap) {
  Shrink();
  if (auto problem = CheckWrapOptions(wrap, limits_)) return std::unexpected(std::move(*problem));
  const TimestampMicros now = Now(wrap);
  std::string_view padded = Padded(text);  // lines are parsed in place: padding follows the last
  DecodedBody body{.mode = BodyMode::kNdjson, .per_item = true, .items = {}};
  size_t pos = 0;
  for (long line_index = 0; pos < padded.size(); ++line_index) {
    const void* newline = std::memchr(padded.data() + pos, '\n', padded.size() - pos);
    size_t end = newline ? static_cast<const char*>(newline) - padded.data() : padded.size();
    std::string_view line = TrimJsonSpace(padded.substr(pos, end - pos));  // drops a CR too
    pos = end + 1;
    if (line.empty()) continue;
    if (body.items.size() == limits_.max_events_per_batch) {
      return std::unexpected(TooManyEvents("the NDJSON body", limits_.max_events_per_batch));
    }
    ItemRef ref{IndexPointer("", static_cast<size_t>(line_index)), line_index, true};
    auto root = Parse(line, What(ref), ref.pointer);
    if (!root) {
      body.items.push_back(
          {std::unexpected(std::move(root.error())), line, static_cast<size_t>(line_index)});
      continue;
    }
    EventResult event = WrapOne(*root, line, ref, wrap, now, limits_);
    if (event) VisitData(body.items.size(), *event, *root, ref.pointer);
    body.items.push_back({std::move(event), line, static_cast<size_t>(line_index)});
  }
  return body;
}

}  // namespace eventlake::ingest
