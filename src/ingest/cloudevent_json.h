// The CloudEvents 1.0 JSON event format (structured mode and batches):
// parsing outside input into CloudEvent values, and writing them back out.
//
// Parsing is for untrusted input: the text is checked against JsonLimits
// (nesting depth, string length, events per batch) before it is parsed, every
// error is an InvalidArgument naming the attribute, and no exception escapes.
//
// Mapping (CloudEvents JSON format 1.0.2):
// - id, source, type: required non-empty strings; specversion must be "1.0".
// - datacontenttype, dataschema, subject: optional strings; time: RFC 3339.
// - `data`: kept as its JSON text when the content type is JSON or absent; a
//   JSON string under any other content type is kept as the string's value.
// - `data_base64`: decoded into bytes, with data_is_binary set. Both `data`
//   and `data_base64` present is an error.
// - every other member is an extension: the name must be 1..20 characters of
//   a-z0-9 and the value a string, an integer or a boolean; null means absent.
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
  size_t max_events = 10000;     // elements of one batch
};

// One structured-mode event (`application/cloudevents+json`).
Result<CloudEvent> ParseStructuredEvent(std::string_view json, const JsonLimits& limits = {});

// A batch (`application/cloudevents-batch+json`): a JSON array of structured
// events, possibly empty. An error names the index of the bad event.
Result<std::vector<CloudEvent>> ParseBatch(std::string_view json, const JsonLimits& limits = {});

// Checks nesting depth and string lengths of `json` without parsing it.
// Malformed text passes here and fails in the parser.
Status CheckJsonLimits(std::string_view json, const JsonLimits& limits);

// The structured-mode JSON of `event`: `data` embedded as JSON when it is JSON
// text and the content type is JSON or absent; otherwise a "data" string, or
// "data_base64" when the data is binary or not valid UTF-8.
std::string ToStructuredJson(const CloudEvent& event);
// Appends ToStructuredJson(event) to `out`.
void AppendStructuredJson(const CloudEvent& event, std::string* out);

// True for application/json, text/json and any "+json" suffix type
// (parameters and case ignored).
bool IsJsonContentType(std::string_view content_type);

// Extension attribute names: 1..20 characters of a-z and 0-9.
bool IsValidExtensionName(std::string_view name);

}  // namespace eventlake::ingest
