// The config table of IngestLimits.
#include "ingest/ingest_limits.h"

namespace eventlake::ingest {

const config::Table<IngestLimits>& IngestLimitsTable() {
  static const auto& table =
      (new config::Table<IngestLimits>("limits", "Limits on what producers may send."))
          ->Field("max_body_bytes", &IngestLimits::max_body_bytes,
                  "Largest request body as received, compressed or not (larger: 413).",
                  {.min = 1024, .bytes = true})
          .Field("max_decompressed_bytes", &IngestLimits::max_decompressed_bytes,
                 "Largest body after gzip or zstd decompression (larger: 413).",
                 {.min = 1024, .bytes = true})
          .Field("max_events_per_batch", &IngestLimits::max_events_per_batch,
                 "Most events in one batch, JSON array or NDJSON body (more: 413).",
                 {.min = 1, .max = 1'000'000})
          .Field("max_depth", &IngestLimits::max_depth,
                 "Deepest nesting of JSON arrays and objects in a body (deeper: 400).",
                 {.min = 2, .max = 1024})
          .Field("max_string_bytes", &IngestLimits::max_string_bytes,
                 "Longest JSON string value or key, in bytes (longer: 400).",
                 {.min = 64, .bytes = true})
          .Field("max_header_value_bytes", &IngestLimits::max_header_value_bytes,
                 "Longest ce-* or Idempotency-Key header value (longer: 431).",
                 {.min = 64, .bytes = true})
          .Field("max_attribute_bytes", &IngestLimits::max_attribute_bytes,
                 "Longest CloudEvents context attribute value, e.g. id or subject (longer: 400).",
                 {.min = 64, .bytes = true})
          .Check([](const IngestLimits& l) -> Status {
            if (l.max_decompressed_bytes < l.max_body_bytes) {
              return InvalidArgument("max_decompressed_bytes must be >= max_body_bytes");
            }
            return Status::Ok();
          });
  return table;
}

}  // namespace eventlake::ingest
