// `eventlake keys generate [--name NAME]`: makes a new API key offline and
// prints it once, with its SHA-256 and a `security:` snippet for
// eventlake.yaml. The key itself is never stored anywhere by eventlake: the
// configuration holds only the hash, so a lost key is replaced, not recovered.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>

namespace eventlake::cli {

inline constexpr std::string_view kDefaultKeyName = "my-app";

void AddKeysCommand(CLI::App& app);

// What `keys generate` prints for `key` given to the principal `name`: the
// key, its SHA-256, then (last, from the line "security:" on) YAML that
// eventlake.yaml accepts as is, granting `events:Put` on every source.
std::string RenderGeneratedKey(std::string_view name, std::string_view key);

}  // namespace eventlake::cli
