// `eventlake compact` and `eventlake vacuum` (see maintenance_command.h).
#include "cli/maintenance_command.h"

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/cli_support.h"
#include "cli/http_client.h"

namespace eventlake::cli {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::chrono::minutes kMaintenanceTimeout{30};

Json PostOrExit(const CLI::App& command, const std::string& path, const std::string& body) {
  auto client = ClientOrExit(command);
  auto response = client->Post(path, body, "application/json", kMaintenanceTimeout);
  if (!response.has_value()) ExitWith(ReportFailure(response.error()));
  auto json = ParseJson(response->body, "POST " + path);
  if (!json.has_value()) ExitWith(ReportFailure(json.error()));
  return *std::move(json);
}

}  // namespace

std::string RenderCompaction(const Json& r) {
  if (r.value("version", Json()).is_null()) {
    return "table " + JsonText(r, "name") + ": nothing to compact\n";
  }
  return "table " + JsonText(r, "name") + ": version " + JsonText(r, "version") + ", " +
         JsonText(r, "files_removed") + " files in " + JsonText(r, "partitions") +
         " partition(s) compacted into " + JsonText(r, "files_added") + " (" +
         JsonText(r, "files_concatenated") + " by concatenation, " + JsonText(r, "rows") +
         " rows, " + FormatBytes(JsonUint(r, "bytes_removed")) + " -> " +
         FormatBytes(JsonUint(r, "bytes_added")) + ")\n";
}

std::string RenderVacuum(const Json& r) {
  const bool dry = r.value("dry_run", false);
  std::string out = "table " + JsonText(r, "name") + ": " + (dry ? "would delete " : "deleted ") +
                    JsonText(r, "files_deleted") + " file(s), " +
                    FormatBytes(JsonUint(r, "bytes_deleted")) + " (retention " +
                    JsonText(r, "retention") + ")\n";
  if (dry && r.contains("files") && r["files"].is_array()) {
    for (const Json& f : r["files"]) out += "  " + (f.is_string() ? f.get<std::string>() : f.dump()) + "\n";
  }
  return out;
}

void AddMaintenanceCommands(CLI::App& app) {
  {
    auto name = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    CLI::App* compact =
        app.add_subcommand("compact", "Merge a table's small files into files near the target size");
    compact->add_option("name", *name, "Table name, <zone>.<table>")->required();
    compact->add_flag("--json", *json, "Print the server's JSON");
    compact->callback([compact, name, json] {
      Json r = PostOrExit(*compact, "/v1/tables/" + UrlEncode(*name) + "/compact", "");
      std::cout << (*json ? r.dump(2) + "\n" : RenderCompaction(r)) << std::flush;
    });
  }
  {
    auto name = std::make_shared<std::string>();
    auto retention = std::make_shared<std::optional<std::string>>();
    auto dry_run = std::make_shared<bool>(false);
    auto json = std::make_shared<bool>(false);
    CLI::App* vacuum = app.add_subcommand(
        "vacuum", "Delete a table's data files that no version within the retention needs");
    vacuum->add_option("name", *name, "Table name, <zone>.<table>")->required();
    vacuum->add_option("--retention", *retention,
                       "Keep files removed less than this long ago (default: the table's "
                       "vacuum_retention, 7d)");
    vacuum->add_flag("--dry-run", *dry_run, "List what would be deleted; delete nothing");
    vacuum->add_flag("--json", *json, "Print the server's JSON");
    vacuum->callback([vacuum, name, retention, dry_run, json] {
      Json body = Json::object();
      if (*retention) body["retention"] = **retention;
      if (*dry_run) body["dry_run"] = true;
      Json r = PostOrExit(*vacuum, "/v1/tables/" + UrlEncode(*name) + "/vacuum", body.dump());
      std::cout << (*json ? r.dump(2) + "\n" : RenderVacuum(r)) << std::flush;
    });
  }
}

}  // namespace eventlake::cli
