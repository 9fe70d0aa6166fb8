// API keys (see api_key.h). OpenSSL supplies the randomness and SHA-256.
#include "security/api_key.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

namespace eventlake::security {
namespace {

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kHexDigits[] = "0123456789abcdef";

constexpr std::string_view kHowTo = "send `Authorization: Bearer <api key>`";

// Base64url without padding (RFC 4648 section 5).
std::string Base64UrlEncode(const uint8_t* data, size_t size) {
  std::string out;
  out.reserve((size * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) out += kBase64Url[(v >> shift) & 0x3F];
  }
  const size_t rest = size - i;
  if (rest > 0) {
    uint32_t v = uint32_t{data[i]} << 16;
    if (rest == 2) v |= uint32_t{data[i + 1]} << 8;
    out += kBase64Url[(v >> 18) & 0x3F];
    out += kBase64Url[(v >> 12) & 0x3F];
    if (rest == 2) out += kBase64Url[(v >> 6) & 0x3F];
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsB64TokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

bool IsBearerScheme(std::string_view scheme) {
  constexpr std::string_view kBearer = "bearer";
  if (scheme.size() != kBearer.size()) return false;
  for (size_t i = 0; i < scheme.size(); ++i) {
    const char c =
        (scheme[i] >= 'A' && scheme[i] <= 'Z') ? static_cast<char>(scheme[i] + 32) : scheme[i];
    if (c != kBearer[i]) return false;
  }
  return true;
}

std::string_view TrimSpaceAndTab(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

}  // namespace

std::string GenerateApiKey() {
  uint8_t bytes[kApiKeyRandomBytes];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    std::fputs("eventlake: RAND_bytes failed: no secure random source for an API key\n", stderr);
    std::abort();
  }
  return std::string(kApiKeyPrefix) + Base64UrlEncode(bytes, sizeof(bytes));
}

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest digest{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1 ||
      size != digest.size()) {
    std::fputs("eventlake: EVP_Digest(SHA-256) failed\n", stderr);  // only without memory
    std::abort();
  }
  return digest;
}

Sha256Digest HmacSha256(std::string_view key, std::string_view data) {
  Sha256Digest out{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const uint8_t*>(data.data()),
           data.size(), out.data(), &length) == nullptr) {
    std::fputs("eventlake: HMAC(SHA-256) failed\n", stderr);  // only without memory
    std::abort();
  }
  return out;
}

std::string HexOf(const Sha256Digest& digest) {
  std::string hex;
  hex.reserve(digest.size() * 2);
  for (uint8_t b : digest) {
    hex += kHexDigits[b >> 4];
    hex += kHexDigits[b & 0xF];
  }
  return hex;
}

std::string HashApiKey(std::string_view key) { return HexOf(Sha256(key)); }

bool IsSha256Hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (HexValue(c) < 0) return false;
  }
  return true;
}

Result<Sha256Digest> ParseSha256Hex(std::string_view hex) {
  if (!IsSha256Hex(hex)) {
    return Err(InvalidArgument("expected 64 hex characters (a SHA-256), got " +
                               std::to_string(hex.size()) + " characters" +
                               (hex.size() == 64 ? " that are not all hex digits" : "")));
  }
  Sha256Digest digest{};
  for (size_t i = 0; i < digest.size(); ++i) {
    digest[i] = static_cast<uint8_t>((HexValue(hex[2 * i]) << 4) | HexValue(hex[2 * i + 1]));
  }
  return digest;
}

Result<std::string> ParseBearer(std::string_view authorization_header) {
  const std::string_view value = TrimSpaceAndTab(authorization_header);
  if (value.empty())
    return Err(Unauthenticated("missing Authorization header: " + std::string(kHowTo)));
  const size_t space = value.find(' ');
  if (!IsBearerScheme(value.substr(0, space))) {
    // The "scheme" may be a bare key: never repeat it.
    return Err(Unauthenticated("the Authorization header must use the Bearer scheme: " +
                               std::string(kHowTo)));
  }
  if (space == std::string_view::npos) {
    return Err(Unauthenticated("the Authorization header has no token after Bearer: " +
                               std::string(kHowTo)));
  }
  const std::string_view token = value.substr(value.find_first_not_of(' ', space));
  if (token.size() > kMaxBearerTokenLength) {
    return Err(Unauthenticated("the bearer token is longer than " +
                               std::to_string(kMaxBearerTokenLength) + " characters"));
  }
  size_t end = 0;
  while (end < token.size() && IsB64TokenChar(token[end])) ++end;
  const size_t body = end;
  while (end < token.size() && token[end] == '=') ++end;
  if (body == 0 || end != token.size()) {
    return Err(Unauthenticated(
        "the bearer token has a character that is not allowed (RFC 6750: letters, digits, "
        "'-', '.', '_', '~', '+', '/', then optional '=' padding)"));
  }
  return std::string(token);
}

}  // namespace eventlake::security
