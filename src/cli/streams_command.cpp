// `eventlake streams` (see streams_command.h).
#include "cli/streams_command.h"

#include <iostream>
#include <memory>
#include <optional>
#include <vector>

#include "cli/cli_support.h"
#include "cli/http_client.h"

namespace eventlake::cli {
namespace {

using Json = nlohmann::ordered_json;

// The flags of `streams create` whose values are sent as strings under the
// stream option keys of eventlake.yaml (docs/configuration.md, `streams:`).
struct CreateFlag {
  const char* flag;
  const char* key;
  const char* help;
};
constexpr CreateFlag kCreateStringFlags[] = {
    {"--durability", "durability", "When an append is acknowledged: fsync, interval or none"},
    {"--retention", "retention",
     "Delete whole segments older than this (e.g. 7d, 12h; 0 keeps all)"},
    {"--retention-bytes", "retention_bytes",
     "Delete the oldest segments beyond this size (e.g. 10GiB)"},
    {"--quota", "quota_bytes", "Refuse appends (429) while the stream is this large (e.g. 50GiB)"},
    {"--segment-bytes", "segment_max_bytes", "Roll segments at this size (e.g. 64MiB)"},
};

struct CreateArgs {
  std::string name;
  std::optional<uint32_t> partitions;
  std::vector<std::optional<std::string>> values =
      std::vector<std::optional<std::string>>(std::size(kCreateStringFlags));
  bool json = false;
};

std::string RecordsText(const Json& object) { return std::to_string(JsonUint(object, "records")); }

void RunList(const CLI::App& command, bool json) {
  Json list = GetJsonOrExit(command, "/v1/streams");
  std::cout << (json ? list.dump(2) + "\n" : RenderStreamList(list)) << std::flush;
}

void RunDescribe(const CLI::App& command, const std::string& name, bool json) {
  Json description = GetJsonOrExit(command, "/v1/streams/" + UrlEncode(name));
  std::cout << (json ? description.dump(2) + "\n" : RenderStreamDescription(description))
            << std::flush;
}

void RunCreate(const CLI::App& command, const CreateArgs& args) {
  Json body = {{"name", args.name}};
  if (args.partitions) body["partitions"] = *args.partitions;
  for (size_t i = 0; i < std::size(kCreateStringFlags); ++i) {
    if (args.values[i]) body[kCreateStringFlags[i].key] = *args.values[i];
  }
  auto client = ClientOrExit(command);
  auto response = client->Post("/v1/streams", body.dump());
  if (!response.has_value()) ExitWith(ReportFailure(response.error()));
  auto created = ParseJson(response->body, "POST /v1/streams");
  if (!created.has_value()) ExitWith(ReportFailure(created.error()));
  if (args.json) {
    std::cout << created->dump(2) << std::endl;
    return;
  }
  const Json& options = created->contains("options") ? (*created)["options"] : *created;
  std::cout << "created stream " << args.name << ": " << JsonText(options, "partitions")
            << " partition(s), durability " << JsonText(options, "durability") << std::endl;
}

void AddCreate(CLI::App& streams) {
  auto args = std::make_shared<CreateArgs>();
  CLI::App* create = streams.add_subcommand("create", "Create a stream");
  create->add_option("name", args->name, "Stream name (a-z, 0-9, '_', '-', '.')")->required();
  create->add_option("--partitions", args->partitions, "Number of partitions (default 1)");
  for (size_t i = 0; i < std::size(kCreateStringFlags); ++i) {
    CLI::Option* option =
        create->add_option(kCreateStringFlags[i].flag, args->values[i], kCreateStringFlags[i].help);
    if (std::string_view(kCreateStringFlags[i].key) == "durability") {
      option->check(CLI::IsMember({"fsync", "interval", "none"}));
    }
  }
  create->add_flag("--json", args->json, "Print the server's JSON description of the new stream");
  create->callback([create, args] { RunCreate(*create, *args); });
}

std::string PartitionsTable(const Json& partitions) {
  std::vector<std::vector<std::string>> rows = {
      {"PARTITION", "START", "END", "RECORDS", "SIZE", "SEGMENTS", "OLDEST", "NEWEST", "HEALTH"}};
  for (const Json& p : partitions.is_array() ? partitions : Json::array()) {
    uint64_t start = JsonUint(p, "start_offset");
    uint64_t end = JsonUint(p, "end_offset");
    rows.push_back({JsonText(p, "partition"), std::to_string(start), std::to_string(end),
                    std::to_string(end > start ? end - start : 0),
                    FormatBytes(JsonUint(p, "size_bytes")), JsonText(p, "segments"),
                    JsonText(p, "oldest_append_time"), JsonText(p, "newest_append_time"),
                    JsonText(p, "health")});
  }
  return FormatTable(rows);
}

std::string JoinNumbers(const Json& array) {
  std::string out;
  if (!array.is_array()) return "-";
  for (const Json& n : array) out += (out.empty() ? "" : ",") + n.dump();
  return out.empty() ? "-" : out;
}

std::string GroupsTable(const Json& groups) {
  if (!groups.is_array() || groups.empty()) return "no consumer groups\n";
  std::vector<std::vector<std::string>> rows = {{"GROUP", "TOTAL_LAG", "COMMITTED", "LAG"}};
  for (const Json& g : groups) {
    rows.push_back({JsonText(g, "group"), JsonText(g, "total_lag"),
                    JoinNumbers(g.value("committed", Json())),
                    JoinNumbers(g.value("lag", Json()))});
  }
  return FormatTable(rows);
}

}  // namespace

std::string RenderStreamList(const Json& list) {
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "PARTITIONS", "DURABILITY", "SIZE", "RECORDS"}};
  if (list.is_object() && list.contains("streams") && list["streams"].is_array()) {
    for (const Json& s : list["streams"]) {
      rows.push_back({JsonText(s, "name"), JsonText(s, "partitions"), JsonText(s, "durability"),
                      FormatBytes(JsonUint(s, "size_bytes")), RecordsText(s)});
    }
  }
  return FormatTable(rows);
}

std::string RenderStreamDescription(const Json& d) {
  std::string out = "stream " + JsonText(d, "name") + ": " +
                    FormatBytes(JsonUint(d, "size_bytes")) + ", " + RecordsText(d) +
                    " records\n\noptions\n";
  std::vector<std::vector<std::string>> options;
  if (d.contains("options") && d["options"].is_object()) {
    for (const auto& [key, value] : d["options"].items()) {
      if (key == "name") continue;  // in the first line already
      options.push_back({"  " + key, value.is_string() ? value.get<std::string>() : value.dump()});
    }
  }
  out += FormatTable(options) + "\n";
  out += PartitionsTable(d.value("partitions", Json::array())) + "\n";
  out += GroupsTable(d.value("groups", Json::array()));
  return out;
}

void AddStreamsCommand(CLI::App& app) {
  CLI::App* streams = app.add_subcommand("streams", "List, create and describe streams");
  auto json = std::make_shared<bool>(false);
  streams->add_flag("--json", *json, "Print the server's JSON instead of a table");
  streams->require_subcommand(0, 1);

  CLI::App* list = streams->add_subcommand("list", "List streams (the default)");
  auto list_json = std::make_shared<bool>(false);
  list->add_flag("--json", *list_json, "Print the server's JSON instead of a table");
  list->callback([list, json, list_json] { RunList(*list, *json || *list_json); });

  AddCreate(*streams);

  CLI::App* describe = streams->add_subcommand("describe", "Options, partitions and group lag");
  auto name = std::make_shared<std::string>();
  auto describe_json = std::make_shared<bool>(false);
  describe->add_option("name", *name, "Stream name")->required();
  describe->add_flag("--json", *describe_json, "Print the server's JSON");
  describe->callback(
      [describe, name, describe_json] { RunDescribe(*describe, *name, *describe_json); });

  streams->callback([streams, json] {
    if (streams->get_subcommands().empty()) RunList(*streams, *json);
  });
}

}  // namespace eventlake::cli
