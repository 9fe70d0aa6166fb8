#include "pipeline/function_options.h"

#include <filesystem>
#include <set>

#include "core/config_table.h"

namespace eventlake::pipeline {
namespace {

using json = nlohmann::json;

Status CheckKeys(const json& spec, std::string_view path, const std::set<std::string_view>& known) {
  if (!spec.is_object()) return InvalidArgument(std::string(path) + ": expected a map");
  for (const auto& [key, value] : spec.items()) {
    if (!known.contains(key)) {
      return InvalidArgument(std::string(path) + "." + key + ": unknown key");
    }
  }
  return Status::Ok();
}

std::string KeyPath(std::string_view path, std::string_view key) {
  return std::string(path) + "." + std::string(key);
}

Status ReadString(const json& spec, std::string_view path, std::string_view key, std::string* out) {
  auto it = spec.find(key);
  if (it == spec.end()) return Status::Ok();
  if (!it->is_string()) return InvalidArgument(KeyPath(path, key) + ": expected a string");
  *out = it->get<std::string>();
  return Status::Ok();
}

Status ReadDuration(const json& spec, std::string_view path, std::string_view key,
                    std::chrono::milliseconds* out) {
  auto it = spec.find(key);
  if (it == spec.end()) return Status::Ok();
  if (!it->is_string())
    return InvalidArgument(KeyPath(path, key) + ": expected a duration such as \"3s\"");
  auto d = config::ParseDuration(it->get<std::string>());
  if (!d.has_value()) return InvalidArgument(KeyPath(path, key) + ": " + d.error().message());
  if (d->count() <= 0) return InvalidArgument(KeyPath(path, key) + ": must be more than 0");
  *out = *d;
  return Status::Ok();
}

Status ReadStringMap(const json& spec, std::string_view path, std::string_view key,
                     std::vector<std::pair<std::string, std::string>>* out) {
  auto it = spec.find(key);
  if (it == spec.end()) return Status::Ok();
  if (!it->is_object()) return InvalidArgument(KeyPath(path, key) + ": expected a map of strings");
  for (const auto& [name, value] : it->items()) {
    if (name.empty()) return InvalidArgument(KeyPath(path, key) + ": an empty name");
    if (value.is_string()) {
      out->emplace_back(name, value.get<std::string>());
    } else if (value.is_number() || value.is_boolean()) {
      out->emplace_back(name, value.dump());
    } else {
      return InvalidArgument(KeyPath(path, key) + "." + name + ": expected a string");
    }
  }
  return Status::Ok();
}

Status ReadCommand(const json& spec, std::string_view path, std::vector<std::string>* out) {
  auto it = spec.find("command");
  const std::string at = KeyPath(path, "command");
  if (it == spec.end()) return InvalidArgument(at + ": required");
  if (it->is_string()) {
    // Split on spaces; no shell: quoting needs the list form.
    std::string text = it->get<std::string>();
    size_t i = 0;
    while (i < text.size()) {
      size_t j = text.find(' ', i);
      if (j == std::string::npos) j = text.size();
      if (j > i) out->push_back(text.substr(i, j - i));
      i = j + 1;
    }
  } else if (it->is_array()) {
    for (const auto& arg : *it) {
      if (!arg.is_string()) return InvalidArgument(at + ": expected a list of strings");
      out->push_back(arg.get<std::string>());
    }
  } else {
    return InvalidArgument(at + ": expected a string or a list of strings");
  }
  if (out->empty() || (*out)[0].empty()) return InvalidArgument(at + ": empty");
  return Status::Ok();
}

}  // namespace

Result<FunctionStepOptions> ParseFunctionStepOptions(const json& spec, std::string_view path,
                                                     const std::string& base_dir) {
  EL_RETURN_IF_ERROR(CheckKeys(spec, path,
                               {"command", "directory", "handler", "name", "timeout", "memory",
                                "concurrency", "idle_timeout", "environment"}));
  FunctionStepOptions o;
  EL_RETURN_IF_ERROR(ReadCommand(spec, path, &o.command));
  std::string directory;
  EL_RETURN_IF_ERROR(ReadString(spec, path, "directory", &directory));
  namespace fs = std::filesystem;
  fs::path dir = directory.empty() ? fs::path(base_dir) : fs::path(directory);
  if (dir.is_relative()) dir = fs::path(base_dir) / dir;
  o.directory = dir.lexically_normal().string();
  std::error_code ec;
  if (!fs::is_directory(o.directory, ec)) {
    return Err(
        InvalidArgument(KeyPath(path, "directory") + ": " + o.directory + " is not a directory"));
  }
  EL_RETURN_IF_ERROR(ReadString(spec, path, "handler", &o.handler));
  EL_RETURN_IF_ERROR(ReadString(spec, path, "name", &o.name));
  if (o.name.empty()) o.name = fs::path(o.directory).filename().string();
  if (o.name.empty()) o.name = "function";
  EL_RETURN_IF_ERROR(ReadDuration(spec, path, "timeout", &o.timeout));
  EL_RETURN_IF_ERROR(ReadDuration(spec, path, "idle_timeout", &o.idle_timeout));
  if (auto it = spec.find("memory"); it != spec.end()) {
    auto bytes = it->is_string()
                     ? config::ParseByteSize(it->get<std::string>())
                     : Result<uint64_t>(Err(InvalidArgument("expected a size such as \"128MiB\"")));
    if (!bytes.has_value())
      return Err(InvalidArgument(KeyPath(path, "memory") + ": " + bytes.error().message()));
    if (*bytes < (16u << 20))
      return Err(InvalidArgument(KeyPath(path, "memory") + ": at least 16MiB"));
    o.memory_bytes = *bytes;
  }
  if (auto it = spec.find("concurrency"); it != spec.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 1000) {
      return Err(
          InvalidArgument(KeyPath(path, "concurrency") + ": expected an integer from 1 to 1000"));
    }
    o.concurrency = it->get<int>();
  }
  EL_RETURN_IF_ERROR(ReadStringMap(spec, path, "environment", &o.environment));
  return o;
}

Result<HttpFunctionOptions> ParseHttpFunctionOptions(const json& spec, std::string_view path) {
  EL_RETURN_IF_ERROR(CheckKeys(spec, path, {"url", "timeout", "allow_private", "headers"}));
  HttpFunctionOptions o;
  EL_RETURN_IF_ERROR(ReadString(spec, path, "url", &o.url));
  if (!o.url.starts_with("http://") && !o.url.starts_with("https://")) {
    return Err(InvalidArgument(KeyPath(path, "url") + ": required, an http:// or https:// URL"));
  }
  EL_RETURN_IF_ERROR(ReadDuration(spec, path, "timeout", &o.timeout));
  if (auto it = spec.find("allow_private"); it != spec.end()) {
    if (!it->is_boolean())
      return Err(InvalidArgument(KeyPath(path, "allow_private") + ": expected true or false"));
    o.allow_private = it->get<bool>();
  }
  EL_RETURN_IF_ERROR(ReadStringMap(spec, path, "headers", &o.headers));
  return o;
}

}  // namespace eventlake::pipeline
