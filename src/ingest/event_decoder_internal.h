// Pieces shared by the files of EventDecoder (structured, binary, wrap):
// problem and pointer construction, the context-attribute setters that apply
// the core spec's value rules, and the string-length walk. Not for use
// outside src/ingest/event_decoder*.cpp.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cloud_event.h"
#include "ingest/ingest_limits.h"
#include "ingest/problem_type.h"

namespace eventlake::ingest::decoder_internal {

inline IngestProblem MakeProblem(ProblemType type, std::string detail, std::string pointer) {
  return IngestProblem{type, std::move(detail), std::move(pointer)};
}
inline IngestProblem InvalidEvent(std::string detail, std::string pointer) {
  return MakeProblem(ProblemType::kInvalidEvent, std::move(detail), std::move(pointer));
}

// prefix + "/" + token, with '~' and '/' escaped (RFC 6901).
std::string MemberPointer(std::string_view prefix, std::string_view token);
// prefix + "/" + index.
std::string IndexPointer(std::string_view prefix, size_t index);
// `text` for a message: at most 64 bytes, then "...".
std::string Shown(std::string_view text);

// The problem for a simdjson parse error of `what` ("the body", "line 3").
IngestProblem JsonErrorProblem(simdjson::error_code error, std::string_view what,
                               std::string pointer);

// The first string value or key longer than `max_bytes` under `element`, as
// string_too_long with its pointer (below `pointer`). Recursion is bounded
// by the parser's max_depth.
std::optional<IngestProblem> CheckStringLengths(simdjson::dom::element element, size_t max_bytes,
                                                const std::string& pointer);

// The eight attributes of the core spec; kNone for extensions.
enum class Attribute : uint8_t {
  kSpecVersion,
  kId,
  kSource,
  kType,
  kDataContentType,
  kDataSchema,
  kSubject,
  kTime,
  kNone,
};
Attribute CoreAttribute(std::string_view name);
std::string_view AttributeName(Attribute attribute);
constexpr uint32_t Bit(Attribute a) { return uint32_t{1} << static_cast<unsigned>(a); }

// A String attribute value: non-empty (unless allow_empty), at most
// max_attribute_bytes, no disallowed characters. Problems point at
// prefix + "/<name>".
std::optional<IngestProblem> CheckString(std::string_view name, std::string_view value,
                                         const IngestLimits& limits, std::string_view prefix,
                                         bool allow_empty = false);

// Checks `value` against the rules of `attribute` (not kNone) and stores it
// in *event. Problems point at prefix + "/<name>".
std::optional<IngestProblem> SetCoreAttribute(Attribute attribute, std::string_view value,
                                              const IngestLimits& limits, std::string_view prefix,
                                              CloudEvent* event);

// "attribute '<name>' <what>" pointing at prefix + "/<name>".
IngestProblem BadAttribute(std::string_view name, std::string_view what, std::string_view prefix);

// "attribute 'x' is required" for the first of specversion, id, source,
// type missing from `seen`; pointer = prefix + "/<name>".
std::optional<IngestProblem> CheckRequired(uint32_t seen, std::string_view prefix);

// The name of an extension that appears twice, if any.
std::optional<std::string> FindDuplicateExtension(const std::vector<Extension>& extensions);

}  // namespace eventlake::ingest::decoder_internal
