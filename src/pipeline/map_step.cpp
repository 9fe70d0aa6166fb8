// MapStep: rename, drop, set and cast over nlohmann::ordered_json, which
// keeps the members' order.
#include "pipeline/map_step.h"

#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

namespace eventlake::pipeline {
namespace {

using Json = nlohmann::ordered_json;

// The object holding member `path` ("a.b": the object a) and the last
// name; null when a step of the way is not an object. `create` makes the
// objects on the way.
Json* Parent(Json& root, std::string_view path, std::string* last, bool create) {
  Json* at = &root;
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
      it = at->emplace(name, Json::object()).first;
    }
    at = &*it;
    path.remove_prefix(dot + 1);
  }
}

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
  auto check = [](const std::string& name) -> Status {
    if (name.empty() || name.front() == '.' || name.back() == '.' || name.find("..") != std::string::npos) {
      return InvalidArgument("map: \"" + name + "\" is not a member name (a or a.b)");
    }
    return Status::Ok();
  };
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
    Json* parent = Parent(root, from, &last, false);
    if (parent == nullptr || !parent->contains(last)) continue;
    Json value = std::move((*parent)[last]);
    parent->erase(last);
    std::string target;
    Json* destination = Parent(root, to, &target, true);
    if (destination == nullptr) return Err(InvalidArgument("map: rename to " + to + ": not inside an object"));
    (*destination)[target] = std::move(value);
  }
  for (const std::string& name : spec_.drop) {
    if (Json* parent = Parent(root, name, &last, false)) parent->erase(last);
  }
  for (const auto& [name, value] : spec_.set) {
    Json* parent = Parent(root, name, &last, true);
    if (parent == nullptr) return Err(InvalidArgument("map: set " + name + ": not inside an object"));
    (*parent)[last] = Json::parse(value);
  }
  for (const auto& [name, type] : spec_.cast) {
    Json* parent = Parent(root, name, &last, false);
    if (parent == nullptr || !parent->contains(last)) continue;
    EL_ASSIGN_OR_RETURN((*parent)[last], Cast((*parent)[last], type, name));
  }
  return root.dump();
}

StepResult MapStep::Run(std::span<const BatchRecord> batch) const {
  StepResult result;
  for (size_t i = 0; i < batch.size(); ++i) {
    auto data = MapData(batch[i].event.data);
    if (!data.has_value()) {
      result.failed.push_back({i, data.error()});
      continue;
    }
    CloudEvent e = batch[i].event;
    e.data = std::move(*data);
    e.data_content_type = "application/json";
    e.data_is_binary = false;
    result.out.push_back(std::move(e));
  }
  return result;
}

}  // namespace eventlake::pipeline
