// SeekGroupBy: a seek body applied to a stream's group.
#include "server/group_seek.h"

namespace eventlake::server {

Status SeekGroupBy(log::Stream& stream, const std::string& group, const nlohmann::ordered_json& body) {
  if (body.size() != 1) {
    return InvalidArgument("give exactly one of 'offset', 'time' or 'position'");
  }
  if (auto it = body.find("offset"); it != body.end()) {
    if (!it->is_number_unsigned())
      return InvalidArgument("'offset' must be a non-negative integer");
    return stream.SeekGroupToOffset(group, it->get<uint64_t>());
  }
  if (auto it = body.find("time"); it != body.end()) {
    if (!it->is_string()) return InvalidArgument("'time' must be an RFC 3339 string");
    auto micros = ParseRfc3339(it->get<std::string>());
    if (!micros) return micros.error().WithContext("time");
    return stream.SeekGroupToTime(group, *micros);
  }
  if (auto it = body.find("position"); it != body.end()) {
    if (*it == "earliest") return stream.SeekGroupToOffset(group, 0);
    if (*it == "latest") return stream.SeekGroupToOffset(group, UINT64_MAX);
    return InvalidArgument("'position' must be \"earliest\" or \"latest\"");
  }
  return InvalidArgument("give exactly one of 'offset', 'time' or 'position'");
}

}  // namespace eventlake::server
