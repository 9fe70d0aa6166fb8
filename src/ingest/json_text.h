// Small pieces for writing JSON text by hand on hot paths (no DOM): string
// escaping and UTF-8 checks. Output is always valid JSON and valid UTF-8.
#pragma once

#include <string>
#include <string_view>

namespace eventlake::ingest {

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view text);

// True when every byte of `text` is below 0x80.
bool IsAscii(std::string_view text);

// Appends `text` as a quoted JSON string. Invalid UTF-8 sequences become
// U+FFFD, control characters are escaped.
void AppendJsonString(std::string_view text, std::string* out);

// The same when `text` IsValidUtf8 (one pass for both); false, and *out as
// it was, when it is not.
bool AppendValidJsonString(std::string_view text, std::string* out);

// `text` as a quoted JSON string.
std::string JsonString(std::string_view text);

}  // namespace eventlake::ingest
