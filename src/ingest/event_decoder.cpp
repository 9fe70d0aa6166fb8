// EventDecoder's plumbing: mode detection, padding, parsing, buffer hygiene
// and DecodeRequest, which ties decompression and the modes together.
#include "ingest/event_decoder.h"

#include <algorithm>
#include <cstring>

#include "ingest/attribute_rules.h"
#include "ingest/decompress.h"
#include "ingest/event_decoder_internal.h"

namespace eventlake::ingest {
namespace {

using namespace decoder_internal;  // NOLINT(google-build-using-namespace): .cpp only

// Buffers above this are freed when the next decode starts.
constexpr size_t kKeepBytes = size_t{4} << 20;
// What a new parser allocates up front (it grows on demand up to the cap).
constexpr size_t kInitialCapacity = size_t{64} << 10;

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

std::unexpected<IngestProblem> UnsupportedMediaType(std::string_view content_type,
                                                    std::string_view why) {
  return std::unexpected(MakeProblem(
      ProblemType::kUnsupportedMediaType,
      "Content-Type '" + Shown(content_type) + "' " + std::string(why) +
          ": send application/cloudevents+json, application/cloudevents-batch+json, "
          "application/json, application/x-ndjson, or an event in ce-* headers (binary mode)",
      ""));
}

}  // namespace

std::optional<std::string_view> FindHeader(std::span<const HeaderField> headers,
                                           std::string_view name) {
  for (const HeaderField& field : headers) {
    if (EqualsIgnoreCase(field.name, name)) return field.value;
  }
  return std::nullopt;
}

std::string_view BodyModeName(BodyMode mode) {
  switch (mode) {
    case BodyMode::kStructured:
      return "structured";
    case BodyMode::kBatch:
      return "batch";
    case BodyMode::kBinary:
      return "binary";
    case BodyMode::kPlainJson:
      return "plain_json";
    case BodyMode::kNdjson:
      return "ndjson";
  }
  return "?";
}

std::expected<BodyMode, IngestProblem> DetectBodyMode(std::span<const HeaderField> headers) {
  std::string_view content_type = FindHeader(headers, "content-type").value_or("");
  std::string_view essence = MediaTypeEssence(content_type);
  if (StartsWithIgnoreCase(essence, "application/cloudevents-batch")) {
    if (EqualsIgnoreCase(essence, "application/cloudevents-batch+json")) return BodyMode::kBatch;
    return UnsupportedMediaType(content_type, "is a batch format eventlake does not read");
  }
  if (StartsWithIgnoreCase(essence, "application/cloudevents")) {
    if (EqualsIgnoreCase(essence, "application/cloudevents+json")) return BodyMode::kStructured;
    return UnsupportedMediaType(content_type, "is an event format eventlake does not read");
  }
  if (FindHeader(headers, "ce-specversion").has_value()) return BodyMode::kBinary;
  if (EqualsIgnoreCase(essence, "application/json")) return BodyMode::kPlainJson;
  if (EqualsIgnoreCase(essence, "application/x-ndjson") ||
      EqualsIgnoreCase(essence, "application/jsonl")) {
    return BodyMode::kNdjson;
  }
  return UnsupportedMediaType(content_type, content_type.empty() ? "is missing" : "is not read");
}

EventDecoder::EventDecoder(const IngestLimits& limits)
    : limits_(limits),
      parser_(std::make_unique<simdjson::dom::parser>(
          std::max<size_t>(limits.max_decompressed_bytes, limits.max_body_bytes))) {
  ResetParser();
}

void EventDecoder::ResetParser() {
  // simdjson counts the document itself as one level. A failed allocation
  // shows up as a MEMALLOC error of the next parse.
  simdjson::error_code ignored = parser_->allocate(kInitialCapacity, size_t{limits_.max_depth} + 1);
  (void)ignored;
}

EventDecoder::~EventDecoder() = default;

std::string_view EventDecoder::Padded(std::string_view text) {
  if (!roomy_.empty() && text.data() == roomy_.data() && text.size() == roomy_.size()) return text;
  padded_.resize(text.size() + simdjson::SIMDJSON_PADDING);
  if (!text.empty()) std::memcpy(padded_.data(), text.data(), text.size());
  std::memset(padded_.data() + text.size(), ' ', simdjson::SIMDJSON_PADDING);
  return std::string_view(padded_.data(), text.size());
}

std::expected<simdjson::dom::element, IngestProblem> EventDecoder::Parse(std::string_view padded,
                                                                         std::string_view what,
                                                                         std::string_view pointer) {
  simdjson::dom::element root;
  simdjson::error_code error = parser_->parse(padded.data(), padded.size(), false).get(root);
  if (error != simdjson::SUCCESS) {
    return std::unexpected(JsonErrorProblem(error, what, std::string(pointer)));
  }
  return root;
}

void EventDecoder::VisitData(size_t item, const CloudEvent& event, simdjson::dom::element value,
                             std::string_view pointer) {
  if (visitor_) visitor_(JsonData{item, &event, value, pointer});
}

void EventDecoder::Shrink() {
  if (padded_.capacity() > kKeepBytes) std::string().swap(padded_);
  if (spans_.capacity() > kKeepBytes / sizeof(std::string_view)) {
    std::vector<std::string_view>().swap(spans_);
  }
  if (parser_->capacity() > kKeepBytes) {
    ResetParser();
  }
}

std::expected<DecodedBody, IngestProblem> EventDecoder::DecodeRequest(
    std::span<const HeaderField> headers, std::string_view body, const WrapOptions& wrap,
    size_t body_slack) {
  if (body.size() > limits_.max_body_bytes) {
    return std::unexpected(MakeProblem(
        ProblemType::kBodyTooLarge,
        "the body is larger than " + std::to_string(limits_.max_body_bytes) + " bytes", ""));
  }
  auto detected = DetectBodyMode(headers);
  if (!detected) return std::unexpected(std::move(detected.error()));
  const BodyMode mode = *detected;
  if (inflated_.capacity() > kKeepBytes) std::string().swap(inflated_);
  std::string_view encoding = FindHeader(headers, "content-encoding").value_or("");
  auto text = Decompress(body, encoding, limits_.max_decompressed_bytes, &inflated_);
  if (!text) return std::unexpected(std::move(text.error()));
  if (text->data() == inflated_.data()) {  // room for simdjson's padding, to parse in place
    inflated_.reserve(inflated_.size() + kJsonPadding);
    text = std::string_view(inflated_);
    roomy_ = *text;
  } else if (body_slack >= kJsonPadding && text->data() == body.data() &&
             text->size() == body.size()) {
    roomy_ = *text;
  }
  // Only this request's text is roomy: a later direct Decode* call gets a copy.
  struct ForgetRoomy {
    std::string_view* roomy;
    ~ForgetRoomy() { *roomy = {}; }
  } forget{&roomy_};
  auto single = [&](EventResult event) -> std::expected<DecodedBody, IngestProblem> {
    if (!event) return std::unexpected(std::move(event.error()));
    DecodedBody decoded{.mode = mode, .per_item = false, .items = {}};
    decoded.items.push_back({std::move(event), *text});
    return decoded;
  };
  switch (mode) {
    case BodyMode::kStructured:
      return single(DecodeStructured(*text));
    case BodyMode::kBinary:
      return single(DecodeBinary(headers, *text));
    case BodyMode::kBatch:
      return DecodeBatch(*text);
    case BodyMode::kNdjson:
      return DecodeNdjson(*text, wrap);
    case BodyMode::kPlainJson: {
      auto decoded = DecodePlainJson(*text, wrap);
      if (decoded && !decoded->per_item && !decoded->items.front().result) {
        return std::unexpected(std::move(decoded->items.front().result.error()));
      }
      return decoded;
    }
  }
  return UnsupportedMediaType("", "is not read");
}

}  // namespace eventlake::ingest
