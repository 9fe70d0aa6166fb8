// The minimal HTTP/1.1 response parser of bench/ingest_http: status line,
// Content-Length and Connection: close, which is all a closed-loop client
// with one request in flight per connection needs. It is strict where being
// lax would hide a server bug: chunked bodies, a body without Content-Length
// and malformed heads are reported as errors, never guessed at.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace eventlake::bench {

struct HttpResponse {
  int status = 0;
  bool close = false;     // the server said Connection: close (or it is HTTP/1.0)
  std::string_view body;  // points into the buffer given to ParseHttpResponse
  size_t size = 0;        // bytes of head and body: what to drop from the buffer
};

enum class ParseResult { kComplete, kNeedMore, kError };

// Parses the response at the start of `buffer`. kComplete fills *out;
// kNeedMore means the buffer holds only a prefix of one; kError sets *error
// to what is wrong (a chunked body is such an error: this client does not
// decode them). Heads larger than 64 KiB are errors.
ParseResult ParseHttpResponse(std::string_view buffer, HttpResponse* out, std::string* error);

// Number of times `needle` occurs in `text`, without overlaps.
size_t CountOccurrences(std::string_view text, std::string_view needle);

}  // namespace eventlake::bench
