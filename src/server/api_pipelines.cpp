// Pipelines: list and describe — the trigger with its group's offsets and
// lag, the steps, the sinks, the dead-letter stream and the last redrive —,
// replay (the group moved back, or forward), redrive of dead letters, and
// apply (pipelines added, changed and removed on the running server) with
// each pipeline's versions.
#include <thread>

#include <nlohmann/json.hpp>

#include "pipeline/sink_factory.h"
#include "server/api.h"
#include "server/api_json.h"
#include "server/group_seek.h"
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
  for (const nlohmann::json& sink : config.sinks) {
    sinks.push_back(Json::parse(pipeline::RedactedSinkEntry(sink).dump()));
  }
  Json trigger = options.schedule.has_value()
                     ? Json{{"schedule", config.trigger.schedule}, {"query", config.trigger.query}}
                     : Json{{"stream", options.trigger->name()}, {"group", options.group}};
  if (const pipeline::ObjectsTriggerConfig& o = config.trigger.objects; o.enabled()) {
    // The objects trigger's stream is the internal <pipeline>.objects.
    trigger["objects"] = o.zone.empty() ? Json{{"prefix", o.prefix}} : Json{{"zone", o.zone}};
    trigger["objects"]["poll_ms"] = o.poll.count();
  }
  if (const log::Stream* stream = options.trigger) {
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
  const PipelineSet::RedriveStatus redrive_status = context.pipelines->RedriveStatusOf(running);
  Json redrive = {{"running", redrive_status.running}};
  if (redrive_status.report.has_value()) {
    const pipeline::RedriveReport& r = *redrive_status.report;
    redrive["last"] = {{"read", r.read},
                       {"redriven", r.redriven},
                       {"delivered", r.delivered},
                       {"dead_letters", r.dead_letters},
                       {"skipped", r.skipped}};
  }
  if (!redrive_status.error.ok()) redrive["error"] = redrive_status.error.ToString();
  return Json{{"name", config.name},
              {"trigger", std::move(trigger)},
              {"steps", std::move(steps)},
              {"sinks", std::move(sinks)},
              {"dead_letter_stream", config.DeadLetterStream()},
              {"redrive", std::move(redrive)}};
}

std::shared_ptr<const PipelineSet::Running> FindPipeline(const ApiContext& context, const Request& request,
                                                         HttpResponse* error) {
  std::shared_ptr<const PipelineSet::Running> running =
      context.pipelines == nullptr ? nullptr : context.pipelines->Find(request.Param("name"));
  if (running == nullptr) {
    *error = ProblemResponse(NotFound("no pipeline named " + std::string(request.Param("name"))));
  }
  return running;
}

// The group goes where the body says (as a stream's seek: offset, time or
// position), found with a scratch group so that the pipeline's own moves
// only once, through the pipeline.
HttpResponse Replay(const ApiContext& context, const Request& request) {
  HttpResponse error;
  std::shared_ptr<const PipelineSet::Running> running = FindPipeline(context, request, &error);
  if (running == nullptr) return error;
  auto body = ParseJsonObject(request.http.body(), context.json_limits);
  if (!body) return ProblemResponse(body.error());
  log::Stream* trigger = running->pipeline->options().trigger;
  if (trigger == nullptr) {
    return ProblemResponse(FailedPrecondition("pipeline " + running->config.name + " is scheduled: it has no stream to replay"));
  }
  const std::string scratch = running->pipeline->options().group + "-replay";
  Status sought = SeekGroupBy(*trigger, scratch, *body);
  if (!sought.ok()) return ProblemResponse(sought);
  auto offsets = trigger->GroupOffsets(scratch);
  if (!offsets) return ProblemResponse(offsets.error());
  Status rewound = running->pipeline->Rewind(*offsets);
  if (!rewound.ok()) return ProblemResponse(rewound);
  auto committed = trigger->GroupOffsets(running->pipeline->options().group);
  if (!committed) return ProblemResponse(committed.error());
  return JsonResponse(Dump(Json{{"name", running->config.name}, {"committed", *committed}}));
}

HttpResponse Redrive(const ApiContext& context, const Request& request) {
  HttpResponse error;
  std::shared_ptr<const PipelineSet::Running> running = FindPipeline(context, request, &error);
  if (running == nullptr) return error;
  double rate = 0;
  if (!request.http.body().empty()) {
    auto body = ParseJsonObject(request.http.body(), context.json_limits);
    if (!body) return ProblemResponse(body.error());
    for (const auto& [key, value] : body->items()) {
      if (key != "rate") return ProblemResponse(InvalidArgument("unknown member '" + key + "' (rate)"));
      if (!value.is_number() || value.get<double>() < 0) {
        return ProblemResponse(InvalidArgument("'rate' must be a non-negative number of dead letters per second"));
      }
      rate = value.get<double>();
    }
  }
  Status started = context.pipelines->StartRedrive(running->config.name, rate);
  if (!started.ok()) return ProblemResponse(started);
  return JsonResponse(Dump(Describe(context, *running)), 202);
}

// POST /v1/pipelines: {"pipelines": [...], "prune": false}, each entry a
// pipeline as in eventlake.yaml. All are checked before anything changes.
HttpResponse Apply(const ApiContext& context, const Request& request) {
  if (context.pipelines == nullptr) return ProblemResponse(Unavailable("no pipelines run here"));
  auto body = ParseJsonObject(request.http.body(), context.json_limits);
  if (!body) return ProblemResponse(body.error());
  bool prune = false;
  std::vector<pipeline::PipelineConfig> desired;
  for (const auto& [key, value] : body->items()) {
    if (key == "prune") {
      if (!value.is_boolean()) return ProblemResponse(InvalidArgument("'prune' must be true or false"));
      prune = value.get<bool>();
    } else if (key != "pipelines") {
      return ProblemResponse(InvalidArgument("unknown member '" + key + "' (pipelines, prune)"));
    }
  }
  const auto list = body->find("pipelines");
  if (list == body->end() || !list->is_array()) {
    return ProblemResponse(InvalidArgument("'pipelines' must be a list of pipelines, as in eventlake.yaml"));
  }
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string path = "pipelines[" + std::to_string(i) + "]";
    auto config = pipeline::ParsePipelineConfig((*list)[i].dump(), path);
    if (!config) return ProblemResponse(config.error());
    Status valid = pipeline::ValidatePipelineConfig(*config, path);
    if (!valid.ok()) return ProblemResponse(valid);
    for (const pipeline::PipelineConfig& other : desired) {
      if (other.name == config->name) return ProblemResponse(InvalidArgument(path + ".name: '" + other.name + "' twice"));
    }
    desired.push_back(std::move(*config));
  }
  auto changes = context.pipelines->Apply(desired, prune);
  if (!changes) return ProblemResponse(changes.error());
  Json out = Json::array();
  for (const PipelineSet::Change& c : *changes) {
    out.push_back({{"name", c.name}, {"change", c.change}, {"version", c.version}});
  }
  return JsonResponse(Dump(Json{{"changes", std::move(out)}}));
}

HttpResponse Versions(const ApiContext& context, const Request& request) {
  if (context.pipelines == nullptr) return ProblemResponse(NotFound("no pipelines run here"));
  auto versions = context.pipelines->Versions(request.Param("name"));
  if (!versions) return ProblemResponse(versions.error());
  if (versions->empty()) return ProblemResponse(NotFound("no pipeline named " + std::string(request.Param("name"))));
  Json out = Json::array();
  for (const PipelineVersion& v : *versions) out.push_back(Json::parse(VersionJson(v).dump()));
  return JsonResponse(Dump(Json{{"name", request.Param("name")}, {"versions", std::move(out)}}));
}

}  // namespace

void RegisterPipelineApi(Router& router, const ApiContext& context) {
  const ApiContext* ctx = &context;
  router.Add(http::verb::get, "/v1/pipelines", {"pipelines:List", "pipeline/*"},
             [ctx](Request, Responder respond) {
               Json list = Json::array();
               if (ctx->pipelines != nullptr) {
                 for (const auto& running : ctx->pipelines->pipelines()) list.push_back(Describe(*ctx, *running));
               }
               respond(JsonResponse(Dump(Json{{"pipelines", std::move(list)}})));
             });
  router.Add(http::verb::get, "/v1/pipelines/{name}", {"pipelines:Describe", "pipeline/{name}"},
             [ctx](Request request, Responder respond) {
               HttpResponse error;
               std::shared_ptr<const PipelineSet::Running> running = FindPipeline(*ctx, request, &error);
               respond(running == nullptr ? std::move(error) : JsonResponse(Dump(Describe(*ctx, *running))));
             });
  // Applying stops and starts pipelines (their sinks flush): off the io thread.
  router.Add(http::verb::post, "/v1/pipelines", {"pipelines:Apply", "pipeline/*"},
             [ctx](Request request, Responder respond) {
               std::thread([ctx, request = std::move(request), respond = std::move(respond)]() mutable {
                 respond(Apply(*ctx, request));
               }).detach();
             });
  router.Add(http::verb::get, "/v1/pipelines/{name}/versions", {"pipelines:Describe", "pipeline/{name}"},
             [ctx](Request request, Responder respond) { respond(Versions(*ctx, request)); });
  router.Add(http::verb::post, "/v1/pipelines/{name}/replay", {"pipelines:Replay", "pipeline/{name}"},
             [ctx](Request request, Responder respond) { respond(Replay(*ctx, request)); });
  router.Add(http::verb::post, "/v1/pipelines/{name}/dlq/redrive", {"pipelines:Redrive", "pipeline/{name}"},
             [ctx](Request request, Responder respond) { respond(Redrive(*ctx, request)); });
}

}  // namespace eventlake::server
