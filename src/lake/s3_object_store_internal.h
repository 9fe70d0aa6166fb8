// The request and response of one S3 call, and the helpers of
// s3_object_store*.cpp. Private to them.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lake/s3_object_store.h"

namespace eventlake::lake {

struct S3ObjectStore::Request {
  std::string method = "GET";
  std::string key;  // the full object key in the bucket ("" = the bucket)
  std::map<std::string, std::string> query;
  std::vector<std::string> headers;  // "Name: value"
  std::string_view body;             // PUT/POST body (unless upload_from)
  std::string upload_from;           // PUT a byte range of this local file
  uint64_t upload_offset = 0;
  uint64_t upload_length = 0;
  std::string download_to;  // GET into this local file instead of the body
  size_t max_body_bytes = 64u << 20;
};

struct S3ObjectStore::Response {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased

  std::string Header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return "";
  }
};

// Percent-encoding as SigV4 canonicalises it (RFC 3986 unreserved kept).
std::string S3Encode(std::string_view text, bool keep_slash);
// name=value pairs, sorted and encoded.
std::string S3Query(const std::map<std::string, std::string>& params);
// The Status of a non-2xx answer (404 NotFound, 412 AlreadyExists, ...).
Status S3StatusOf(const std::string& what, long status, const std::string& body);

}  // namespace eventlake::lake
