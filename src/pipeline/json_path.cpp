// CheckMemberPath and MemberParent.
#include "pipeline/json_path.h"

namespace eventlake::pipeline {

Status CheckMemberPath(std::string_view step, std::string_view path) {
  if (path.empty() || path.front() == '.' || path.back() == '.' || path.find("..") != std::string_view::npos) {
    return InvalidArgument(std::string(step) + ": \"" + std::string(path) + "\" is not a member name (a or a.b)");
  }
  return Status::Ok();
}

nlohmann::ordered_json* MemberParent(nlohmann::ordered_json& root, std::string_view path, std::string* last,
                                     bool create) {
  nlohmann::ordered_json* at = &root;
  while (true) {
    const size_t dot = path.find('.');
    if (dot == std::string_view::npos) {
      *last = std::string(path);
      return at->is_object() ? at : nullptr;
    }
    const std::string name(path.substr(0, dot));
    if (!at->is_object()) return nullptr;
    auto it = at->find(name);
    if (it == at->end()) {
      if (!create) return nullptr;
      it = at->emplace(name, nlohmann::ordered_json::object()).first;
    }
    at = &*it;
    path.remove_prefix(dot + 1);
  }
}

}  // namespace eventlake::pipeline
