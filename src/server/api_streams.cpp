// Streams: list, create (options as in eventlake.yaml, given as JSON),
// describe (sizes, offsets, health and consumer-group lag), and seeking a
// consumer group to an offset, a time or either end.
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "core/config_table.h"
#include "log/offset_store.h"
#include "log/stream_options_table.h"
#include "server/api.h"
#include "server/api_json.h"
#include "server/group_seek.h"
#include "server/problem.h"

namespace eventlake::server {
namespace http = boost::beast::http;
using Json = nlohmann::ordered_json;

namespace {

// JSON values as the YAML nodes the option tables parse (scalars as text).
YAML::Node ToYaml(const Json& json) {
  switch (json.type()) {
    case Json::value_t::null:
      return YAML::Node(YAML::NodeType::Null);
    case Json::value_t::string:
      return YAML::Node(json.get<std::string>());
    case Json::value_t::array: {
      YAML::Node list(YAML::NodeType::Sequence);
      for (const Json& item : json) list.push_back(ToYaml(item));
      return list;
    }
    case Json::value_t::object: {
      YAML::Node map(YAML::NodeType::Map);
      for (const auto& [key, value] : json.items()) map[key] = ToYaml(value);
      return map;
    }
    default:
      return YAML::Node(json.dump());  // numbers and booleans
  }
}

Json TimeOrNull(TimestampMicros micros) {
  return micros == 0 ? Json(nullptr) : Json(FormatRfc3339(micros));
}

Json Describe(const log::Stream& stream) {
  log::StreamStats stats = stream.Stats();
  Json out = {{"name", stream.name()},
              {"options", Json::parse(log::StreamOptionsToJson(stream.options()))},
              {"size_bytes", stats.size_bytes},
              {"records", stats.records}};
  Json partitions = Json::array();
  for (size_t p = 0; p < stats.partitions.size(); ++p) {
    const log::PartitionStats& ps = stats.partitions[p];
    partitions.push_back({{"partition", p},
                          {"start_offset", ps.start_offset},
                          {"end_offset", ps.end_offset},
                          {"size_bytes", ps.size_bytes},
                          {"segments", ps.segments},
                          {"oldest_append_time", TimeOrNull(ps.oldest_append_time)},
                          {"newest_append_time", TimeOrNull(ps.newest_append_time)},
                          {"health", ps.health.ok() ? "ok" : ps.health.message()}});
  }
  out["partitions"] = std::move(partitions);
  Json groups = Json::array();
  if (auto list = stream.Groups()) {
    for (const log::GroupStats& g : *list) {
      uint64_t total = 0;
      for (uint64_t lag : g.lag) total += lag;
      groups.push_back(
          {{"group", g.group}, {"committed", g.committed}, {"lag", g.lag}, {"total_lag", total}});
    }
  }
  out["groups"] = std::move(groups);
  return out;
}

HttpResponse ListStreams(const ApiContext& context) {
  Json streams = Json::array();
  for (const log::Stream* stream : context.log->Streams()) {
    log::StreamStats stats = stream->Stats();
    streams.push_back({{"name", stream->name()},
                       {"partitions", stream->partition_count()},
                       {"durability", log::DurabilityName(stream->options().durability)},
                       {"size_bytes", stats.size_bytes},
                       {"records", stats.records}});
  }
  return JsonResponse(Dump(Json{{"streams", std::move(streams)}}));
}

HttpResponse CreateStream(const ApiContext& context, const Request& request) {
  auto body = ParseJsonObject(request.http.body(), context.json_limits);
  if (!body) return ProblemResponse(body.error());
  log::StreamOptions options;
  Status parsed = log::StreamOptionsTable().Parse(ToYaml(*body), "", &options);
  if (!parsed.ok()) return ProblemResponse(parsed);
  auto stream = context.log->CreateStream(options);
  if (!stream) return ProblemResponse(stream.error());
  return JsonResponse(Dump(Describe(**stream)), 201);
}

log::Stream* FindStream(const ApiContext& context, const Request& request, HttpResponse* error) {
  log::Stream* stream = context.log->FindStream(request.Param("name"));
  if (stream == nullptr) {
    *error =
        ProblemResponse(NotFound("no stream named '" + std::string(request.Param("name")) + "'"));
  }
  return stream;
}

HttpResponse SeekGroup(const ApiContext& context, const Request& request) {
  HttpResponse error;
  log::Stream* stream = FindStream(context, request, &error);
  if (stream == nullptr) return error;
  std::string group(request.Param("group"));
  Status valid = log::ValidateGroupName(group);
  if (!valid.ok()) return ProblemResponse(valid);
  auto body = ParseJsonObject(request.http.body(), context.json_limits);
  if (!body) return ProblemResponse(body.error());
  Status sought = SeekGroupBy(*stream, group, *body);
  if (!sought.ok()) return ProblemResponse(sought);
  auto committed = stream->GroupOffsets(group);
  if (!committed) return ProblemResponse(committed.error());
  Json lag = Json::array();
  for (uint32_t p = 0; p < committed->size() && p < stream->partition_count(); ++p) {
    uint64_t end = stream->partition(p).EndOffset();
    lag.push_back(end > (*committed)[p] ? end - (*committed)[p] : 0);
  }
  return JsonResponse(Dump(Json{{"group", group}, {"committed", *committed}, {"lag", lag}}));
}

}  // namespace

void RegisterStreamApi(Router& router, const ApiContext& context) {
  const ApiContext* ctx = &context;
  router.Add(http::verb::get, "/v1/streams", {"streams:List", "stream/*"},
             [ctx](Request, Responder respond) { respond(ListStreams(*ctx)); });
  router.Add(http::verb::post, "/v1/streams", {"streams:Create", "stream/*"},
             [ctx](Request request, Responder respond) { respond(CreateStream(*ctx, request)); });
  router.Add(
      http::verb::get, "/v1/streams/{name}", {"streams:Describe", "stream/{name}"},
      [ctx](Request request, Responder respond) {
        HttpResponse error;
        log::Stream* stream = FindStream(*ctx, request, &error);
        respond(stream == nullptr ? std::move(error) : JsonResponse(Dump(Describe(*stream))));
      });
  router.Add(http::verb::post, "/v1/streams/{name}/groups/{group}/seek",
             {"streams:Seek", "stream/{name}"},
             [ctx](Request request, Responder respond) { respond(SeekGroup(*ctx, request)); });
}

}  // namespace eventlake::server
