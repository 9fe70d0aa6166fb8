// Result rows in the formats the HTTP API and the CLI answer with, built
// from the JSON arrays the engine hands out (query_engine.h), or the bytes
// of the stream it writes:
//
//   json    {"columns":[{"name":"id","type":"VARCHAR"},...],
//            "rows":[["a",1],...],"row_count":2,"truncated":false,
//            "stats":{"seconds":..,"files":..,"bytes":..,"tables":[..]}}
//   ndjson  one object per row: {"id":"a","n":1}
//   csv     RFC 4180: a header line, then one line per row; NULL is an empty
//           field, strings are quoted when they need it, nested values are
//           their JSON text.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "query/query_engine.h"

namespace eventlake::query {

//   arrow   an Arrow IPC stream (application/vnd.apache.arrow.stream), written
//           by the engine (QueryOutput::kArrow) and collected here as it comes.
//
// kParquet is written by the engine itself (QueryOutput::kParquet), not by
// FormattedResult.
enum class ResultFormat { kJson, kNdjson, kCsv, kParquet, kArrow };

// "json", "ndjson", "csv", "parquet", "arrow" (also their media types);
// nullopt for others.
std::optional<ResultFormat> ParseResultFormat(std::string_view name);
// The format an Accept header asks for (the first one known; JSON for
// "*/*" or none); nullopt when it names only unknown ones.
std::optional<ResultFormat> FormatForAccept(std::string_view accept);
std::string_view MediaTypeOf(ResultFormat format);

// Collects a result in memory, formatted (bounded by the engine's limits).
class FormattedResult : public RowSink {
 public:
  explicit FormattedResult(ResultFormat format) : format_(format) {}
  Status Columns(std::span<const QueryColumn> columns) override;
  Status Row(std::string_view json_array) override;
  Status Bytes(std::string_view piece) override;  // kArrow only
  // The whole body; for JSON the stats close it.
  std::string Finish(const QueryStats& stats);

 private:
  ResultFormat format_;
  std::vector<QueryColumn> columns_;
  std::vector<std::string> quoted_names_;  // JSON-quoted, for NDJSON keys
  std::string body_;
  uint64_t rows_ = 0;
};

// The top-level elements of a JSON array, as their text. InvalidArgument
// when `array` is not one.
Result<std::vector<std::string_view>> SplitJsonArray(std::string_view array);
// A JSON string literal's value (UTF-8); InvalidArgument when malformed.
Result<std::string> UnquoteJsonString(std::string_view literal);

}  // namespace eventlake::query
