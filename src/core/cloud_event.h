// The CloudEvents 1.0 event model: what every source produces and every
// stream, pipeline and table consumes.
//
// Attribute names and rules follow the CloudEvents 1.0.2 specification
// (required: id, source, specversion, type; optional: datacontenttype,
// dataschema, subject, time; extensions: lower-case alphanumeric names).
// `data` is opaque bytes described by `data_content_type`; JSON data is kept
// as its JSON text. Validation of outside input lives in ingest; this type
// only holds values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.h"

namespace eventlake {

// Microseconds since the Unix epoch, UTC. The resolution of DuckDB, Parquet
// TIMESTAMP_MICROS and Delta Lake timestamps.
using TimestampMicros = int64_t;

// A CloudEvents extension attribute value: the spec's Boolean, Integer and
// String (URI, URI-reference, Timestamp and Binary travel as their string form).
using ExtensionValue = std::variant<bool, int64_t, std::string>;

struct Extension {
  std::string name;
  ExtensionValue value;
  friend bool operator==(const Extension&, const Extension&) = default;
};

struct CloudEvent {
  // Required attributes.
  std::string id;
  std::string source;
  std::string spec_version = "1.0";
  std::string type;
  // Optional attributes.
  std::optional<std::string> data_content_type;
  std::optional<std::string> data_schema;
  std::optional<std::string> subject;
  std::optional<TimestampMicros> time;
  // Extension attributes in arrival order; names are unique.
  std::vector<Extension> extensions;
  // The payload, exactly as received (JSON text for JSON data).
  std::string data;
  // True when `data` arrived as `data_base64` (binary data in the JSON format).
  bool data_is_binary = false;

  // The extension named `name`, if present.
  const ExtensionValue* FindExtension(std::string_view name) const;
  // Sets (replacing) an extension.
  void SetExtension(std::string name, ExtensionValue value);

  friend bool operator==(const CloudEvent&, const CloudEvent&) = default;
};

// The CloudEvents partitioning extension attribute.
inline constexpr std::string_view kPartitionKeyExtension = "partitionkey";

// RFC 3339 timestamps ("2026-11-25T02:06:55.123456Z"): 'T' or 't', any
// offset or 'Z', 1 to 9 fraction digits (beyond microseconds truncated),
// years 0001..9999; leap seconds (second 60) are rejected.
Result<TimestampMicros> ParseRfc3339(std::string_view text);
// Always UTC with a 'Z' and six fraction digits.
std::string FormatRfc3339(TimestampMicros micros);

}  // namespace eventlake
