// Shared helpers of the CLI subcommands (see cli_support.h).
#include "cli/cli_support.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace eventlake::cli {

int ReportFailure(const Status& status) { return ReportFailure(status.message()); }

int ReportFailure(std::string_view message) {
  std::cerr << "eventlake: " << message << std::endl;
  return kExitFailed;
}

void ExitWith(int code) {
  if (code != kExitOk) throw CLI::RuntimeError(code);
}

std::string ServerUrlOf(const CLI::App& command) {
  const CLI::App* root = &command;
  while (root->get_parent() != nullptr) root = root->get_parent();
  const CLI::Option* option = root->get_option_no_throw("--server");
  if (option != nullptr && option->count() > 0) return option->as<std::string>();
  const char* env = std::getenv("EVENTLAKE_SERVER");
  if (env != nullptr && *env != '\0') return env;
  return std::string(kDefaultServer);
}

Result<std::unique_ptr<HttpClient>> ClientFor(const CLI::App& command, HttpClientOptions options) {
  EL_ASSIGN_OR_RETURN(ServerAddress address, ParseServerUrl(ServerUrlOf(command)));
  if (options.api_key.empty()) {
    const char* key = std::getenv("EVENTLAKE_API_KEY");  // never a flag: argv is public in ps
    if (key != nullptr) options.api_key = key;
  }
  return std::make_unique<HttpClient>(std::move(address), options);
}

std::unique_ptr<HttpClient> ClientOrExit(const CLI::App& command, HttpClientOptions options) {
  auto client = ClientFor(command, options);
  if (!client.has_value()) {
    ReportFailure(client.error());
    throw CLI::RuntimeError(kExitUsage);
  }
  return std::move(client).value();
}

Result<nlohmann::ordered_json> ParseJson(std::string_view text, std::string_view what) {
  auto json = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return Err(InvalidArgument("the server's answer to " + std::string(what) + " is not JSON"));
  }
  return json;
}

std::string JsonText(const nlohmann::ordered_json& object, std::string_view key) {
  if (!object.is_object()) return "-";
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "-";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

uint64_t JsonUint(const nlohmann::ordered_json& object, std::string_view key) {
  if (!object.is_object()) return 0;
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return 0;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  return static_cast<uint64_t>(std::max<int64_t>(0, it->get<int64_t>()));
}

std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

std::string FormatBytes(uint64_t bytes) {
  static constexpr std::array<const char*, 6> kUnits = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < kUnits.size()) {
    value /= 1024;
    ++unit;
  }
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%.1f %s", value, kUnits[unit]);
  return text.data();
}

nlohmann::ordered_json GetJsonOrExit(const CLI::App& command, const std::string& path) {
  auto client = ClientOrExit(command);
  auto response = client->Get(path);
  if (!response.has_value()) ExitWith(ReportFailure(response.error()));
  auto json = ParseJson(response->body, "GET " + path);
  if (!json.has_value()) ExitWith(ReportFailure(json.error()));
  return *std::move(json);
}

nlohmann::ordered_json PostJsonOrExit(const CLI::App& command, const std::string& path,
                                      const nlohmann::ordered_json& body) {
  auto client = ClientOrExit(command);
  auto response = client->Post(path, body.dump());
  if (!response.has_value()) ExitWith(ReportFailure(response.error()));
  auto json = ParseJson(response->body, "POST " + path);
  if (!json.has_value()) ExitWith(ReportFailure(json.error()));
  return *std::move(json);
}

}  // namespace eventlake::cli
