// Authentication by API key (see authenticator.h).
#include "security/authenticator.h"

#include <openssl/crypto.h>

#include <cstring>

namespace eventlake::security {
namespace {

uint64_t BucketOf(const Sha256Digest& digest) {
  uint64_t bucket = 0;
  std::memcpy(&bucket, digest.data(), sizeof(bucket));
  return bucket;
}

}  // namespace

Result<Authenticator> Authenticator::Create(const SecurityOptions& options) {
  EL_RETURN_IF_ERROR(ValidateSecurityOptions(options).WithContext("security"));
  Authenticator authenticator;
  for (const ApiKeyOptions& key : options.api_keys) {
    EL_ASSIGN_OR_RETURN(Sha256Digest digest, ParseSha256Hex(key.key_sha256));
    Key entry{.digest = digest,
              .principal = {.name = key.name, .policies = key.policies, .anonymous = false}};
    if (!key.scram_sha256.empty()) {
      EL_ASSIGN_OR_RETURN(ScramVerifier verifier, ParseScramVerifier(key.scram_sha256));
      authenticator.scram_.emplace(key.name, ScramCredential{std::move(verifier), entry.principal});
    }
    authenticator.keys_.emplace(BucketOf(digest), std::move(entry));
  }
  return authenticator;
}

Result<Principal> Authenticator::Authenticate(std::string_view authorization_header) const {
  if (!enabled()) return AnonymousPrincipal();
  EL_ASSIGN_OR_RETURN(std::string token, ParseBearer(authorization_header));
  const Sha256Digest digest = Sha256(token);
  auto [begin, end] = keys_.equal_range(BucketOf(digest));
  for (auto it = begin; it != end; ++it) {
    if (CRYPTO_memcmp(it->second.digest.data(), digest.data(), digest.size()) == 0) {
      return it->second.principal;
    }
  }
  return Err(Unauthenticated("the API key is not valid: unknown or revoked"));
}

const Authenticator::ScramCredential* Authenticator::ScramCredentialOf(std::string_view name) const {
  auto it = scram_.find(std::string(name));
  return it == scram_.end() ? nullptr : &it->second;
}

}  // namespace eventlake::security
