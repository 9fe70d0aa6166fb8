// How POST /v1/query answers (docs/http-api.md, "Query"): the rows, as the
// engine hands them out, formatted by query::ResultWriter into a
// StreamWriter (http_stream.h). A result that ends within the first 64 KiB,
// and every failure before that, is one ordinary response: the result with
// Content-Length and the X-Eventlake-Rows / X-Eventlake-Truncated header
// fields, or the problem+json with its status. A longer result is sent as it
// comes (chunked, at each DuckDB chunk's end or 64 KiB; the client's reading
// paces the query) and those fields
// become trailers. An error once rows went out cannot change the 200: JSON
// ends its envelope with an "error" member (and the X-Eventlake-Error
// trailer); NDJSON and CSV end the body without the last chunk, so the
// client sees it incomplete (an Arrow stream too: without its end-of-stream
// marker). Parquet is always one whole file.
#pragma once

#include <memory>
#include <variant>

#include "query/query_engine.h"
#include "query/result_format.h"
#include "server/http_server.h"

namespace eventlake::server {

// The sink of one query and its answer. The engine calls Columns, Row and
// Interrupt; its `done` callback calls Done once. Must live until Done.
class QueryAnswer : public query::RowSink, private query::ResultOutput {
 public:
  QueryAnswer(query::ResultFormat format, Responder respond);

  Status Columns(std::span<const query::QueryColumn> columns) override;
  Status Row(std::string_view json_array) override;
  Status Bytes(std::string_view piece) override;  // an Arrow stream's
  // Once the answer has started, the chunk's rows go out now.
  Status ChunkEnd() override;
  // The timeout, a cancel or the engine stopping: a Row waiting on a slow
  // client returns DeadlineExceeded.
  void Interrupt() override;
  // Answers with the query's outcome.
  void Done(const std::variant<query::QueryStats, query::QueryFailure>& outcome);

 private:
  Status Write(std::string_view bytes) override;
  void Failed(const query::QueryFailure& failure);
  // Runs `end` (which formats the result's end) and finishes the answer
  // with what it wrote, without waiting for the client.
  template <typename End>
  Status FinishWith(End end, const HttpFields& trailers);

  query::ResultFormat format_;
  std::unique_ptr<StreamWriter> stream_;
  query::ResultWriter formatter_;
  std::string* tail_ = nullptr;  // while set, the formatter's bytes go here
};

}  // namespace eventlake::server
