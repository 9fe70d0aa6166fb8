// Moving a consumer group by a JSON body, for the streams API's seek and
// a pipeline's replay: exactly one of {"offset": N}, {"time": RFC 3339}
// (the first record appended at or after it) or {"position":
// "earliest"|"latest"}.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "log/stream.h"

namespace eventlake::server {

// InvalidArgument for a body that is not one of the three.
Status SeekGroupBy(log::Stream& stream, const std::string& group, const nlohmann::ordered_json& body);

}  // namespace eventlake::server
