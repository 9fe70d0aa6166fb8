// RFC 9457 problem details (application/problem+json) and the one table that
// maps StatusCode to HTTP status. Every error the HTTP API answers goes
// through here, so a Status code means the same HTTP status everywhere.
//
// Body: {"type":"https://eventlake.dev/problems/<name>","title":"...",
//        "status":N,"detail":"..."} where <name> is StatusCodeName(code) for
// Status errors, or an HTTP-level name (method_not_allowed,
// payload_too_large, ...) for errors found before a handler runs.
#pragma once

#include <string_view>

#include "core/status.h"
#include "ingest/problem_type.h"
#include "server/http_message.h"

namespace eventlake::server {

// The HTTP status for a code: invalid_argument 400, unauthenticated 401,
// permission_denied 403, not_found 404, already_exists/conflict/
// failed_precondition 409, resource_exhausted 429, deadline_exceeded 504,
// unavailable 503, io_error/corruption/internal 500 (ok: 200).
unsigned HttpStatusFor(StatusCode code);

// The problem+json response for a failed Status (must not be OK). Retryable
// codes (429, 503) carry `Retry-After: 1`.
HttpResponse ProblemResponse(const Status& status);
// The same with extension members: `members` is JSON object members without
// braces (`"accepted":[...]`), appended after "detail".
HttpResponse ProblemResponse(const Status& status, std::string_view members);

// A problem+json response for an HTTP-level error: `name` becomes the last
// part of the type URI; the title is the status's reason phrase.
HttpResponse ProblemResponse(unsigned http_status, std::string_view name, std::string_view detail);

// An ingestion problem: its own status (400, 413, 415, 431), type and title,
// and a `pointer` member (RFC 6901, into the body) when it has one.
HttpResponse ProblemResponse(const ingest::IngestProblem& problem);

}  // namespace eventlake::server
