// The HTTP API of eventlake (issue 2 scope; see docs and notes/http_api.md):
// health, readiness and metrics, streams, records, consumer-group seeks, and
// the minimal event source endpoint. Each Register* function adds one
// resource's routes; handlers keep a pointer to the ApiContext, which must
// outlive the router.
#pragma once

#include "core/clock.h"
#include "core/id.h"
#include "core/metrics.h"
#include "ingest/cloudevent_json.h"
#include "lake/lake.h"
#include "log/log.h"
#include "query/query_engine.h"
#include "server/config.h"
#include "server/pipeline_set.h"
#include "server/router.h"
#include "server/source_set.h"

namespace eventlake::server {

struct ApiContext {
  log::Log* log = nullptr;
  MetricsRegistry* metrics = nullptr;
  const Config* config = nullptr;
  Clock* clock = &SystemClock();
  IdGenerator* ids = nullptr;  // for events that arrive without an id
  SourceSet* sources = nullptr;
  lake::Lake* lake = nullptr;
  PipelineSet* pipelines = nullptr;
  ingest::JsonLimits json_limits;  // request bodies of the management API
  query::QueryEngine* query = nullptr;  // null: queries answer query_unavailable
  Status query_unavailable = Unavailable("the query engine is not running");
};

// GET /healthz, GET /readyz, GET /metrics.
void RegisterHealthApi(Router& router, const ApiContext& context);
// GET|POST /v1/streams, GET /v1/streams/{name}, POST .../groups/{group}/seek.
void RegisterStreamApi(Router& router, const ApiContext& context);
// GET /v1/streams/{name}/records (with long poll).
void RegisterRecordApi(Router& router, const ApiContext& context);
// POST /v1/sources/{source}/events and POST /v1/sources/{source}/s3.
void RegisterSourceApi(Router& router, const ApiContext& context);

// GET /v1/tables, GET /v1/tables/{name} (?version=N, ?files=true), GET
// /v1/tables/{name}/history.
void RegisterTableApi(Router& router, const ApiContext& context);

// GET /v1/pipelines, GET /v1/pipelines/{name}, POST .../replay, POST
// .../dlq/redrive.
void RegisterPipelineApi(Router& router, const ApiContext& context);

// POST /v1/query, DELETE /v1/queries/{id}.
void RegisterQueryApi(Router& router, const ApiContext& context);

// All of the above.
void RegisterApi(Router& router, const ApiContext& context);

}  // namespace eventlake::server
