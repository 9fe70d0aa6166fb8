// The key rules every ObjectStore enforces.
#include "lake/object_store.h"

namespace eventlake::lake {

Status ValidateObjectKey(std::string_view key) {
  if (key.empty()) return InvalidArgument("object key is empty");
  if (key.size() > 1024) return InvalidArgument("object key is over 1024 bytes");
  if (key.find('\0') != std::string_view::npos) {
    return InvalidArgument("object key contains NUL");
  }
  size_t start = 0;
  while (true) {
    size_t end = key.find('/', start);
    std::string_view segment =
        key.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (segment.empty() || segment == "." || segment == "..") {
      return InvalidArgument("object key " + std::string(key) +
                             ": empty, '.' or '..' segment");
    }
    if (end == std::string_view::npos) return Status::Ok();
    start = end + 1;
  }
}

}  // namespace eventlake::lake
