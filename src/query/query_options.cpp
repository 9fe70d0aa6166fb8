// The query: option table.
#include "query/query_options.h"

namespace eventlake::query {

const config::Table<QueryOptions>& QueryOptionsTable() {
  using O = QueryOptions;
  static const auto& table =
      (new config::Table<O>("query", "SQL over the lake: POST /v1/query and `eventlake query`."))
          ->Field("threads", &O::threads, "DuckDB's threads for all queries; `0`: the cores.",
                  {.min = 0, .max = 1024})
          .Field("memory_limit", &O::memory_limit,
                 "DuckDB's memory limit for all queries (`4GB`); empty: 80% of the RAM. Beyond "
                 "it a query spills to `<data_dir>/query-tmp` or fails.")
          .Field("workers", &O::workers, "Queries that run at once.", {.min = 1, .max = 1024})
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
