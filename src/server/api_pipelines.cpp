// Pipelines: list and describe — the trigger with its group's offsets and
// lag, the steps, the sinks and the dead-letter stream.
#include <nlohmann/json.hpp>

#include "server/api.h"
#include "server/problem.h"

namespace eventlake::server {
namespace http = boost::beast::http;
using Json = nlohmann::ordered_json;

namespace {

Json Describe(const ApiContext& context, const PipelineSet::Running& running) {
  const pipeline::PipelineConfig& config = running.config;
  const pipeline::PipelineOptions& options = running.pipeline->options();
  Json steps = Json::array();
  for (const pipeline::PipelineStep& step : options.steps) steps.push_back(step.name);
  Json sinks = Json::array();
  for (const Json& sink : config.sinks) sinks.push_back(sink);
  Json trigger = {{"stream", config.trigger.stream}, {"group", options.group}};
  if (const log::Stream* stream = context.log->FindStream(config.trigger.stream)) {
    auto committed = stream->GroupOffsets(options.group);
    if (committed.has_value()) {
      uint64_t lag = 0;
      for (uint32_t p = 0; p < stream->partition_count() && p < committed->size(); ++p) {
        const uint64_t end = stream->partition(p).EndOffset();
        lag += end > (*committed)[p] ? end - (*committed)[p] : 0;
      }
      trigger["committed"] = *committed;
      trigger["lag"] = lag;
    }
  }
  return Json{{"name", config.name},
              {"trigger", std::move(trigger)},
              {"steps", std::move(steps)},
              {"sinks", std::move(sinks)},
              {"dead_letter_stream", config.DeadLetterStream()}};
}

std::string Dump(const Json& json) { return json.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace

void RegisterPipelineApi(Router& router, const ApiContext& context) {
  const ApiContext* ctx = &context;
  router.Add(http::verb::get, "/v1/pipelines", {"pipelines:List", "pipeline/*"},
             [ctx](Request, Responder respond) {
               Json list = Json::array();
               if (ctx->pipelines != nullptr) {
                 for (const auto& running : ctx->pipelines->pipelines()) list.push_back(Describe(*ctx, running));
               }
               respond(JsonResponse(Dump(Json{{"pipelines", std::move(list)}})));
             });
  router.Add(http::verb::get, "/v1/pipelines/{name}", {"pipelines:Describe", "pipeline/{name}"},
             [ctx](Request request, Responder respond) {
               const PipelineSet::Running* running =
                   ctx->pipelines == nullptr ? nullptr : ctx->pipelines->Find(request.Param("name"));
               if (running == nullptr) {
                 return respond(ProblemResponse(NotFound("no pipeline named " + std::string(request.Param("name")))));
               }
               respond(JsonResponse(Dump(Describe(*ctx, *running))));
             });
}

}  // namespace eventlake::server
