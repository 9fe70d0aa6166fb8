// The binary encoding of a CloudEvent inside a log record (the record's
// payload; format in docs/formats/log.md, "Payload"). Decoding is a parser of
// bytes read from disk, so it checks every length and never trusts the input.
#pragma once

#include <string>
#include <string_view>

#include "core/cloud_event.h"
#include "core/status.h"

namespace eventlake::log {

inline constexpr uint8_t kEventFormatVersion = 1;
// Upper bound on one encoded event (and so on a record's payload).
inline constexpr size_t kMaxEventBytes = 16u << 20;

// Appends the encoding of `event` to `out`.
void EncodeEvent(const CloudEvent& event, std::string* out);
// The exact size EncodeEvent would append.
size_t EncodedEventSize(const CloudEvent& event);

// Decodes one event that must span all of `payload`. Corruption on any
// malformed input.
Result<CloudEvent> DecodeEvent(std::string_view payload);

}  // namespace eventlake::log
