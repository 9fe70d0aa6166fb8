// The `query:` section of eventlake.yaml: the SQL engine's resources and
// limits (docs/configuration.md has every key with its default).
//
//   query:
//     workers: 4            # queries at once
//     timeout: 60s
//     max_result_rows: 1000000
//     memory_limit: 4GB     # all queries together
//     max_query_memory: 1GB # one query
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/config_table.h"

namespace eventlake::query {

struct QueryOptions {
  uint32_t threads = 0;  // DuckDB's, per query; 0 = the cores
  uint64_t memory_limit = 0;      // all queries together; 0 = 80% of the available memory
  uint64_t max_query_memory = 0;  // one query; 0 = memory_limit / workers
  uint32_t workers = 4;
  uint32_t max_queued = 64;
  std::chrono::milliseconds timeout{60'000};
  uint64_t max_result_rows = 1'000'000;
  uint64_t max_result_bytes = 256ull << 20;
  uint64_t cache_max_bytes = 10ull << 30;
};

const config::Table<QueryOptions>& QueryOptionsTable();

}  // namespace eventlake::query
