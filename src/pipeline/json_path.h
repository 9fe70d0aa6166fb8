// Member paths into an event's JSON data, as the map and mask steps name
// them: "price" is a top-level member, "user.id" the member id of the
// object user.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace eventlake::pipeline {

// InvalidArgument (naming `step`) unless `path` is names joined by dots.
Status CheckMemberPath(std::string_view step, std::string_view path);

// The object that holds the member at `path`, and in *last its name; null
// when a step on the way is not an object (or is missing, unless `create`,
// which makes the objects on the way).
nlohmann::ordered_json* MemberParent(nlohmann::ordered_json& root, std::string_view path, std::string* last,
                                     bool create);

}  // namespace eventlake::pipeline
