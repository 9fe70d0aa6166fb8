// `eventlake keys` (see keys_command.h).
#include "cli/keys_command.h"

#include <iostream>
#include <memory>

#include "cli/cli_support.h"
#include "security/api_key.h"
#include "security/policy.h"
#include "security/scram.h"

namespace eventlake::cli {

std::string RenderGeneratedKey(std::string_view name, std::string_view key) {
  const std::string n(name);
  const std::string hash = security::HashApiKey(key);
  const std::string scram = security::FormatScramVerifier(security::MakeScramVerifier(key));
  return "API key for \"" + n +
         "\" (shown only now: keep it in a secret store, eventlake keeps only its hash):\n\n"
         "  " +
         std::string(key) +
         "\n\n"
         "SHA-256 of the key:\n\n"
         "  " +
         hash +
         "\n\n"
         "Clients send it as `Authorization: Bearer <key>`; Postgres clients as the password of\n"
         "user \"" + n + "\" (SCRAM-SHA-256). Add to eventlake.yaml (define each\n"
         "policy once; see docs/security.md):\n\n"
         "security:\n"
         "  api_keys:\n"
         "    - name: " +
         n +
         "\n"
         "      key_sha256: " +
         hash +
         "\n"
         "      scram_sha256: " +
         scram +
         "\n"
         "      policies: [producer]\n"
         "  policies:\n"
         "    - name: producer\n"
         "      statements:\n"
         "        - effect: allow\n"
         "          actions: [\"events:Put\"]\n"
         "          resources: [\"source/*\"]\n";
}

void AddKeysCommand(CLI::App& app) {
  CLI::App* keys = app.add_subcommand("keys", "API key tools (offline)");
  keys->require_subcommand(1);
  auto name = std::make_shared<std::string>(kDefaultKeyName);
  CLI::App* generate = keys->add_subcommand(
      "generate", "Make a new API key; print it once, its SHA-256 and a YAML snippet");
  generate->add_option("--name", *name, "The principal the key authenticates as")
      ->capture_default_str();
  generate->callback([name] {
    Status valid = security::ValidateName("--name", *name);
    if (valid.ok() && *name == security::AnonymousPrincipal().name) {
      valid = InvalidArgument("--name: \"anonymous\" is reserved for requests without a key");
    }
    if (!valid.ok()) {
      ReportFailure(valid);
      ExitWith(kExitUsage);
    }
    std::cout << RenderGeneratedKey(*name, security::GenerateApiKey()) << std::flush;
  });
}

}  // namespace eventlake::cli
