// The duckdb_result inside a QueryResult. Private to the engine room.
#pragma once

#include <duckdb.h>

#include "engine/query_result.h"

namespace eventlake::engine {

struct QueryResult::Handle {
  Handle() = default;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { duckdb_destroy_result(&result); }
  duckdb_result result{};
};

}  // namespace eventlake::engine
