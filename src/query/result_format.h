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
//   arrow   an Arrow IPC stream (application/vnd.apache.arrow.stream), written
//           by the engine (QueryOutput::kArrow) and passed on as it comes.
//
// One formatter (ResultWriter) writes a result as it comes to a
// ResultOutput: memory (FormattedResult) or an HTTP answer streamed to the
// client (server/query_answer.h). A JSON result cut by an error after part
// of it was written ends {...,"rows":[...],"error":{problem},"row_count":N}.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "query/query_engine.h"

namespace eventlake::query {

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

// Where a ResultWriter's bytes go, piece by piece (about a row each). A
// non-OK Status stops the query; the piece counts as written either way.
class ResultOutput {
 public:
  virtual ~ResultOutput() = default;
  virtual Status Write(std::string_view bytes) = 0;
};

// Formats a result as its rows come. `*out` must outlive the writer. One
// query's thread at a time.
class ResultWriter : public RowSink {
 public:
  ResultWriter(ResultFormat format, ResultOutput* out) : format_(format), out_(out) {}
  Status Columns(std::span<const QueryColumn> columns) override;
  Status Row(std::string_view json_array) override;
  Status Bytes(std::string_view piece) override;  // kArrow: the stream's pieces, as they are
  // The end of a whole result; for JSON the stats close the envelope.
  Status Finish(const QueryStats& stats);
  // The end of a result that an error cut after part of it was written:
  // JSON closes the envelope with "error" (`problem`, a JSON object) and
  // "row_count" (the rows written) instead of the stats; NDJSON and CSV
  // have no way to say it and write nothing.
  Status FinishWithError(std::string_view problem);
  uint64_t rows() const { return rows_; }  // handed to the output

 private:
  ResultFormat format_;
  ResultOutput* out_;
  bool columns_written_ = false;
  std::vector<std::string> quoted_names_;  // JSON-quoted, for NDJSON keys
  std::string line_;                       // the row being formatted
  uint64_t rows_ = 0;
};

// Collects a whole result in memory, formatted (bounded by the engine's limits).
class FormattedResult : public RowSink {
 public:
  explicit FormattedResult(ResultFormat format) : writer_(format, &body_) {}
  Status Columns(std::span<const QueryColumn> columns) override { return writer_.Columns(columns); }
  Status Row(std::string_view json_array) override { return writer_.Row(json_array); }
  Status Bytes(std::string_view piece) override { return writer_.Bytes(piece); }
  // The whole body; for JSON the stats close it.
  std::string Finish(const QueryStats& stats);

 private:
  struct Body : ResultOutput {
    Status Write(std::string_view bytes) override {
      text.append(bytes);
      return Status::Ok();
    }
    std::string text;
  };
  Body body_;  // declared before writer_, which points to it
  ResultWriter writer_;
};

// The top-level elements of a JSON array, as their text. InvalidArgument
// when `array` is not one.
Result<std::vector<std::string_view>> SplitJsonArray(std::string_view array);
// A JSON string literal's value (UTF-8); InvalidArgument when malformed.
Result<std::string> UnquoteJsonString(std::string_view literal);

}  // namespace eventlake::query
