// The `security:` section of eventlake.yaml: API keys (stored as SHA-256
// hashes) and the policies they grant.
//
//   security:
//     api_keys:
//       - name: web-frontend                # the principal
//         key_sha256: 5e884898da28...       # `eventlake keys generate` prints it
//         scram_sha256: SCRAM-SHA-256$4096:...  # optional: SCRAM for the Postgres port
//         policies: [producer]
//     policies:
//       - name: producer
//         statements:
//           - effect: allow
//             actions: ["events:Put"]
//             resources: ["source/web", "source/mobile-*"]
//
// Unknown keys and bad values are errors naming their path
// ("security.policies[0].statements[1].effect: ..."); cross-checks run
// after parsing: names are unique, every key's hash is unique, every
// referenced policy exists. The policy language is documented in policy.h and
// docs/security.md.
#pragma once

#include <string>
#include <vector>

#include "core/config_table.h"
#include "core/status.h"
#include "security/policy.h"

namespace eventlake::security {

struct ApiKeyOptions {
  std::string name;                   // the principal's name
  std::string key_sha256;             // 64 hex characters: HashApiKey(key)
  std::vector<std::string> policies;  // names of entries of SecurityOptions::policies
  std::string scram_sha256;           // "" or a SCRAM verifier of the key (scram.h), for Postgres clients
};

struct SecurityOptions {
  std::vector<ApiKeyOptions> api_keys;
  std::vector<Policy> policies;
};

// The table for `security:`. Parse() runs every check below. Lives forever;
// thread-safe.
const config::Table<SecurityOptions>& SecurityOptionsTable();

// One key on its own: its name (not the reserved "anonymous"), the shape of
// its hash (a pasted key instead of its hash gets its own message). Messages
// start with the field ("key_sha256: ...") and never repeat the hash.
Status ValidateApiKeyOptions(const ApiKeyOptions& key);

// The whole section, also for options built in code: every key and policy on
// its own, unique policy names, key names and key hashes, and policies that
// exist for every key. Messages start with the path inside the section
// ("api_keys[1].policies[0]: unknown policy \"x\" ...").
Status ValidateSecurityOptions(const SecurityOptions& options);

}  // namespace eventlake::security
