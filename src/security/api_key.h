// API keys: how they are made, how they are stored (only as SHA-256 hashes)
// and how they arrive (`Authorization: Bearer <key>`, RFC 6750).
//
// A key is "elk_" followed by 43 base64url characters: 32 bytes from
// OpenSSL's RAND_bytes, without padding. The configuration holds the key's
// SHA-256 in lower-case hex, never the key itself.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace eventlake::security {

inline constexpr std::string_view kApiKeyPrefix = "elk_";
inline constexpr size_t kApiKeyRandomBytes = 32;
inline constexpr size_t kApiKeyLength = 4 + 43;  // prefix + base64url of 32 bytes
inline constexpr size_t kMaxBearerTokenLength = 512;

using Sha256Digest = std::array<uint8_t, 32>;

// A new random key. Aborts the process if the system's random source fails:
// a weak key would be worse than no key, and that failure is not recoverable.
std::string GenerateApiKey();

// The SHA-256 of `key` as 64 lower-case hex characters: what the
// configuration stores (`key_sha256`).
std::string HashApiKey(std::string_view key);
// The same digest as raw bytes.
Sha256Digest Sha256(std::string_view data);
// HMAC-SHA-256 of `data` under `key` (RFC 2104).
Sha256Digest HmacSha256(std::string_view key, std::string_view data);
// A digest as 64 lower-case hex characters.
std::string HexOf(const Sha256Digest& digest);

// True for exactly 64 hex characters (either case).
bool IsSha256Hex(std::string_view text);
// The bytes of a hex digest; InvalidArgument unless IsSha256Hex(hex). The
// message never repeats the input.
Result<Sha256Digest> ParseSha256Hex(std::string_view hex);

// The token of an Authorization header value "Bearer <token>": the scheme is
// matched case-insensitively, one or more spaces separate it from the token,
// surrounding spaces and tabs are ignored, and the token must be an RFC 6750
// b64token (letters, digits, "-._~+/", then optional '=' padding) of at most
// kMaxBearerTokenLength characters. Errors are Unauthenticated with a message
// fit for a 401 answer; they never repeat the token.
Result<std::string> ParseBearer(std::string_view authorization_header);

}  // namespace eventlake::security
