// The `security:` config tables and their checks (see security_options.h).
//
// Checks on one entry run in the entry's table so that errors carry the
// entry's path; checks across entries run on the whole section.
// ValidateSecurityOptions repeats the per-entry checks for options built in
// code, which never went through a table.
#include "security/security_options.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <unordered_map>

#include "security/api_key.h"
#include "security/scram.h"

namespace eventlake::security {
namespace {

std::string Indexed(std::string_view key, size_t i) {
  return std::string(key) + "[" + std::to_string(i) + "]";
}

Status ValidatePolicyEntry(const Policy& policy) {
  EL_RETURN_IF_ERROR(ValidateName("name", policy.name));
  if (policy.statements.empty()) return InvalidArgument("statements: must have at least 1 entry");
  for (size_t i = 0; i < policy.statements.size(); ++i) {
    Status s = ValidateStatement(policy.statements[i]);
    if (!s.ok()) return s.WithContext(Indexed("statements", i));
  }
  return Status::Ok();
}

std::string LowerHex(std::string_view hex) {
  std::string out(hex);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Unique names and hashes; policies that exist.
Status CheckAcrossEntries(const SecurityOptions& options) {
  std::unordered_map<std::string, size_t> policies;
  for (size_t i = 0; i < options.policies.size(); ++i) {
    auto [it, added] = policies.emplace(options.policies[i].name, i);
    if (!added) {
      return InvalidArgument(Indexed("policies", i) + ".name: policy \"" + it->first +
                             "\" is already defined by " + Indexed("policies", it->second));
    }
  }
  std::unordered_map<std::string, size_t> names;
  std::unordered_map<std::string, size_t> hashes;
  for (size_t i = 0; i < options.api_keys.size(); ++i) {
    const ApiKeyOptions& key = options.api_keys[i];
    const std::string where = Indexed("api_keys", i);
    if (auto [it, added] = names.emplace(key.name, i); !added) {
      return InvalidArgument(where + ".name: \"" + key.name + "\" is already the name of " +
                             Indexed("api_keys", it->second));
    }
    if (auto [it, added] = hashes.emplace(LowerHex(key.key_sha256), i); !added) {
      return InvalidArgument(where + ".key_sha256: the same key as " +
                             Indexed("api_keys", it->second));
    }
    for (size_t p = 0; p < key.policies.size(); ++p) {
      if (policies.contains(key.policies[p])) continue;
      std::string defined;
      for (const Policy& policy : options.policies) {
        defined += (defined.empty() ? "" : ", ") + policy.name;
      }
      return InvalidArgument(where + "." + Indexed("policies", p) + ": unknown policy \"" +
                             key.policies[p] +
                             "\" (defined: " + (defined.empty() ? "none" : defined) + ")");
    }
  }
  return Status::Ok();
}

const config::Table<ColumnMask>& ColumnMaskTable() {
  static const auto& table =
      (new config::Table<ColumnMask>("security.policies[].statements[].masks[]",
                                     "For `tables:Select`: a column the principals this statement "
                                     "allows see masked."))
          ->Field("column", &ColumnMask::column, "The column.", {.required = true})
          .Enum("mask", &ColumnMask::mask,
                "`hash`: the SHA-256 of the value as text, in hex (equal values stay equal, so "
                "joins and GROUP BY still work); `redact`: the text REDACTED; `null`: NULL.",
                {{"hash", MaskKind::kHash}, {"redact", MaskKind::kRedact}, {"null", MaskKind::kNull}},
                {.required = true});
  return table;
}

const config::Table<Statement>& StatementTable() {
  using S = Statement;
  static const auto& table =
      (new config::Table<S>("security.policies[].statements[]",
                            "One statement: allows or denies some actions on some resources."))
          ->Enum("effect", &S::effect,
                 "`deny` wins over any `allow` of any policy of the same principal.",
                 {{"allow", Effect::kAllow}, {"deny", Effect::kDeny}}, {.required = true})
          .Field("actions", &S::actions,
                 "Action patterns such as `events:Put`, `streams:*` or `*`; matched "
                 "case-insensitively. `*` matches any run of characters, `?` one character.",
                 {.required = true, .min = 1})
          .Field("resources", &S::resources,
                 "Resource patterns such as `source/web`, `stream/*`, `table/curated.*` or `*`; "
                 "matched case-sensitively, with the same wildcards.",
                 {.required = true, .min = 1})
          .Field("columns", &S::columns,
                 "For `tables:Select`: the only columns the principal sees (empty: all). Applies "
                 "to every way of reading the table, `SELECT *`, joins and time travel included.")
          .Field("row_filter", &S::row_filter,
                 "For `tables:Select`: a SQL boolean expression over the table's columns "
                 "(`country = 'FR' AND NOT internal`); the principal sees only the rows where it "
                 "is true. No subqueries or table functions.")
          .List("masks", &S::masks, ColumnMaskTable())
          .Check(&ValidateStatement);
  return table;
}

const config::Table<Policy>& PolicyTable() {
  static const auto& table =
      (new config::Table<Policy>("security.policies[]",
                                 "A named policy: a list of statements granted to API keys."))
          ->Field("name", &Policy::name,
                  "Policy name: 1 to 128 ASCII letters, digits, `_`, `-`, `.` or `@`.",
                  {.required = true})
          .List("statements", &Policy::statements, StatementTable(), {.min = 1})
          .Check(&ValidatePolicyEntry);
  return table;
}

const config::Table<ApiKeyOptions>& ApiKeyTable() {
  using K = ApiKeyOptions;
  static const auto& table =
      (new config::Table<K>("security.api_keys[]",
                            "An API key, sent as `Authorization: Bearer <key>`; stored as its "
                            "SHA-256 only."))
          ->Field("name", &K::name,
                  "The principal this key authenticates as (audit logs, 403 details): 1 to 128 "
                  "ASCII letters, digits, `_`, `-`, `.` or `@`.",
                  {.required = true})
          .Field("key_sha256", &K::key_sha256,
                 "SHA-256 of the key, 64 hex characters, as printed by `eventlake keys generate`.",
                 {.required = true, .secret = true})
          .Field("scram_sha256", &K::scram_sha256,
                 "A SCRAM-SHA-256 verifier of the key, as printed by `eventlake keys generate`: lets "
                 "Postgres clients log in with the key without sending it (docs/query.md).",
                 {.secret = true})
          .Field("policies", &K::policies, "Names of the policies granted to this key.")
          .Check(&ValidateApiKeyOptions);
  return table;
}

}  // namespace

Status ValidateApiKeyOptions(const ApiKeyOptions& key) {
  EL_RETURN_IF_ERROR(ValidateName("name", key.name));
  if (key.name == AnonymousPrincipal().name) {
    return InvalidArgument("name: \"anonymous\" is reserved for requests without authentication");
  }
  if (key.key_sha256.starts_with(kApiKeyPrefix)) {
    return InvalidArgument(
        "key_sha256: this looks like an API key, not its hash: put the key's SHA-256 here "
        "(`eventlake keys generate` prints both) and keep the key itself out of the file");
  }
  if (Result<Sha256Digest> digest = ParseSha256Hex(key.key_sha256); !digest) {
    return digest.error().WithContext("key_sha256");
  }
  if (!key.scram_sha256.empty()) {
    if (Result<ScramVerifier> verifier = ParseScramVerifier(key.scram_sha256); !verifier) {
      return verifier.error().WithContext("scram_sha256");
    }
  }
  for (size_t i = 0; i < key.policies.size(); ++i) {
    Status s = ValidateName("policy name", key.policies[i]);
    if (!s.ok()) return s.WithContext(Indexed("policies", i));
  }
  return Status::Ok();
}

Status ValidateSecurityOptions(const SecurityOptions& options) {
  for (size_t i = 0; i < options.api_keys.size(); ++i) {
    Status s = ValidateApiKeyOptions(options.api_keys[i]);
    if (!s.ok()) return s.WithContext(Indexed("api_keys", i));
  }
  for (size_t i = 0; i < options.policies.size(); ++i) {
    Status s = ValidatePolicyEntry(options.policies[i]);
    if (!s.ok()) return s.WithContext(Indexed("policies", i));
  }
  return CheckAcrossEntries(options);
}

const config::Table<SecurityOptions>& SecurityOptionsTable() {
  using O = SecurityOptions;
  static const auto& table =
      (new config::Table<O>("security",
                            "Authentication and authorization: API keys and the policies they "
                            "grant. Without keys, every listener must be on loopback."))
          ->List("api_keys", &O::api_keys, ApiKeyTable())
          .List("policies", &O::policies, PolicyTable())
          .Check(&CheckAcrossEntries);
  return table;
}

}  // namespace eventlake::security
