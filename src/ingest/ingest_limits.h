// The limits every decoder of outside input in ingest enforces, in one struct
// with one config table, so that the HTTP gateway and every other source
// (file_drop, mqtt, kafka) share the same names, defaults and meaning.
//
// Each limit is answered with its own problem type (problem_type.h):
// max_body_bytes → body_too_large (413), max_decompressed_bytes →
// decompressed_too_large (413), max_events_per_batch → too_many_events (413),
// max_depth → too_deep (400), max_string_bytes → string_too_long (400),
// max_header_value_bytes → header_too_large (431), max_attribute_bytes →
// invalid_event (400, with the attribute's pointer).
#pragma once

#include <cstdint>

#include "core/config_table.h"

namespace eventlake::ingest {

struct IngestLimits {
  // A request body as received (before decompression).
  uint64_t max_body_bytes = uint64_t{16} << 20;
  // A body after gzip/zstd decompression; identity bodies are held to it too.
  uint64_t max_decompressed_bytes = uint64_t{64} << 20;
  // Events in one batch, plain JSON array or NDJSON body.
  uint32_t max_events_per_batch = 10000;
  // Nesting of JSON arrays and objects in one document (an event object
  // holding a data object is 2 deep; in a batch, 3).
  uint32_t max_depth = 64;
  // Bytes of one JSON string value or key, after unescaping.
  uint64_t max_string_bytes = uint64_t{1} << 20;
  // Bytes of one HTTP header value that ingest reads (ce-*, Idempotency-Key).
  uint64_t max_header_value_bytes = uint64_t{8} << 10;
  // Bytes of one context attribute value (id, source, type, subject,
  // dataschema, datacontenttype, time, extension strings).
  uint64_t max_attribute_bytes = uint64_t{4} << 10;
};

// The YAML table: keys named as the fields, byte sizes written "16MiB".
const config::Table<IngestLimits>& IngestLimitsTable();

}  // namespace eventlake::ingest
