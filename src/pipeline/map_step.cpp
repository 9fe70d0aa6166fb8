// MapStep: rename, drop, set and cast over nlohmann::ordered_json, which
// keeps the members' order.
#include "pipeline/map_step.h"

#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

#include "pipeline/json_path.h"
#include "pipeline/per_event_step.h"

namespace eventlake::pipeline {
namespace {

using Json = nlohmann::ordered_json;

Result<Json> Cast(const Json& v, CastType type, const std::string& name) {
  const auto refuse = [&](std::string_view as) {
    return Err(InvalidArgument("map: " + name + " (" + v.dump() + ") cannot be cast to " + std::string(as)));
  };
  if (v.is_null()) return v;
  switch (type) {
    case CastType::kString: return Json(v.is_string() ? v.get<std::string>() : v.dump());
    case CastType::kInteger: {
      if (v.is_number_integer()) return v;
      if (v.is_number_float()) {
        const double d = v.get<double>();
        if (std::trunc(d) != d || std::abs(d) > 9.2e18) return refuse("integer");
        return Json(static_cast<int64_t>(d));
      }
      if (v.is_boolean()) return Json(v.get<bool>() ? 1 : 0);
      if (!v.is_string()) return refuse("integer");
      const std::string s = v.get<std::string>();
      int64_t n = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return refuse("integer");
      return Json(n);
    }
    case CastType::kDouble: {
      if (v.is_number()) return Json(v.get<double>());
      if (!v.is_string()) return refuse("double");
      const std::string s = v.get<std::string>();
      double d = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
      if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(d)) return refuse("double");
      return Json(d);
    }
    case CastType::kBoolean: {
      if (v.is_boolean()) return v;
      if (v.is_number_integer() && (v.get<int64_t>() == 0 || v.get<int64_t>() == 1)) return Json(v.get<int64_t>() == 1);
      if (v.is_string() && (v.get<std::string>() == "true" || v.get<std::string>() == "false")) {
        return Json(v.get<std::string>() == "true");
      }
      return refuse("boolean");
    }
  }
  return refuse("?");
}

}  // namespace

Result<CastType> ParseCastType(std::string_view name) {
  if (name == "string") return CastType::kString;
  if (name == "integer") return CastType::kInteger;
  if (name == "double") return CastType::kDouble;
  if (name == "boolean") return CastType::kBoolean;
  return Err(InvalidArgument("cast: string, integer, double or boolean, not " + std::string(name)));
}

Result<MapStep> MapStep::Create(MapSpec spec) {
  auto check = [](const std::string& name) { return CheckMemberPath("map", name); };
  for (const auto& [from, to] : spec.rename) {
    EL_RETURN_IF_ERROR(check(from));
    EL_RETURN_IF_ERROR(check(to));
  }
  for (const std::string& name : spec.drop) EL_RETURN_IF_ERROR(check(name));
  for (const auto& [name, value] : spec.set) {
    EL_RETURN_IF_ERROR(check(name));
    if (Json::parse(value, nullptr, /*allow_exceptions=*/false).is_discarded()) {
      return Err(InvalidArgument("map: set " + name + ": the value is not JSON: " + value));
    }
  }
  for (const auto& [name, type] : spec.cast) EL_RETURN_IF_ERROR(check(name));
  return MapStep(std::move(spec));
}

Result<std::string> MapStep::MapData(std::string_view data) const {
  Json root = Json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (!root.is_object()) return Err(InvalidArgument("map: the event's data is not a JSON object"));
  std::string last;
  for (const auto& [from, to] : spec_.rename) {
    Json* parent = MemberParent(root, from, &last, false);
    if (parent == nullptr || !parent->contains(last)) continue;
    Json value = std::move((*parent)[last]);
    parent->erase(last);
    std::string target;
    Json* destination = MemberParent(root, to, &target, true);
    if (destination == nullptr) return Err(InvalidArgument("map: rename to " + to + ": not inside an object"));
    (*destination)[target] = std::move(value);
  }
  for (const std::string& name : spec_.drop) {
    if (Json* parent = MemberParent(root, name, &last, false)) parent->erase(last);
  }
  for (const auto& [name, value] : spec_.set) {
    Json* parent = MemberParent(root, name, &last, true);
    if (parent == nullptr) return Err(InvalidArgument("map: set " + name + ": not inside an object"));
    (*parent)[last] = Json::parse(value);
  }
  for (const auto& [name, type] : spec_.cast) {
    Json* parent = MemberParent(root, name, &last, false);
    if (parent == nullptr || !parent->contains(last)) continue;
    EL_ASSIGN_OR_RETURN((*parent)[last], Cast((*parent)[last], type, name));
  }
  return root.dump();
}

StepResult MapStep::Run(std::span<const BatchRecord> batch) const {
  return RewriteEachData(batch, [this](std::string_view data) { return MapData(data); });
}

}  // namespace eventlake::pipeline
