#include "pipeline/function_error.h"

#include <nlohmann/json.hpp>

#include "ingest/cloudevent_json.h"

namespace eventlake::pipeline {

std::string DescribeFunctionError(std::string_view body, std::string_view error_type_header) {
  constexpr size_t kExcerpt = 200;
  constexpr size_t kMaxType = 100;
  std::string type(error_type_header);
  std::string message;
  nlohmann::json doc = ingest::CheckJsonLimits(body, {}).ok()
                           ? nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false)
                           : nlohmann::json(nlohmann::json::value_t::discarded);
  if (doc.is_object()) {
    if (auto it = doc.find("errorType"); it != doc.end() && it->is_string())
      type = it->get<std::string>();
    if (auto it = doc.find("errorMessage"); it != doc.end() && it->is_string()) {
      message = it->get<std::string>();
    }
  } else {
    message = std::string(body.substr(0, kExcerpt));
  }
  if (message.size() > kExcerpt) message = message.substr(0, kExcerpt) + "...";
  if (type.size() > kMaxType) type = type.substr(0, kMaxType) + "...";
  if (type.empty()) type = "Unhandled";
  return message.empty() ? type : type + ": " + message;
}

}  // namespace eventlake::pipeline
