// Structured mode and batches: one walk over each event object's members in
// the DOM, then `data` is taken from the body's text (json_spans.h) so that
// its tokens are stored exactly as sent.
#include <cmath>
#include <cstdint>
#include <limits>

#include "ingest/attribute_rules.h"
#include "core/base64.h"
#include "ingest/event_decoder.h"
#include "ingest/event_decoder_internal.h"
#include "ingest/json_spans.h"

namespace eventlake::ingest {
namespace {

using namespace decoder_internal;  // NOLINT(google-build-using-namespace): .cpp only
using simdjson::dom::element;
using simdjson::dom::element_type;

// What the walk over an event object collected besides the attributes.
struct EventMembers {
  CloudEvent event;
  uint32_t members = 0;  // Bit() of each core attribute present, null or not
  uint32_t values = 0;   // Bit() of each core attribute with a non-null value
  bool has_data = false;
  size_t data_index = 0;
  element data;
  bool base64_member = false;  // data_base64 present, null or not
  bool has_base64 = false;     // a non-null data_base64
  element base64;
};

std::optional<IngestProblem> ExtensionFromJson(std::string_view name, element value,
                                               const IngestLimits& limits, std::string_view prefix,
                                               ExtensionValue* out) {
  constexpr double kMin = std::numeric_limits<int32_t>::min();
  constexpr double kMax = std::numeric_limits<int32_t>::max();
  switch (value.type()) {
    case element_type::STRING: {
      std::string_view text = value.get_string().value_unsafe();
      if (auto problem = CheckString(name, text, limits, prefix, /*allow_empty=*/true)) {
        return problem;
      }
      *out = std::string(text);
      return std::nullopt;
    }
    case element_type::BOOL:
      *out = value.get_bool().value_unsafe();
      return std::nullopt;
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: {
      double number = value.get_double().value_unsafe();
      if (number != std::floor(number)) return BadAttribute(name, "must be an integer", prefix);
      if (number < kMin || number > kMax) {
        return BadAttribute(name, "is out of the 32-bit range of a CloudEvents Integer", prefix);
      }
      *out = static_cast<int64_t>(number);
      return std::nullopt;
    }
    default:
      return BadAttribute(name, "must be a string, a boolean or an integer", prefix);
  }
}

std::optional<IngestProblem> TakeExtension(std::string_view name, element value,
                                           const IngestLimits& limits, std::string_view prefix,
                                           CloudEvent* event) {
  if (!IsExtensionName(name)) {
    return InvalidEvent("attribute name '" + Shown(name) +
                            "' is invalid: extension names are 1 to 20 characters of a-z and 0-9",
                        MemberPointer(prefix, name));
  }
  if (value.is_null()) return std::nullopt;  // absent
  ExtensionValue ext;
  if (auto problem = ExtensionFromJson(name, value, limits, prefix, &ext)) return problem;
  event->extensions.push_back({std::string(name), std::move(ext)});
  return std::nullopt;
}

std::optional<IngestProblem> TakeMember(std::string_view key, element value, size_t index,
                                        const IngestLimits& limits, std::string_view prefix,
                                        EventMembers* m) {
  if (key == "data") {
    if (m->has_data) return BadAttribute(key, "appears twice", prefix);
    m->has_data = true;
    m->data_index = index;
    m->data = value;
    return std::nullopt;
  }
  if (key == "data_base64") {
    if (m->base64_member) return BadAttribute(key, "appears twice", prefix);
    m->base64_member = true;
    m->has_base64 = !value.is_null();
    m->base64 = value;
    return std::nullopt;
  }
  Attribute attribute = CoreAttribute(key);
  if (attribute == Attribute::kNone) return TakeExtension(key, value, limits, prefix, &m->event);
  if ((m->members & Bit(attribute)) != 0) return BadAttribute(key, "appears twice", prefix);
  m->members |= Bit(attribute);
  if (value.is_null()) return std::nullopt;  // absent (an error later if required)
  if (!value.is_string()) return BadAttribute(key, "must be a string", prefix);
  m->values |= Bit(attribute);
  return SetCoreAttribute(attribute, value.get_string().value_unsafe(), limits, prefix, &m->event);
}

// Where a decoded event's JSON data is: its member index in the object (the
// caller copies the text) and its parsed value (for the visitor).
struct JsonDataRef {
  bool present = false;
  size_t member = 0;
  element value;
};

// Sets the event's data from `data_base64` or a non-JSON `data`; for JSON
// data only says where it is (*json).
std::optional<IngestProblem> TakeData(EventMembers* m, std::string_view prefix, JsonDataRef* json) {
  CloudEvent& event = m->event;
  if (m->has_base64) {
    if (m->has_data) {
      return InvalidEvent("'data' and 'data_base64' must not both be present",
                          MemberPointer(prefix, "data_base64"));
    }
    if (!m->base64.is_string()) return BadAttribute("data_base64", "must be a string", prefix);
    auto bytes = DecodeBase64(m->base64.get_string().value_unsafe());
    if (!bytes) {
      return BadAttribute("data_base64", "is not base64: " + bytes.error().message(), prefix);
    }
    event.data = std::move(*bytes);
    event.data_is_binary = true;
    return std::nullopt;
  }
  if (!m->has_data) return std::nullopt;
  if (!event.data_content_type) event.data_content_type = "application/json";
  if (IsJsonMediaType(*event.data_content_type)) {
    *json = JsonDataRef{.present = true, .member = m->data_index, .value = m->data};
    return std::nullopt;
  }
  if (!m->data.is_string()) {
    return InvalidEvent("'data' must be a string when datacontenttype is not JSON",
                        MemberPointer(prefix, "data"));
  }
  event.data = m->data.get_string().value_unsafe();
  return std::nullopt;
}

// One event object (a structured body or a batch element, `text_size`
// bytes long) into an event; JSON data is left to the caller (*json).
EventResult EventFromObject(element value, size_t text_size, const std::string& prefix,
                            const IngestLimits& limits, JsonDataRef* json) {
  if (!value.is_object()) {
    return std::unexpected(InvalidEvent("a CloudEvent must be a JSON object", prefix));
  }
  if (text_size > limits.max_string_bytes) {
    if (auto problem = CheckStringLengths(value, limits.max_string_bytes, prefix)) {
      return std::unexpected(std::move(*problem));
    }
  }
  EventMembers m;
  m.event.spec_version.clear();
  size_t index = 0;
  simdjson::dom::object object = value.get_object().value_unsafe();
  for (simdjson::dom::key_value_pair field : object) {
    if (auto problem = TakeMember(field.key, field.value, index++, limits, prefix, &m)) {
      return std::unexpected(std::move(*problem));
    }
  }
  if (auto problem = CheckRequired(m.values, prefix)) return std::unexpected(std::move(*problem));
  if (auto name = FindDuplicateExtension(m.event.extensions)) {
    return std::unexpected(BadAttribute(*name, "appears twice", prefix));
  }
  if (auto problem = TakeData(&m, prefix, json)) return std::unexpected(std::move(*problem));
  return std::move(m.event);
}

// The text of member `index` among `members`, or "" (only for text that is not JSON).
std::string_view MemberText(const std::vector<std::string_view>& members, size_t index) {
  return index < members.size() ? members[index] : std::string_view();
}

}  // namespace

EventResult EventDecoder::DecodeStructured(std::string_view json) {
  Shrink();
  std::string_view padded = Padded(json);
  auto root = Parse(padded, "the body", "");
  if (!root) return std::unexpected(std::move(root.error()));
  std::string_view text = TrimJsonSpace(padded);
  JsonDataRef data;
  EventResult event = EventFromObject(*root, text.size(), "", limits_, &data);
  if (event && data.present) {
    spans_.clear();
    AppendObjectMemberSpans(text, &spans_);
    MinifyJsonInto(MemberText(spans_, data.member), &event->data);
    VisitData(0, *event, data.value, "/data");
  }
  return event;
}

std::expected<DecodedBody, IngestProblem> EventDecoder::DecodeBatch(std::string_view json) {
  Shrink();
  std::string_view padded = Padded(json);
  auto root = Parse(padded, "the body", "");
  if (!root) return std::unexpected(std::move(root.error()));
  if (!root->is_array()) {
    return std::unexpected(InvalidEvent("a batch must be a JSON array of CloudEvents", ""));
  }
  simdjson::dom::array array = root->get_array().value_unsafe();
  if (array.size() > limits_.max_events_per_batch) {
    return std::unexpected(MakeProblem(ProblemType::kTooManyEvents,
                                       "a batch holds at most " +
                                           std::to_string(limits_.max_events_per_batch) +
                                           " events, got " + std::to_string(array.size()),
                                       ""));
  }
  ArrayElementCursor cursor(TrimJsonSpace(padded));
  DecodedBody body{.mode = BodyMode::kBatch, .per_item = true, .items = {}};
  body.items.reserve(array.size());
  for (element value : array) {
    const size_t i = body.items.size();
    std::string_view text = cursor.Next(&spans_);  // also the member texts of this event
    std::string prefix = IndexPointer("", i);
    JsonDataRef data;
    EventResult event = EventFromObject(value, text.size(), prefix, limits_, &data);
    if (event && data.present) {
      MinifyJsonInto(MemberText(spans_, data.member), &event->data);
      if (visitor_) VisitData(i, *event, data.value, prefix + "/data");
    }
    body.items.push_back({std::move(event), text, i});
  }
  return body;
}

}  // namespace eventlake::ingest
