// How the HTTP gateway answers what became of a request's events
// (ingest::Outcome), in one place for every endpoint that ingests.
//
// One event (structured, binary, a plain JSON object):
//   stored, duplicate, dead-lettered -> 200 {"accepted":[<entry>]}
//   rejected -> its problem+json (400 with the pointer)
//   failed   -> the append's problem+json (429 or 503 with Retry-After, 500)
// Many events (batch, JSON array, NDJSON, S3 notification):
//   200 {"accepted":[<entry>...],"rejected":[<rejection>...]}, or, when
//   some item failed to be appended, that failure's problem+json carrying
//   the same "accepted" and "rejected" members and "failed":[<failure>...],
//   so that a producer retries only what was not stored (a retry of the
//   whole request is safe too: stored ids are answered as duplicates).
//
//   entry      {"index","id","partition","offset"} (+ "duplicate":true, or
//              "stream":"<dead-letter stream>","dead_letter":{"type","detail","pointer"})
//   rejection  {"index","id"?,"type","status","detail","pointer"}
//   failure    {"index","id","type","status","detail"}
#pragma once

#include <string_view>
#include <vector>

#include "ingest/source_sink.h"
#include "server/http_message.h"

namespace eventlake::server {

HttpResponse AnswerOutcomes(const std::vector<ingest::Outcome>& outcomes, bool per_item,
                            std::string_view dead_letter_stream);

}  // namespace eventlake::server
