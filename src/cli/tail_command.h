// `eventlake tail STREAM`: prints a stream's records as JSON lines, reading
// them from a running server (GET /v1/streams/{name}/records).
//
//   eventlake tail STREAM [--from earliest|latest|OFFSET|RFC3339-TIME]
//                         [--partition P] [--limit N] [--follow]
//
// One line per record: {"partition":P,"offset":O,"append_time":"...","event":{...}}.
// Without --partition every partition is read, polled round-robin: lines are
// in offset order within a partition, interleaved across partitions.
// Without --follow it prints what exists from --from on (default earliest)
// and exits; with --follow it then waits for new records (long polls), from
// the end by default, like `tail -f`. --limit stops after N records. SIGINT
// or SIGTERM end it cleanly with exit code 0.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/status.h"

namespace eventlake::cli {

void AddTailCommand(CLI::App& app);

// Where reading starts in each partition.
struct StartPosition {
  enum class Kind { kEarliest, kLatest, kOffset, kTime };
  Kind kind = Kind::kEarliest;
  uint64_t offset = 0;  // kOffset
  std::string time;     // kTime: the RFC 3339 text as given
};

// "earliest", "latest", a decimal offset or an RFC 3339 time; InvalidArgument otherwise.
Result<StartPosition> ParseStartPosition(std::string_view text);

// The query parameter of a partition's first read: "offset=earliest",
// "offset=42", "time=2026-11-25T02%3A06%3A55Z".
std::string StartQuery(const StartPosition& start);

// The output line (without newline) for one record of the records API.
std::string FormatRecordLine(uint32_t partition, const nlohmann::ordered_json& record);

}  // namespace eventlake::cli
