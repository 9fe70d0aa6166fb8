// `eventlake compact` and `eventlake vacuum`: table maintenance through a
// running server (POST /v1/tables/{name}/compact and /vacuum). Both wait
// for the server to finish (compaction rewrites files: up to minutes).
//
//   eventlake compact NAME [--json]
//   eventlake vacuum NAME [--retention 7d] [--dry-run] [--json]
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

namespace eventlake::cli {

void AddMaintenanceCommands(CLI::App& app);

// One-line summaries of the server's answers (exposed for tests).
std::string RenderCompaction(const nlohmann::ordered_json& result);
std::string RenderVacuum(const nlohmann::ordered_json& result);

}  // namespace eventlake::cli
