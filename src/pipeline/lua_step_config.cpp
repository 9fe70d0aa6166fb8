// ParseLuaStepOptions: the `lua` step's YAML (as JSON) to LuaStepOptions.
// The step's keys, their types and defaults are in lua_step.h; a file is
// read here, once, so that a running step never touches the disk.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/config_table.h"
#include "pipeline/lua_step.h"

namespace eventlake::pipeline {
namespace {

using Json = nlohmann::json;

constexpr uint64_t kMinMemoryLimit = 1ull << 20;  // a fresh state holds ~40 KiB; less is no use

Status Bad(std::string_view path, std::string_view key, std::string_view why) {
  return InvalidArgument(std::string(path) + (key.empty() ? "" : ".") + std::string(key) + ": " +
                         std::string(why));
}

Result<std::string> StringAt(const Json& spec, std::string_view path, std::string_view key) {
  const Json& v = spec.at(std::string(key));
  if (!v.is_string()) return Err(Bad(path, key, "a string is expected, not " + v.dump()));
  return v.get<std::string>();
}

Result<std::string> ReadFile(const std::string& file, const std::string& base_dir,
                             std::string_view path) {
  if (file.empty()) return Err(Bad(path, "", "the .lua file's path is empty"));
  std::filesystem::path full(file);
  if (full.is_relative() && !base_dir.empty()) full = std::filesystem::path(base_dir) / full;
  std::ifstream in(full, std::ios::binary);
  if (!in) return Err(Bad(path, "", "cannot read " + full.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Status ParseKey(const Json& spec, std::string_view path, const std::string& key,
                const std::string& base_dir, LuaStepOptions* options) {
  if (key == "file") {
    EL_ASSIGN_OR_RETURN(std::string file, StringAt(spec, path, key));
    EL_ASSIGN_OR_RETURN(options->code, ReadFile(file, base_dir, std::string(path) + ".file"));
    options->chunk_name = file;
  } else if (key == "code") {
    EL_ASSIGN_OR_RETURN(options->code, StringAt(spec, path, key));
  } else if (key == "function") {
    EL_ASSIGN_OR_RETURN(options->function, StringAt(spec, path, key));
    if (options->function.empty()) return Bad(path, key, "the function's name is empty");
  } else if (key == "mode") {
    EL_ASSIGN_OR_RETURN(std::string mode, StringAt(spec, path, key));
    if (mode != "record" && mode != "batch") return Bad(path, key, "record or batch, not " + mode);
    options->mode = mode == "batch" ? LuaMode::kBatch : LuaMode::kRecord;
  } else if (key == "timeout") {
    EL_ASSIGN_OR_RETURN(std::string text, StringAt(spec, path, key));
    auto timeout = config::ParseDuration(text);
    if (!timeout.has_value()) return Bad(path, key, timeout.error().message());
    if (*timeout <= std::chrono::milliseconds::zero()) return Bad(path, key, "must be more than 0");
    options->timeout = *timeout;
  } else if (key == "memory_limit") {
    EL_ASSIGN_OR_RETURN(std::string text, StringAt(spec, path, key));
    auto bytes = config::ParseByteSize(text);
    if (!bytes.has_value()) return Bad(path, key, bytes.error().message());
    if (*bytes < kMinMemoryLimit) return Bad(path, key, "must be at least 1MiB");
    options->memory_limit = *bytes;
  } else if (key == "allow") {
    const Json& allow = spec.at(key);
    if (!allow.is_array()) return Bad(path, key, "a list of names is expected");
    for (size_t i = 0; i < allow.size(); ++i) {
      const std::string at = key + "[" + std::to_string(i) + "]";
      if (!allow[i].is_string())
        return Bad(path, at, "a string is expected, not " + allow[i].dump());
      options->allow.push_back(allow[i].get<std::string>());
      Status allowable = CheckLuaAllowList({options->allow.back()});
      if (!allowable.ok()) return Bad(path, at, allowable.message());
    }
  } else {
    return Bad(path, key, "unknown key (file, code, function, mode, timeout, memory_limit, allow)");
  }
  return Status::Ok();
}

}  // namespace

Result<LuaStepOptions> ParseLuaStepOptions(const Json& spec, std::string_view path,
                                           const std::string& base_dir) {
  LuaStepOptions options;
  options.chunk_name = std::string(path);
  if (spec.is_string()) {
    const std::string file = spec.get<std::string>();
    EL_ASSIGN_OR_RETURN(options.code, ReadFile(file, base_dir, path));
    options.chunk_name = file;
    return options;
  }
  if (!spec.is_object())
    return Err(Bad(path, "", "a .lua file's path or a map is expected, not " + spec.dump()));
  if (spec.contains("file") == spec.contains("code"))
    return Err(Bad(path, "", "one of file and code is expected"));
  for (const auto& [key, value] : spec.items())
    EL_RETURN_IF_ERROR(ParseKey(spec, path, key, base_dir, &options));
  return options;
}

}  // namespace eventlake::pipeline
