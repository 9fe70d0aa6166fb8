// `eventlake tables` (see tables_command.h).
#include "cli/tables_command.h"

#include <iostream>
#include <memory>
#include <optional>

#include "cli/cli_support.h"
#include "cli/http_client.h"

namespace eventlake::cli {
namespace {

using Json = nlohmann::ordered_json;

const Json& ArrayOr(const Json& object, const char* key) {
  static const Json kEmpty = Json::array();
  return object.is_object() && object.contains(key) && object[key].is_array() ? object[key]
                                                                              : kEmpty;
}

std::string Joined(const Json& array) {
  std::string out;
  for (const Json& v : array.is_array() ? array : Json::array()) {
    out += (out.empty() ? "" : ", ") + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  return out.empty() ? "-" : out;
}

void Print(const Json& json, bool as_json, std::string (*render)(const Json&)) {
  std::cout << (as_json ? json.dump(2) + "\n" : render(json)) << std::flush;
}

struct DescribeArgs {
  std::string name;
  std::optional<int64_t> version;
  bool files = false;
  bool json = false;
};

void AddDescribe(CLI::App& tables) {
  auto args = std::make_shared<DescribeArgs>();
  CLI::App* describe =
      tables.add_subcommand("describe", "Schema, partitions, files, sizes, loaded offsets");
  describe->add_option("name", args->name, "Table name, <zone>.<table>")->required();
  describe->add_option("--version", args->version, "Describe this version (time travel)");
  describe->add_flag("--files", args->files, "List every data file");
  describe->add_flag("--json", args->json, "Print the server's JSON");
  describe->callback([describe, args] {
    std::string path = "/v1/tables/" + UrlEncode(args->name);
    std::string query;
    if (args->version) query += "version=" + std::to_string(*args->version);
    if (args->files) query += std::string(query.empty() ? "" : "&") + "files=true";
    if (!query.empty()) path += "?" + query;
    Print(GetJsonOrExit(*describe, path), args->json, &RenderTableDescription);
  });
}

void AddHistory(CLI::App& parent) {
  auto name = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* history = parent.add_subcommand("history", "Every commit, newest first");
  history->add_option("name", *name, "Table name, <zone>.<table>")->required();
  history->add_flag("--json", *json, "Print the server's JSON");
  history->callback([history, name, json] {
    Print(GetJsonOrExit(*history, "/v1/tables/" + UrlEncode(*name) + "/history"), *json,
          &RenderTableHistory);
  });
}

}  // namespace

std::string RenderTableList(const Json& list) {
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "VERSION", "FILES", "ROWS", "SIZE", "PARTITIONED BY", "UPDATED"}};
  for (const Json& t : ArrayOr(list, "tables")) {
    rows.push_back({JsonText(t, "name"), JsonText(t, "version"), JsonText(t, "files"),
                    JsonText(t, "rows"), FormatBytes(JsonUint(t, "size_bytes")),
                    Joined(t.value("partition_columns", Json::array())), JsonText(t, "updated")});
  }
  return FormatTable(rows);
}

std::string RenderTableDescription(const Json& d) {
  std::string out = "table " + JsonText(d, "name") + ", version " + JsonText(d, "version") +
                    ": " + JsonText(d, "rows") + " rows in " + JsonText(d, "files") +
                    " files, " + FormatBytes(JsonUint(d, "size_bytes")) + "\n\n";
  std::vector<std::vector<std::string>> columns = {{"COLUMN", "TYPE", "PARTITION"}};
  for (const Json& c : ArrayOr(d, "columns")) {
    columns.push_back({JsonText(c, "name"), JsonText(c, "type"),
                       c.value("partition", false) ? "yes" : ""});
  }
  out += FormatTable(columns) + "\n";
  std::vector<std::vector<std::string>> parts = {{"PARTITION", "FILES", "ROWS", "SIZE"}};
  for (const Json& p : ArrayOr(d, "partitions")) {
    const std::string path = JsonText(p, "path");
    parts.push_back({path.empty() ? "(unpartitioned)" : path, JsonText(p, "files"),
                     JsonText(p, "rows"), FormatBytes(JsonUint(p, "size_bytes"))});
  }
  out += FormatTable(parts);
  if (!ArrayOr(d, "file_list").empty()) {
    std::vector<std::vector<std::string>> files = {{"FILE", "ROWS", "SIZE"}};
    for (const Json& f : ArrayOr(d, "file_list")) {
      files.push_back({JsonText(f, "path"), JsonText(f, "rows"),
                       FormatBytes(JsonUint(f, "size_bytes"))});
    }
    out += "\n" + FormatTable(files);
  }
  if (d.contains("loaded_offsets") && d["loaded_offsets"].is_object() &&
      !d["loaded_offsets"].empty()) {
    std::vector<std::vector<std::string>> offsets = {{"LOADED FROM", "LAST OFFSET"}};
    for (const auto& [app, version] : d["loaded_offsets"].items()) {
      offsets.push_back({app, version.dump()});
    }
    out += "\n" + FormatTable(offsets);
  }
  return out;
}

std::string RenderTableHistory(const Json& h) {
  std::vector<std::vector<std::string>> rows = {
      {"VERSION", "TIMESTAMP", "OPERATION", "ADDED", "REMOVED", "PARAMETERS"}};
  for (const Json& c : ArrayOr(h, "commits")) {
    std::string parameters;
    if (c.contains("parameters") && c["parameters"].is_object()) {
      for (const auto& [k, v] : c["parameters"].items()) {
        parameters += (parameters.empty() ? "" : " ") + k + "=" +
                      (v.is_string() ? v.get<std::string>() : v.dump());
      }
    }
    rows.push_back({JsonText(c, "version"), JsonText(c, "timestamp"), JsonText(c, "operation"),
                    JsonText(c, "files_added"), JsonText(c, "files_removed"),
                    parameters.empty() ? "-" : parameters});
  }
  return FormatTable(rows);
}

void AddTablesCommand(CLI::App& app) {
  CLI::App* tables = app.add_subcommand("tables", "List and describe the lake's tables");
  tables->alias("table");
  auto json = std::make_shared<bool>(false);
  tables->add_flag("--json", *json, "Print the server's JSON instead of a table");
  tables->require_subcommand(0, 1);
  CLI::App* list = tables->add_subcommand("list", "List tables (the default)");
  auto list_json = std::make_shared<bool>(false);
  list->add_flag("--json", *list_json, "Print the server's JSON instead of a table");
  list->callback([list, json, list_json] {
    Print(GetJsonOrExit(*list, "/v1/tables"), *json || *list_json, &RenderTableList);
  });
  AddDescribe(*tables);
  AddHistory(*tables);
  tables->callback([tables, json] {
    if (tables->get_subcommands().empty()) {
      Print(GetJsonOrExit(*tables, "/v1/tables"), *json, &RenderTableList);
    }
  });
}

}  // namespace eventlake::cli
