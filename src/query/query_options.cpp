// The query: option table.
#include "query/query_options.h"

namespace eventlake::query {

const config::Table<QueryOptions>& QueryOptionsTable() {
  using O = QueryOptions;
  static const auto& table =
      (new config::Table<O>("query", "SQL over the lake: POST /v1/query and `eventlake query`."))
          ->Field("threads", &O::threads, "DuckDB's threads for each query; `0`: the cores.",
                  {.min = 0, .max = 1024})
          .Field("memory_limit", &O::memory_limit,
                 "The memory of all queries together (`4GB`); `0`: 80% of the RAM (or of the "
                 "cgroup's limit).",
                 {.bytes = true})
          .Field("max_query_memory", &O::max_query_memory,
                 "The memory one query may use; beyond it the query spills to "
                 "`<data_dir>/query-tmp` and fails when that is not enough. `0`: memory_limit / "
                 "workers; at most that.",
                 {.bytes = true})
          .Field("workers", &O::workers, "Queries that run at once, over HTTP and the Postgres "
                 "protocol together.", {.min = 1, .max = 1024})
          .Field("max_queued", &O::max_queued,
                 "Queries that wait for a worker; beyond that 429.", {.min = 0, .max = 100'000})
          .Field("timeout", &O::timeout,
                 "A query running longer is stopped (504); a request may ask for less.",
                 {.min = 1})
          .Field("max_result_rows", &O::max_result_rows,
                 "Rows a result holds at most; beyond them it is cut and marked truncated.",
                 {.min = 1})
          .Field("max_result_bytes", &O::max_result_bytes,
                 "Bytes a result holds at most (its JSON rows, its Arrow stream); beyond them it is "
                 "cut and marked truncated. A larger Parquet result fails.",
                 {.min = 1024, .bytes = true})
          .Field("cache_max_bytes", &O::cache_max_bytes,
                 "For a lake in S3: the local copies of its data files that queries and enrich "
                 "steps read (`<data_dir>/query-cache`) are kept within this size; the files used "
                 "longest ago go first, none used within twice the timeout.",
                 {.min = 1 << 20, .bytes = true});
  return table;
}

}  // namespace eventlake::query
