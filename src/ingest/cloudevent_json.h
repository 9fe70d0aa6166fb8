// Writing CloudEvents in the JSON event format (structured mode), for every
// answer that returns stored events, and a cheap pre-check of JSON nesting and
// string length for small JSON documents read with nlohmann (management API
// bodies, file records, S3 notifications). Events from outside are parsed by
// event_decoder.h.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/cloud_event.h"
#include "core/status.h"

namespace eventlake::ingest {

struct JsonLimits {
  size_t max_depth = 64;         // nesting of arrays and objects
  size_t max_string = 1u << 20;  // bytes of one string as written (escapes included)
};

// Checks nesting depth and string lengths of `json` without parsing it.
// Malformed text passes here and fails in the parser.
Status CheckJsonLimits(std::string_view json, const JsonLimits& limits);

// The structured-mode JSON of `event`: `data` embedded as JSON when it is JSON
// text and the content type is JSON or absent; otherwise a "data" string, or
// "data_base64" when the data is binary or not valid UTF-8.
std::string ToStructuredJson(const CloudEvent& event);
// Appends ToStructuredJson(event) to `out`.
void AppendStructuredJson(const CloudEvent& event, std::string* out);

}  // namespace eventlake::ingest
