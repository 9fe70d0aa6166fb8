// CacheObject: fetch once, by a unique name, renamed into place.
#include "lake/object_cache.h"

#include <filesystem>

#include "core/id.h"

namespace eventlake::lake {

Result<bool> CacheObject(const ObjectStore& store, std::string_view key, const std::string& local_path) {
  std::error_code ec;
  if (std::filesystem::exists(local_path, ec)) return false;
  std::filesystem::create_directories(std::filesystem::path(local_path).parent_path(), ec);
  if (ec) return Err(IOError("creating the directory of " + local_path + ": " + ec.message()));
  const std::string partial = local_path + ".part-" + NewEventId();
  Status got = store.GetToFile(key, partial);
  if (!got.ok()) {
    std::filesystem::remove(partial, ec);
    return Err(got.WithContext("fetching " + std::string(key)));
  }
  std::filesystem::rename(partial, local_path, ec);
  if (ec) return Err(IOError("caching " + std::string(key) + ": " + ec.message()));
  return true;
}

}  // namespace eventlake::lake
