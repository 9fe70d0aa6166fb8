// Standard base64 (RFC 4648 §4): CloudEvents' `data_base64`, SCRAM's messages.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace eventlake {

// Padded standard base64 of `bytes`.
std::string EncodeBase64(std::string_view bytes);
// Appends EncodeBase64(bytes) to `out`.
void AppendBase64(std::string_view bytes, std::string* out);
// Accepts padded or unpadded standard base64 (no whitespace); InvalidArgument
// on any other character, bad padding or impossible length.
Result<std::string> DecodeBase64(std::string_view text);

}  // namespace eventlake
