// `eventlake tables`: the lake's tables through a running server's HTTP API
// (GET /v1/tables, /v1/tables/{name}, /v1/tables/{name}/history).
//
//   eventlake tables [list] [--json]
//   eventlake tables describe NAME [--version N] [--files] [--json]
//   eventlake tables history NAME [--json]
//   eventlake table history NAME          (the same; `table` is an alias)
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

namespace eventlake::cli {

void AddTablesCommand(CLI::App& app);

// Text renderings of the server's JSON (exposed for tests).
std::string RenderTableList(const nlohmann::ordered_json& list);
std::string RenderTableDescription(const nlohmann::ordered_json& description);
std::string RenderTableHistory(const nlohmann::ordered_json& history);

}  // namespace eventlake::cli
