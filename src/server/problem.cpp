// The StatusCode -> HTTP table and the problem+json writer.
#include "server/problem.h"

#include <array>

#include "ingest/json_text.h"

namespace eventlake::server {
namespace {

struct CodeMapping {
  StatusCode code;
  unsigned http_status;
  std::string_view title;
};

// THE table. Keep in step with /v1 API docs (notes/http_api.md).
constexpr std::array<CodeMapping, 14> kMappings{{
    {StatusCode::kOk, 200, "OK"},
    {StatusCode::kInvalidArgument, 400, "Invalid argument"},
    {StatusCode::kUnauthenticated, 401, "Unauthenticated"},
    {StatusCode::kPermissionDenied, 403, "Permission denied"},
    {StatusCode::kNotFound, 404, "Not found"},
    {StatusCode::kAlreadyExists, 409, "Already exists"},
    {StatusCode::kConflict, 409, "Conflict"},
    {StatusCode::kFailedPrecondition, 409, "Failed precondition"},
    {StatusCode::kResourceExhausted, 429, "Resource exhausted"},
    {StatusCode::kDeadlineExceeded, 504, "Deadline exceeded"},
    {StatusCode::kUnavailable, 503, "Unavailable"},
    {StatusCode::kIOError, 500, "I/O error"},
    {StatusCode::kCorruption, 500, "Corruption"},
    {StatusCode::kInternal, 500, "Internal error"},
}};

const CodeMapping& MappingFor(StatusCode code) {
  for (const CodeMapping& m : kMappings) {
    if (m.code == code) return m;
  }
  return kMappings.back();  // unknown codes are internal errors
}

HttpResponse Problem(unsigned http_status, std::string_view name, std::string_view title,
                     std::string_view detail, std::string_view members = {}) {
  HttpResponse response;
  response.status = http_status;
  response.content_type = "application/problem+json";
  std::string& body = response.body;
  body.reserve(96 + name.size() + title.size() + detail.size());
  body.append("{\"type\":\"https://eventlake.dev/problems/");
  body.append(name);  // names are lower_snake ASCII
  body.append("\",\"title\":");
  ingest::AppendJsonString(title, &body);
  body.append(",\"status\":");
  body.append(std::to_string(http_status));
  body.append(",\"detail\":");
  ingest::AppendJsonString(detail, &body);
  if (!members.empty()) {
    body.push_back(',');
    body.append(members);
  }
  body.push_back('}');
  if (http_status == 429 || http_status == 503) response.headers.emplace_back("Retry-After", "1");
  return response;
}

}  // namespace

unsigned HttpStatusFor(StatusCode code) { return MappingFor(code).http_status; }

HttpResponse ProblemResponse(const Status& status) {
  const CodeMapping& m = MappingFor(status.code());
  return Problem(m.http_status, StatusCodeName(status.code()), m.title, status.message());
}

HttpResponse ProblemResponse(const Status& status, std::string_view members) {
  const CodeMapping& m = MappingFor(status.code());
  return Problem(m.http_status, StatusCodeName(status.code()), m.title, status.message(), members);
}

HttpResponse ProblemResponse(unsigned http_status, std::string_view name, std::string_view detail) {
  return Problem(http_status, name, ReasonPhrase(http_status), detail);
}

HttpResponse ProblemResponse(const ingest::IngestProblem& problem) {
  std::string members;
  if (!problem.pointer.empty()) {
    members = "\"pointer\":";
    ingest::AppendJsonString(problem.pointer, &members);
  }
  return Problem(ingest::ProblemHttpStatus(problem.type), ingest::ProblemTypeName(problem.type),
                 ingest::ProblemTitle(problem.type), problem.detail, members);
}

}  // namespace eventlake::server
