// Plain JSON objects wrapped into CloudEvents.
#include "ingest/plain_json.h"

#include <nlohmann/json.hpp>

#include "core/id.h"

namespace eventlake::ingest {
namespace {

using Json = nlohmann::ordered_json;

CloudEvent Wrap(const Json& object, const PlainJsonContext& context, std::string id) {
  CloudEvent event;
  event.id = std::move(id);
  event.source = context.source;
  event.type = context.type;
  event.time = context.now;
  event.data_content_type = "application/json";
  event.data = object.dump();
  return event;
}

}  // namespace

Result<std::vector<CloudEvent>> WrapPlainJson(std::string_view json,
                                              const PlainJsonContext& context,
                                              const JsonLimits& limits) {
  EL_RETURN_IF_ERROR(CheckJsonLimits(json, limits));
  try {
    Json parsed = Json::parse(json);
    const bool is_array = parsed.is_array();
    if (!is_array) parsed = Json::array({std::move(parsed)});
    if (parsed.size() > limits.max_events) {
      return Err(InvalidArgument("a request holds at most " + std::to_string(limits.max_events) +
                                 " events, got " + std::to_string(parsed.size())));
    }
    std::vector<CloudEvent> events;
    events.reserve(parsed.size());
    for (size_t i = 0; i < parsed.size(); ++i) {
      if (!parsed[i].is_object()) {
        return Err(InvalidArgument(is_array
                                       ? "element [" + std::to_string(i) + "] is not a JSON object"
                                       : std::string("the body is not a JSON object")));
      }
      std::string id;
      if (context.idempotency_key) {
        id = is_array ? *context.idempotency_key + "-" + std::to_string(i)
                      : *context.idempotency_key;
      } else {
        id = context.ids != nullptr ? context.ids->Next() : NewEventId();
      }
      events.push_back(Wrap(parsed[i], context, std::move(id)));
    }
    return events;
  } catch (const nlohmann::json::exception& e) {
    std::string what = e.what();
    size_t end = what.find("] ");
    return Err(InvalidArgument("malformed JSON: " +
                               (end == std::string::npos ? what : what.substr(end + 2))));
  }
}

}  // namespace eventlake::ingest
