// QueryAnswer: where a query's bytes go and how its end is told
// (query_answer.h says what the client sees).
#include "server/query_answer.h"

#include <filesystem>
#include <limits>

#include "core/file.h"
#include "server/problem.h"

namespace eventlake::server {
namespace {

constexpr size_t kFlushBytes = 64u << 10;
// At most this much of a result waits for a slow client; the query's worker
// waits beyond it.
constexpr size_t kMaxQueuedBytes = 256u << 10;

constexpr const char* kRowsField = "X-Eventlake-Rows";
constexpr const char* kTruncatedField = "X-Eventlake-Truncated";
constexpr const char* kErrorField = "X-Eventlake-Error";

StreamOptions OptionsFor(query::ResultFormat format) {
  StreamOptions options;
  // Parquet comes whole from a file: never chunked.
  options.flush_bytes =
      format == query::ResultFormat::kParquet ? std::numeric_limits<size_t>::max() : kFlushBytes;
  options.max_queued_bytes = kMaxQueuedBytes;
  options.trailer_names = {kRowsField, kTruncatedField, kErrorField};
  return options;
}

HttpResponse HeadFor(query::ResultFormat format) {
  HttpResponse head;
  head.content_type = std::string(query::MediaTypeOf(format));
  return head;
}

}  // namespace

QueryAnswer::QueryAnswer(query::ResultFormat format, Responder respond)
    : format_(format),
      stream_(respond.Stream(HeadFor(format), OptionsFor(format))),
      formatter_(format, this) {}

Status QueryAnswer::Columns(std::span<const query::QueryColumn> columns) {
  return formatter_.Columns(columns);
}

Status QueryAnswer::Row(std::string_view json_array) { return formatter_.Row(json_array); }

Status QueryAnswer::Bytes(std::string_view piece) { return formatter_.Bytes(piece); }

Status QueryAnswer::ChunkEnd() { return stream_->Flush(); }

Status QueryAnswer::Write(std::string_view bytes) {
  if (tail_ != nullptr) {
    tail_->append(bytes);
    return Status::Ok();
  }
  return stream_->Write(bytes);
}

// The query has ended, so nothing interrupts it any more; the end is small
// and must not wait on a slow client (the worker would), so it goes with
// Finish, not Write.
template <typename End>
Status QueryAnswer::FinishWith(End end, const HttpFields& trailers) {
  std::string tail;
  tail_ = &tail;
  Status status = end();
  tail_ = nullptr;
  if (status.ok()) stream_->Finish(trailers, tail);
  return status;
}

void QueryAnswer::Interrupt() { stream_->Interrupt(DeadlineExceeded("the query was interrupted")); }

void QueryAnswer::Failed(const query::QueryFailure& failure) {
  HttpResponse problem =
      failure.position.has_value()
          ? ProblemResponse(failure.status, "\"position\":" + std::to_string(*failure.position))
          : ProblemResponse(failure.status);
  if (!stream_->started() || format_ != query::ResultFormat::kJson) {
    return stream_->Fail(std::move(problem));  // a problem, or a body cut short
  }
  Status ended = FinishWith([&] { return formatter_.FinishWithError(problem.body); },
                            {{kRowsField, std::to_string(formatter_.rows())},
                             {kErrorField, std::string(StatusCodeName(failure.status.code()))}});
  if (!ended.ok()) stream_->Fail(std::move(problem));
}

void QueryAnswer::Done(const std::variant<query::QueryStats, query::QueryFailure>& outcome) {
  if (const auto* failure = std::get_if<query::QueryFailure>(&outcome)) return Failed(*failure);
  const query::QueryStats& stats = std::get<query::QueryStats>(outcome);
  const HttpFields trailers = {{kRowsField, std::to_string(stats.rows)},
                               {kTruncatedField, stats.truncated ? "true" : "false"}};
  if (stats.parquet_file.empty()) {
    Status ended = FinishWith([&] { return formatter_.Finish(stats); }, trailers);
    if (!ended.ok()) Failed({ended, {}});
    return;
  }
  auto bytes = ReadFile(stats.parquet_file);
  std::error_code ec;
  std::filesystem::remove(stats.parquet_file, ec);
  if (!bytes.has_value()) return Failed({bytes.error(), {}});
  stream_->Finish(trailers, *bytes);
}

}  // namespace eventlake::server
