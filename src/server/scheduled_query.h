// The query of a scheduled pipeline (pipelines[].trigger.query) run by the
// server's query engine: its rows as JSON objects, the batch of a run
// (pipeline/row_event.h makes them events). The query reads the lake as
// POST /v1/query does, with the server's own rights (the configuration is
// trusted); a result the engine's limits cut is an error, not a partial
// run.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "query/query_engine.h"

namespace eventlake::server {

Result<std::vector<std::string>> RunScheduledQuery(query::QueryEngine& engine, const std::string& sql);

}  // namespace eventlake::server
