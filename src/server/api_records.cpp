// GET /v1/streams/{name}/records: reads one partition from an offset or a
// time, optionally waiting (long poll) for the first record. Waiting never
// blocks an io thread: a timer on the connection's io_context re-checks the
// partition's end offset, starting at 2 ms and backing off to 50 ms.
#include <boost/asio/steady_timer.hpp>
#include <charconv>
#include <memory>

#include "ingest/cloudevent_json.h"
#include "server/api.h"
#include "server/problem.h"

namespace eventlake::server {
namespace http = boost::beast::http;

namespace {

constexpr uint64_t kDefaultLimit = 100;
constexpr uint64_t kMaxLimit = 10000;
constexpr uint64_t kMaxWaitMs = 30000;

struct ReadQuery {
  uint32_t partition = 0;
  uint64_t from = 0;
  uint32_t limit = kDefaultLimit;
  std::chrono::milliseconds wait{0};
};

Result<uint64_t> ParseUint(std::optional<std::string_view> text, std::string_view name,
                           uint64_t fallback, uint64_t max) {
  if (!text) return fallback;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || ec != std::errc() || end != text->data() + text->size() || value > max) {
    return Err(InvalidArgument("query parameter '" + std::string(name) +
                               "' must be an integer from 0 to " + std::to_string(max)));
  }
  return value;
}

// Where to start: offset=N|earliest|latest, or time=RFC3339; earliest by default.
Result<uint64_t> ResolveStart(const Request& request, const log::Partition& partition) {
  auto offset = request.Query("offset");
  auto time = request.Query("time");
  if (offset && time) return Err(InvalidArgument("give either 'offset' or 'time', not both"));
  if (time) {
    auto micros = ParseRfc3339(*time);
    if (!micros) return Err(InvalidArgument("query parameter 'time': " + micros.error().message()));
    return partition.OffsetForTime(*micros);
  }
  if (!offset || *offset == "earliest") return partition.StartOffset();
  if (*offset == "latest") return partition.EndOffset();
  return ParseUint(offset, "offset", 0, UINT64_MAX);
}

Result<ReadQuery> ParseReadQuery(const Request& request, log::Stream& stream) {
  ReadQuery q;
  EL_ASSIGN_OR_RETURN(uint64_t partition,
                      ParseUint(request.Query("partition"), "partition", 0, UINT32_MAX));
  if (partition >= stream.partition_count()) {
    return Err(InvalidArgument("stream '" + stream.name() + "' has no partition " +
                               std::to_string(partition) + " (it has " +
                               std::to_string(stream.partition_count()) + ")"));
  }
  q.partition = static_cast<uint32_t>(partition);
  EL_ASSIGN_OR_RETURN(uint64_t limit,
                      ParseUint(request.Query("limit"), "limit", kDefaultLimit, kMaxLimit));
  if (limit == 0) return Err(InvalidArgument("query parameter 'limit' must be at least 1"));
  q.limit = static_cast<uint32_t>(limit);
  EL_ASSIGN_OR_RETURN(uint64_t wait, ParseUint(request.Query("wait_ms"), "wait_ms", 0, kMaxWaitMs));
  q.wait = std::chrono::milliseconds(wait);
  EL_ASSIGN_OR_RETURN(q.from, ResolveStart(request, stream.partition(q.partition)));
  return q;
}

HttpResponse ReadResponse(const log::Partition& partition, const ReadQuery& q) {
  log::ReadLimits limits;
  limits.max_records = q.limit;
  auto records = partition.Read(q.from, limits);
  if (!records) return ProblemResponse(records.error());
  uint64_t next = std::max(q.from, partition.StartOffset());
  std::string body = "{\"partition\":" + std::to_string(q.partition) + ",\"records\":[";
  for (size_t i = 0; i < records->size(); ++i) {
    const log::LogRecord& record = (*records)[i];
    if (i > 0) body.push_back(',');
    body.append("{\"offset\":" + std::to_string(record.offset) + ",\"append_time\":\"" +
                FormatRfc3339(record.append_time) + "\",\"event\":");
    ingest::AppendStructuredJson(record.event, &body);
    body.push_back('}');
    next = record.offset + 1;
  }
  body.append("],\"next_offset\":" + std::to_string(next) +
              ",\"end_offset\":" + std::to_string(partition.EndOffset()) + "}");
  return JsonResponse(std::move(body));
}

// One waiting read: re-checks the partition until a record at q.from is
// durable, the wait is over or the server stops.
class LongPoll : public std::enable_shared_from_this<LongPoll> {
 public:
  LongPoll(const log::Partition* partition, ReadQuery query, Responder respond)
      : partition_(partition),
        query_(query),
        deadline_(std::chrono::steady_clock::now() + query.wait),
        timer_(respond.executor()),
        respond_(std::move(respond)) {}

  void Check() {
    bool ready = partition_->EndOffset() > query_.from;
    auto now = std::chrono::steady_clock::now();
    if (ready || now >= deadline_ || respond_.stopping()) {
      return respond_(ReadResponse(*partition_, query_));
    }
    timer_.expires_after(std::min<std::chrono::steady_clock::duration>(delay_, deadline_ - now));
    delay_ = std::min(delay_ * 2, std::chrono::milliseconds(50));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code) { self->Check(); });
  }

 private:
  const log::Partition* partition_;
  ReadQuery query_;
  std::chrono::steady_clock::time_point deadline_;
  std::chrono::milliseconds delay_{2};
  boost::asio::steady_timer timer_;
  Responder respond_;
};

void GetRecords(const ApiContext& context, Request request, Responder respond) {
  log::Stream* stream = context.log->FindStream(request.Param("name"));
  if (stream == nullptr) {
    return respond(
        ProblemResponse(NotFound("no stream named '" + std::string(request.Param("name")) + "'")));
  }
  auto query = ParseReadQuery(request, *stream);
  if (!query) return respond(ProblemResponse(query.error()));
  const log::Partition& partition = stream->partition(query->partition);
  if (query->wait.count() == 0 || partition.EndOffset() > query->from) {
    return respond(ReadResponse(partition, *query));
  }
  std::make_shared<LongPoll>(&partition, *query, std::move(respond))->Check();
}

}  // namespace

void RegisterRecordApi(Router& router, const ApiContext& context) {
  const ApiContext* ctx = &context;
  router.Add(http::verb::get, "/v1/streams/{name}/records", {"streams:Read", "stream/{name}"},
             [ctx](Request request, Responder respond) {
               GetRecords(*ctx, std::move(request), std::move(respond));
             });
}

}  // namespace eventlake::server
