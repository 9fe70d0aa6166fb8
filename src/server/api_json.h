// JSON of the management API: answers written out, request bodies read
// under the JSON limits.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "ingest/cloudevent_json.h"

namespace eventlake::server {

// JSON text; invalid UTF-8 (in file names quoted by errors, say) becomes U+FFFD.
inline std::string Dump(const nlohmann::ordered_json& json) {
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// A request body that must be a JSON object.
inline Result<nlohmann::ordered_json> ParseJsonObject(std::string_view body, const ingest::JsonLimits& limits) {
  EL_RETURN_IF_ERROR(ingest::CheckJsonLimits(body, limits));
  auto json = nlohmann::ordered_json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Err(InvalidArgument("the body is not valid JSON"));
  if (!json.is_object()) return Err(InvalidArgument("the body must be a JSON object"));
  return json;
}

}  // namespace eventlake::server
