// ParseHttpResponse (see ingest_http_response.h).
#include "ingest_http_response.h"

#include <cctype>
#include <charconv>
#include <cstring>

namespace eventlake::bench {
namespace {

constexpr size_t kMaxHeadBytes = 64 * 1024;

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool ContainsNoCase(std::string_view text, std::string_view word) {
  for (size_t i = 0; i + word.size() <= text.size(); ++i) {
    if (EqualsNoCase(text.substr(i, word.size()), word)) return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "HTTP/1.1 200 OK": the status, and whether the version keeps connections alive.
bool ParseStatusLine(std::string_view line, int* status, bool* http10) {
  if (line.size() < 12 || line.substr(0, 5) != "HTTP/" || line[8] != ' ') return false;
  *http10 = line.substr(5, 3) == "1.0";
  auto [end, ec] = std::from_chars(line.data() + 9, line.data() + 12, *status);
  bool separated = line.size() == 12 || line[12] == ' ';
  return ec == std::errc() && end == line.data() + 12 && separated && *status >= 100 &&
         *status <= 599;
}

// The framing headers of the head's header lines (after the status line).
struct Framing {
  long long content_length = -1;
  bool chunked = false;
  bool close = false;
  bool keep_alive = false;
};

bool ParseHeaders(std::string_view headers, Framing* f, std::string* error) {
  while (!headers.empty()) {
    size_t eol = headers.find("\r\n");
    std::string_view line = headers.substr(0, eol);
    headers.remove_prefix(eol == std::string_view::npos ? headers.size() : eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return *error = "header line without ':'", false;
    std::string_view name = line.substr(0, colon);
    std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsNoCase(name, "content-length")) {
      long long n = -1;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size() || n < 0) {
        return *error = "bad Content-Length '" + std::string(value) + "'", false;
      }
      if (f->content_length >= 0 && f->content_length != n) {
        return *error = "two different Content-Length headers", false;
      }
      f->content_length = n;
    } else if (EqualsNoCase(name, "transfer-encoding")) {
      f->chunked = f->chunked || ContainsNoCase(value, "chunked");
    } else if (EqualsNoCase(name, "connection")) {
      f->close = f->close || ContainsNoCase(value, "close");
      f->keep_alive = f->keep_alive || ContainsNoCase(value, "keep-alive");
    }
  }
  return true;
}

}  // namespace

ParseResult ParseHttpResponse(std::string_view buffer, HttpResponse* out, std::string* error) {
  size_t head_end = buffer.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    if (buffer.size() > kMaxHeadBytes)
      return *error = "response head over 64 KiB", ParseResult::kError;
    return ParseResult::kNeedMore;
  }
  std::string_view head = buffer.substr(0, head_end);
  size_t status_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, status_end);
  bool http10 = false;
  if (!ParseStatusLine(status_line, &out->status, &http10)) {
    *error = "bad status line '" + std::string(status_line.substr(0, 80)) + "'";
    return ParseResult::kError;
  }
  Framing framing;
  std::string_view headers =
      status_end == std::string_view::npos ? std::string_view() : head.substr(status_end + 2);
  if (!ParseHeaders(headers, &framing, error)) return ParseResult::kError;
  if (framing.chunked) {
    *error = "chunked response bodies are not supported by this client";
    return ParseResult::kError;
  }
  if (out->status < 200) return *error = "unexpected 1xx response", ParseResult::kError;
  bool bodiless = out->status == 204 || out->status == 304;
  if (framing.content_length < 0 && !bodiless) {
    *error = "response without Content-Length (status " + std::to_string(out->status) + ")";
    return ParseResult::kError;
  }
  size_t length = bodiless ? 0 : static_cast<size_t>(framing.content_length);
  size_t body_start = head_end + 4;
  if (buffer.size() - body_start < length) return ParseResult::kNeedMore;
  out->body = buffer.substr(body_start, length);
  out->size = body_start + length;
  out->close = framing.close || (http10 && !framing.keep_alive);
  return ParseResult::kComplete;
}

size_t CountOccurrences(std::string_view text, std::string_view needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

}  // namespace eventlake::bench
