// Names, statuses and titles of the ingestion problem types: one table.
#include "ingest/problem_type.h"

#include <array>

namespace eventlake::ingest {
namespace {

struct TypeInfo {
  std::string_view name;
  unsigned status;
  std::string_view title;
};

// In the order of the enum.
constexpr std::array<TypeInfo, 13> kTypes = {{
    {"body_too_large", 413, "Body too large"},
    {"decompressed_too_large", 413, "Decompressed body too large"},
    {"unsupported_encoding", 415, "Unsupported content encoding"},
    {"invalid_encoding", 400, "Invalid content encoding"},
    {"unsupported_media_type", 415, "Unsupported media type"},
    {"malformed_json", 400, "Malformed JSON"},
    {"too_deep", 400, "JSON nested too deep"},
    {"string_too_long", 400, "String too long"},
    {"invalid_utf8", 400, "Invalid UTF-8"},
    {"too_many_events", 413, "Too many events"},
    {"invalid_event", 400, "Invalid event"},
    {"schema_violation", 400, "Schema violation"},
    {"header_too_large", 431, "Header too large"},
}};

const TypeInfo& Info(ProblemType type) { return kTypes[static_cast<size_t>(type)]; }

}  // namespace

std::string_view ProblemTypeName(ProblemType type) { return Info(type).name; }
unsigned ProblemHttpStatus(ProblemType type) { return Info(type).status; }
std::string_view ProblemTitle(ProblemType type) { return Info(type).title; }

std::string IngestProblem::ToString() const {
  std::string out(ProblemTypeName(type));
  if (!pointer.empty()) out += " at " + pointer;
  out += ": " + detail;
  return out;
}

Status ToStatus(const IngestProblem& problem) { return InvalidArgument(problem.ToString()); }

}  // namespace eventlake::ingest
