// Request bodies sent with `Content-Encoding: gzip` or `zstd`, inflated under
// a cap so that a small compressed body (a "zip bomb") can never take more
// than `max_output` bytes of memory.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

#include "ingest/problem_type.h"

namespace eventlake::ingest {

// The bytes a body stands for under `content_encoding` (a Content-Encoding
// header value; case and surrounding spaces ignored):
// - "" or "identity": `body` itself, not copied;
// - "gzip" or "x-gzip": RFC 1952, concatenated members included;
// - "zstd": RFC 8878 frames (skippable frames and frames without a content
//   size included), decoded by streaming.
// Inflated bytes are written to `*storage` (its capacity is reused from call
// to call), and the view returned points into it; the view is valid while
// `*storage` is neither changed nor destroyed (or, for identity, while `body`
// lives).
//
// Problems: unsupported_encoding (415) for any other coding, lists included
// ("gzip, zstd"); invalid_encoding (400) for corrupt or truncated data;
// decompressed_too_large (413) as soon as the output would pass
// `max_output` (also for an identity body longer than that, and for a zstd
// frame whose declared window is larger than the cap allows). Memory used is
// at most max_output + 1 bytes of output plus the decoder's state. Never throws.
// Thread-safe: zstd contexts are cached per thread.
std::expected<std::string_view, IngestProblem> Decompress(std::string_view body,
                                                          std::string_view content_encoding,
                                                          size_t max_output, std::string* storage);

}  // namespace eventlake::ingest
