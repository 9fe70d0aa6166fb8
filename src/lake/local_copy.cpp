// LocalCopies: the object's file, or a staged download of it.
#include "lake/local_copy.h"

#include <cstdio>

#include "core/id.h"

namespace eventlake::lake {

LocalCopies::~LocalCopies() {
  for (const std::string& path : downloaded_) std::remove(path.c_str());
}

Result<std::string> LocalCopies::PathOf(std::string_view key) {
  if (auto local = store_->LocalPath(key)) return *local;
  const std::string name(key.substr(key.rfind('/') + 1));
  const std::string path = store_->StagingDirectory() + "/download-" + NewEventId() + "-" + name;
  EL_RETURN_IF_ERROR(store_->GetToFile(key, path));
  downloaded_.push_back(path);
  return path;
}

}  // namespace eventlake::lake
