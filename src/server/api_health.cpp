// Liveness, readiness and the Prometheus scrape endpoint.
#include "server/api.h"
#include "server/problem.h"

namespace eventlake::server {
namespace http = boost::beast::http;

namespace {

// The first partition that refuses writes, as a Status naming it.
Status LogHealth(const log::Log& log) {
  for (const log::Stream* stream : log.Streams()) {
    for (uint32_t p = 0; p < stream->partition_count(); ++p) {
      Status health = stream->partition(p).Stats().health;
      if (!health.ok()) {
        return Unavailable("partition " + stream->name() + "/" + std::to_string(p) +
                           " is not healthy: " + health.message());
      }
    }
  }
  return Status::Ok();
}

}  // namespace

void RegisterHealthApi(Router& router, const ApiContext& context) {
  const ApiContext* ctx = &context;
  router.Add(http::verb::get, "/healthz", Permission::Public(),
             [](Request, Responder respond) { respond(JsonResponse(R"({"status":"ok"})")); });
  router.Add(http::verb::get, "/readyz", Permission::Public(), [ctx](Request, Responder respond) {
    if (ctx->log == nullptr) return respond(ProblemResponse(Unavailable("the log is not open")));
    Status health = LogHealth(*ctx->log);
    if (!health.ok()) return respond(ProblemResponse(health));
    respond(JsonResponse(R"({"status":"ready"})"));
  });
  router.Add(http::verb::get, "/metrics", {"metrics:Read", "metrics"},
             [ctx](Request, Responder respond) {
               HttpResponse response;
               response.content_type = "text/plain; version=0.0.4; charset=utf-8";
               if (ctx->metrics != nullptr) response.body = ctx->metrics->RenderPrometheus();
               respond(std::move(response));
             });
}

void RegisterApi(Router& router, const ApiContext& context) {
  RegisterHealthApi(router, context);
  RegisterStreamApi(router, context);
  RegisterRecordApi(router, context);
  RegisterSourceApi(router, context);
  RegisterTableApi(router, context);
  RegisterPipelineApi(router, context);
  RegisterQueryApi(router, context);
}

}  // namespace eventlake::server
