// PipelineVersions: a JSON array per pipeline, replaced atomically.
#include "server/pipeline_versions.h"

#include <filesystem>

#include "core/file.h"

namespace eventlake::server {

std::string PipelineVersions::PathOf(std::string_view name) const {
  return dir_ + "/" + std::string(name) + "/versions.json";
}

nlohmann::json VersionJson(const PipelineVersion& v) {
  return {{"version", v.version},
          {"time", FormatRfc3339(v.time)},
          {"change", v.change},
          {"source", v.source},
          {"config", v.config}};
}

Result<std::vector<PipelineVersion>> PipelineVersions::Load(std::string_view name) const {
  std::vector<PipelineVersion> out;
  const std::string path = PathOf(name);
  if (!std::filesystem::exists(path)) return out;
  EL_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_array()) return Err(Corruption(path + ": not a JSON array of versions"));
  for (const nlohmann::json& v : doc) {
    if (!v.is_object() || !v.value("version", nlohmann::json()).is_number_unsigned()) {
      return Err(Corruption(path + ": a version without its number"));
    }
    auto time = ParseRfc3339(v.value("time", ""));
    out.push_back({.version = v["version"].get<uint64_t>(),
                   .time = time.has_value() ? *time : 0,
                   .change = v.value("change", ""),
                   .source = v.value("source", ""),
                   .config = v.value("config", nlohmann::json())});
  }
  return out;
}

Result<PipelineVersion> PipelineVersions::Record(std::string_view name, std::string change, std::string source,
                                                 nlohmann::json config, TimestampMicros now) {
  EL_ASSIGN_OR_RETURN(std::vector<PipelineVersion> versions, Load(name));
  PipelineVersion next{.version = versions.empty() ? 1 : versions.back().version + 1,
                       .time = now,
                       .change = std::move(change),
                       .source = std::move(source),
                       .config = std::move(config)};
  versions.push_back(next);
  nlohmann::json doc = nlohmann::json::array();
  for (const PipelineVersion& v : versions) doc.push_back(VersionJson(v));
  EL_RETURN_IF_ERROR(CreateDirectories(dir_ + "/" + std::string(name)));
  EL_RETURN_IF_ERROR(WriteFileAtomically(PathOf(name), doc.dump(2) + "\n"));
  return next;
}

std::vector<std::string> PipelineVersions::Names() const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    if (entry.is_directory() && std::filesystem::exists(entry.path() / "versions.json")) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace eventlake::server
