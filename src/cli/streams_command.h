// `eventlake streams`: list, create and describe the log's streams through a
// running server's HTTP API (GET/POST /v1/streams, GET /v1/streams/{name}).
//
//   eventlake streams [list] [--json]
//   eventlake streams create NAME [--partitions N] [--durability fsync|interval|none]
//                                 [--retention DURATION] [--retention-bytes SIZE]
//                                 [--quota SIZE] [--segment-bytes SIZE] [--json]
//   eventlake streams describe NAME [--json]
//
// Durations ("7d") and sizes ("64MiB") are passed to the server as written;
// the server validates them and names the bad option.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

namespace eventlake::cli {

void AddStreamsCommand(CLI::App& app);

// The text renderings, from the server's JSON (exposed for tests).
// GET /v1/streams -> "NAME PARTITIONS DURABILITY SIZE RECORDS" table.
std::string RenderStreamList(const nlohmann::ordered_json& list);
// GET /v1/streams/{name} -> options, a partition table and a group table.
std::string RenderStreamDescription(const nlohmann::ordered_json& description);

}  // namespace eventlake::cli
