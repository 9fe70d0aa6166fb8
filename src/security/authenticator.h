// Authentication: from an Authorization header to the Principal of the API
// key it carries.
//
// Built once from the `security:` options and immutable afterwards, so one
// Authenticator is safe to use from every event loop. It knows keys only by
// their SHA-256: a presented key is hashed, looked up by the first 8 bytes of
// its digest, and the full digests are compared in constant time
// (CRYPTO_memcmp), so response timing tells nothing about a stored hash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"
#include "security/api_key.h"
#include "security/principal.h"
#include "security/scram.h"
#include "security/security_options.h"

namespace eventlake::security {

class Authenticator {
 public:
  Authenticator() = default;  // no keys: disabled

  // Checks `options` (ValidateSecurityOptions) and indexes its keys;
  // InvalidArgument when they are not valid.
  static Result<Authenticator> Create(const SecurityOptions& options);

  // True when at least one key is configured. When false, authentication is
  // off: Authenticate() answers AnonymousPrincipal() for every request, with
  // or without a header, and the server must listen on loopback only and skip
  // authorization.
  bool enabled() const { return !keys_.empty(); }

  // The principal of the key in `authorization_header` (the header's value,
  // empty when the request has none). Unauthenticated, with a message fit for
  // a 401 answer that never repeats the key, when the header is missing or
  // malformed (see ParseBearer) or the key is not configured.
  Result<Principal> Authenticate(std::string_view authorization_header) const;

  // The key named `name` when it has a SCRAM verifier (scram_sha256);
  // nullptr otherwise. For the Postgres port, where the user names the key.
  struct ScramCredential {
    ScramVerifier verifier;
    Principal principal;
  };
  const ScramCredential* ScramCredentialOf(std::string_view name) const;

 private:
  struct Key {
    Sha256Digest digest;
    Principal principal;
  };

  // Keyed by the first 8 bytes of the digest; the rest is compared in constant time.
  std::unordered_multimap<uint64_t, Key> keys_;
  std::unordered_map<std::string, ScramCredential> scram_;  // by key name
};

}  // namespace eventlake::security
