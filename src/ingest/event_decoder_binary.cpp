// Binary mode (HTTP protocol binding 3.1): context attributes from ce-*
// headers, datacontenttype from Content-Type, data from the body.
#include "ingest/attribute_rules.h"
#include "ingest/event_decoder.h"
#include "ingest/event_decoder_internal.h"
#include "ingest/json_spans.h"

namespace eventlake::ingest {
namespace {

using namespace decoder_internal;  // NOLINT(google-build-using-namespace): .cpp only

std::string LowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
  return out;
}

std::string_view TrimOws(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// A problem about header `name` (the ce- prefix included in the detail),
// pointing at the attribute.
IngestProblem HeaderProblem(ProblemType type, std::string_view attribute, std::string_view what) {
  return MakeProblem(type, "header ce-" + Shown(attribute) + " " + std::string(what),
                     MemberPointer("", attribute));
}

// The attributes and extensions of the ce-* headers. `values` gets Bit() of
// each core attribute seen.
std::optional<IngestProblem> TakeHeader(const HeaderField& header, const IngestLimits& limits,
                                        uint32_t* values, CloudEvent* event) {
  std::string name = LowerAscii(header.name.substr(3));
  if (header.value.size() > limits.max_header_value_bytes) {
    return HeaderProblem(
        ProblemType::kHeaderTooLarge, name,
        "is longer than " + std::to_string(limits.max_header_value_bytes) + " bytes");
  }
  if (name == "datacontenttype") {
    return HeaderProblem(ProblemType::kInvalidEvent, name,
                         "must not be sent: in binary mode datacontenttype is the Content-Type");
  }
  if (name == "data") return HeaderProblem(ProblemType::kInvalidEvent, name, "is reserved");
  auto value = DecodeHeaderValue(header.value);
  if (!value) return HeaderProblem(ProblemType::kInvalidEvent, name, value.error().message());
  Attribute attribute = CoreAttribute(name);
  if (attribute != Attribute::kNone) {
    if ((*values & Bit(attribute)) != 0) {
      return HeaderProblem(ProblemType::kInvalidEvent, name, "appears twice");
    }
    *values |= Bit(attribute);
    return SetCoreAttribute(attribute, *value, limits, "", event);
  }
  if (!IsExtensionName(name)) {
    return HeaderProblem(ProblemType::kInvalidEvent, name,
                         "does not name an extension: use 1 to 20 characters of a-z and 0-9");
  }
  if (auto problem = CheckString(name, *value, limits, "", /*allow_empty=*/true)) return problem;
  event->extensions.push_back({std::move(name), std::move(*value)});
  return std::nullopt;
}

std::optional<IngestProblem> TakeContentType(std::span<const HeaderField> headers,
                                             const IngestLimits& limits, CloudEvent* event) {
  std::string_view content_type = TrimOws(FindHeader(headers, "content-type").value_or(""));
  if (content_type.empty()) return std::nullopt;
  if (auto problem = CheckString("datacontenttype", content_type, limits, "")) return problem;
  if (!IsValidMediaType(content_type)) {
    return BadAttribute("datacontenttype", "(the Content-Type) is not a media type", "");
  }
  event->data_content_type = std::string(content_type);
  return std::nullopt;
}

}  // namespace

EventResult EventDecoder::DecodeBinary(std::span<const HeaderField> headers,
                                       std::string_view body) {
  Shrink();
  CloudEvent event;
  event.spec_version.clear();
  uint32_t values = 0;
  for (const HeaderField& header : headers) {
    if (header.name.size() < 3 || !EqualsIgnoreCase(header.name.substr(0, 3), "ce-")) continue;
    if (auto problem = TakeHeader(header, limits_, &values, &event)) {
      return std::unexpected(std::move(*problem));
    }
  }
  if (auto problem = CheckRequired(values, "")) return std::unexpected(std::move(*problem));
  if (auto name = FindDuplicateExtension(event.extensions)) {
    return std::unexpected(HeaderProblem(ProblemType::kInvalidEvent, *name, "appears twice"));
  }
  if (auto problem = TakeContentType(headers, limits_, &event)) {
    return std::unexpected(std::move(*problem));
  }
  if (body.empty()) return event;
  if (!event.data_content_type || !IsJsonMediaType(*event.data_content_type)) {
    event.data = body;
    return event;
  }
  std::string_view padded = Padded(body);
  auto root = Parse(padded, "the body", "");
  if (!root) return std::unexpected(std::move(root.error()));
  if (body.size() > limits_.max_string_bytes) {
    if (auto problem = CheckStringLengths(*root, limits_.max_string_bytes, "")) {
      return std::unexpected(std::move(*problem));
    }
  }
  MinifyJsonInto(TrimJsonSpace(padded), &event.data);
  VisitData(0, event, *root, "");
  return event;
}

}  // namespace eventlake::ingest
