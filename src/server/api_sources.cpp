// POST /v1/sources/{source}/events: the minimal HTTP source of issue 2.
// Decodes the body by its content type, appends the events to the source's
// stream and answers from the append callback, so a 200 means durable under
// the stream's durability setting.
#include <memory>

#include "ingest/json_text.h"
#include "ingest/plain_json.h"
#include "server/api.h"
#include "server/problem.h"

namespace eventlake::server {
namespace http = boost::beast::http;

namespace {

enum class BodyFormat { kStructured, kBatch, kPlainJson, kUnsupported };

BodyFormat FormatOf(const HttpRequest& request) {
  auto it = request.find(http::field::content_type);
  if (it == request.end()) return BodyFormat::kUnsupported;
  std::string_view type(it->value().data(), it->value().size());
  type = type.substr(0, type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  auto is = [&](std::string_view name) {
    return boost::beast::iequals(boost::beast::string_view(type.data(), type.size()),
                                 boost::beast::string_view(name.data(), name.size()));
  };
  if (is("application/cloudevents+json")) return BodyFormat::kStructured;
  if (is("application/cloudevents-batch+json")) return BodyFormat::kBatch;
  if (is("application/json")) return BodyFormat::kPlainJson;
  return BodyFormat::kUnsupported;
}

std::optional<std::string> HeaderValue(const HttpRequest& request, std::string_view name) {
  auto it = request.find(boost::beast::string_view(name.data(), name.size()));
  if (it == request.end() || it->value().empty()) return std::nullopt;
  return std::string(it->value());
}

Result<std::vector<CloudEvent>> DecodeEvents(const Request& request, const ApiContext& context,
                                             std::string_view source) {
  const std::string& body = request.http.body();
  switch (FormatOf(request.http)) {
    case BodyFormat::kStructured: {
      EL_ASSIGN_OR_RETURN(CloudEvent event,
                          ingest::ParseStructuredEvent(body, context.json_limits));
      std::vector<CloudEvent> events;
      events.push_back(std::move(event));
      return events;
    }
    case BodyFormat::kBatch:
      return ingest::ParseBatch(body, context.json_limits);
    case BodyFormat::kPlainJson: {
      ingest::PlainJsonContext wrap;
      wrap.source = "/eventlake/sources/" + std::string(source);
      if (auto type = HeaderValue(request.http, "ce-type")) wrap.type = *type;
      wrap.idempotency_key = HeaderValue(request.http, "Idempotency-Key");
      wrap.now = context.clock->NowMicros();
      wrap.ids = context.ids;
      return ingest::WrapPlainJson(body, wrap, context.json_limits);
    }
    case BodyFormat::kUnsupported:
      break;
  }
  return Err(Status(StatusCode::kInvalidArgument, "unsupported media type"));
}

// {"id":..,"partition":..,"offset":..} for each stored event, comma-separated.
std::string AcceptedList(const std::vector<CloudEvent>& events,
                         const std::vector<Result<log::RecordPosition>>& results) {
  std::string out = "\"accepted\":[";
  bool first = true;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].has_value()) continue;
    if (!first) out.push_back(',');
    first = false;
    out.append("{\"id\":");
    ingest::AppendJsonString(events[i].id, &out);
    out.append(",\"partition\":" + std::to_string(results[i]->partition) +
               ",\"offset\":" + std::to_string(results[i]->offset) + "}");
  }
  out.push_back(']');
  return out;
}

HttpResponse AppendResponse(const std::vector<CloudEvent>& events,
                            const std::vector<Result<log::RecordPosition>>& results) {
  for (const auto& result : results) {
    if (!result.has_value()) {  // partitions fail apart: say which events are stored
      return ProblemResponse(result.error(), AcceptedList(events, results));
    }
  }
  return JsonResponse("{" + AcceptedList(events, results) + "}");
}

void PostEvents(const ApiContext& context, Request request, Responder respond) {
  std::string_view source_name = request.Param("source");
  const SourceOptions* source = context.config->FindSource(source_name);
  if (source == nullptr) {
    return respond(ProblemResponse(NotFound("no source named '" + std::string(source_name) + "'")));
  }
  log::Stream* stream = context.log->FindStream(source->stream);
  if (stream == nullptr) {
    return respond(ProblemResponse(Unavailable("the stream '" + source->stream + "' of source '" +
                                               source->name + "' is not open")));
  }
  if (FormatOf(request.http) == BodyFormat::kUnsupported) {
    return respond(ProblemResponse(415, "unsupported_media_type",
                                   "Content-Type must be application/cloudevents+json, "
                                   "application/cloudevents-batch+json or application/json"));
  }
  auto events = DecodeEvents(request, context, source->name);
  if (!events) return respond(ProblemResponse(events.error()));
  if (events->empty()) return respond(JsonResponse(R"({"accepted":[]})"));
  auto shared_events = std::make_shared<std::vector<CloudEvent>>(std::move(*events));
  auto shared_respond = std::make_shared<Responder>(std::move(respond));
  stream->Append(*shared_events,
                 [shared_events, shared_respond](std::vector<Result<log::RecordPosition>> results) {
                   shared_respond->Send(AppendResponse(*shared_events, results));
                 });
}

}  // namespace

void RegisterSourceApi(Router& router, const ApiContext& context) {
  const ApiContext* ctx = &context;
  router.Add(http::verb::post, "/v1/sources/{source}/events",
             [ctx](Request request, Responder respond) {
               PostEvents(*ctx, std::move(request), std::move(respond));
             });
}

}  // namespace eventlake::server
