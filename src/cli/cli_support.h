// What every client subcommand of the `eventlake` CLI shares: exit codes, the
// "eventlake: <message>" error line, the --server address, JSON parsing of
// answers, and human-readable sizes.
//
// Subcommands register themselves with Add*Command(CLI::App&) and do their
// work in CLI11 callbacks. A callback that fails prints its message with
// ReportFailure() and then calls ExitWith(), which unwinds to main() through
// CLI::RuntimeError (an exception CLI11 reserves for this; main() catches it,
// so nothing escapes the cli room).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cli/http_client.h"
#include "core/status.h"

namespace eventlake::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the operation failed (message on stderr)
inline constexpr int kExitUsage = 2;   // the command line was wrong

inline constexpr std::string_view kDefaultServer = "http://127.0.0.1:8080";

// Prints "eventlake: <message>" on stderr and returns kExitFailed.
int ReportFailure(const Status& status);
int ReportFailure(std::string_view message);

// Ends the running subcommand with `code` (no-op for kExitOk).
void ExitWith(int code);

// The server address for any subcommand: the root app's --server option when
// given, else $EVENTLAKE_SERVER when set, else kDefaultServer.
std::string ServerUrlOf(const CLI::App& command);

// A client for the server named by ServerUrlOf(command), authenticating with
// $EVENTLAKE_API_KEY when options.api_key is empty and the variable is set.
Result<std::unique_ptr<HttpClient>> ClientFor(const CLI::App& command,
                                              HttpClientOptions options = {});
// ClientFor, or a usage failure (ExitWith(kExitUsage)) when the URL is bad.
std::unique_ptr<HttpClient> ClientOrExit(const CLI::App& command, HttpClientOptions options = {});

// GET `path` from the server and its JSON answer; on any failure the
// message is reported and the subcommand exits (kExitFailed).
nlohmann::ordered_json GetJsonOrExit(const CLI::App& command, const std::string& path);
// POST `body` (JSON) to `path`; the answer's JSON, or exits as GetJsonOrExit.
nlohmann::ordered_json PostJsonOrExit(const CLI::App& command, const std::string& path,
                                      const nlohmann::ordered_json& body);

// Parses a JSON answer; InvalidArgument naming `what` when it is not JSON.
// Exceptions of nlohmann stay inside.
Result<nlohmann::ordered_json> ParseJson(std::string_view text, std::string_view what);

// A JSON member as display text: strings as they are, null or missing as "-",
// anything else as its JSON text.
std::string JsonText(const nlohmann::ordered_json& object, std::string_view key);
// A non-negative integer member; 0 when missing or not a number.
uint64_t JsonUint(const nlohmann::ordered_json& object, std::string_view key);

// Rows of cells as left-aligned columns two spaces apart, one line each
// (no trailing spaces). The first row is usually the header.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);

// 0 -> "0 B", 1536 -> "1.5 KiB", 67108864 -> "64.0 MiB" (binary units).
std::string FormatBytes(uint64_t bytes);

}  // namespace eventlake::cli
