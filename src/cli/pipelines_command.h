// `eventlake pipelines`, `apply`, `dlq` and `replay`: a running
// server's pipelines, their dead letters and replays, over the HTTP API.
//
//   eventlake pipelines [list] [--json]
//   eventlake pipelines describe PIPELINE [--json]
//   eventlake apply FILE [--prune]                       the file's `pipelines:` added or changed on the
//       running server (--prune: the others removed), each change a version
//   eventlake dlq list PIPELINE [--limit N] [--json]     the dead letters, oldest first
//   eventlake dlq show PIPELINE OFFSET                   one dead letter, whole
//   eventlake dlq redrive PIPELINE [--rate N] [--no-wait]
//       runs the dead letters again through the pipeline as it is now, at
//       most N per second, and waits for the report unless --no-wait
//   eventlake replay PIPELINE (--from TIME | --offset N | --earliest | --latest)
//       moves the pipeline's group; the table sinks skip what they have
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

namespace eventlake::cli {

void AddPipelineCommands(CLI::App& app);

// The text renderings, from the server's JSON (exposed for tests).
// GET /v1/pipelines -> "NAME TRIGGER STEPS SINKS LAG" table.
std::string RenderPipelineList(const nlohmann::ordered_json& list);
// Records of a dead-letter stream -> "OFFSET TIME STEP EVENT ATTEMPTS PROBLEM" table.
std::string RenderDeadLetters(const nlohmann::ordered_json& records);

}  // namespace eventlake::cli
