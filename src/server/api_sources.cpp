// The ingestion endpoints of every source:
//   POST /v1/sources/{source}/events  CloudEvents (structured, binary, batch),
//                                     plain JSON and NDJSON; gzip and zstd bodies
//   POST /v1/sources/{source}/s3      S3 / MinIO bucket notifications
// Bodies are decoded by a per-thread EventDecoder (with the source's limits),
// event data is checked against the source's schemas while it is still
// parsed, and the source's SourceSink stores what is valid. The answer comes
// from the sink's completion, so a 200 means durable (ingest_answer.h).
#include <memory>
#include <unordered_map>

#include "ingest/event_decoder.h"
#include "ingest/sources/s3_notifications.h"
#include "server/api.h"
#include "server/ingest_answer.h"
#include "server/problem.h"

namespace eventlake::server {
namespace http = boost::beast::http;

namespace {

// The calling thread's decoder for `source` (decoders hold the source's limits).
ingest::EventDecoder& DecoderFor(const SourceRuntime& source) {
  thread_local std::unordered_map<const SourceRuntime*, std::unique_ptr<ingest::EventDecoder>>
      decoders;
  auto& decoder = decoders[&source];
  if (decoder == nullptr) decoder = std::make_unique<ingest::EventDecoder>(source.options().limits);
  return *decoder;
}

std::vector<ingest::HeaderField> HeadersOf(const HttpRequest& request) {
  std::vector<ingest::HeaderField> headers;
  headers.reserve(8);
  for (const auto& field : request) {
    headers.push_back({{field.name_string().data(), field.name_string().size()},
                       {field.value().data(), field.value().size()}});
  }
  return headers;
}

// Problems of the event itself (not of the request as a whole) may be dead-lettered.
bool IsEventProblem(const ingest::IngestProblem& problem) {
  using ingest::ProblemType;
  return problem.type == ProblemType::kInvalidEvent ||
         problem.type == ProblemType::kSchemaViolation ||
         problem.type == ProblemType::kMalformedJson ||
         problem.type == ProblemType::kStringTooLong || problem.type == ProblemType::kTooDeep;
}

// The looked-up source, or the answer already sent (404, 429).
SourceRuntime* SourceOrAnswer(const ApiContext& context, const Request& request,
                              Responder& respond) {
  std::string_view name = request.Param("source");
  SourceRuntime* source = context.sources->Find(name);
  if (source == nullptr) {
    respond(ProblemResponse(NotFound("no source named '" + std::string(name) + "'")));
    return nullptr;
  }
  Status lag = source->CheckConsumerLag(*context.clock);
  if (!lag.ok()) {
    respond(ProblemResponse(lag));
    return nullptr;
  }
  return source;
}

void Submit(SourceRuntime& source, std::vector<ingest::Submission> items, bool per_item,
            Responder respond) {
  auto shared = std::make_shared<Responder>(std::move(respond));
  const std::string& dead_letters = source.sink().dead_letter_stream_name();
  source.sink().Submit(std::move(items),
                       [shared, per_item, &dead_letters](std::vector<ingest::Outcome> outcomes) {
                         shared->Send(AnswerOutcomes(outcomes, per_item, dead_letters));
                       });
}

// Decodes with schema checks; `violations[i]` is item i's schema problem.
std::expected<ingest::DecodedBody, ingest::IngestProblem> Decode(
    const ApiContext& context, const Request& request, SourceRuntime& source,
    std::span<const ingest::HeaderField> headers,
    std::vector<std::optional<ingest::IngestProblem>>* violations) {
  const ingest::SourceOptions& options = source.options();
  ingest::WrapOptions wrap;
  wrap.source = ingest::SourceEventSource(options.name);
  auto type = ingest::FindHeader(headers, "ce-type");
  wrap.type = type.has_value() && !type->empty() ? std::string(*type) : options.event_type;
  wrap.id_field = options.id_field;
  if (auto key = ingest::FindHeader(headers, "Idempotency-Key")) wrap.idempotency_key = *key;
  wrap.clock = context.clock;
  wrap.ids = context.ids;
  ingest::EventDecoder& decoder = DecoderFor(source);
  if (!source.schemas().empty()) {
    decoder.SetJsonDataVisitor([&source, violations](const ingest::JsonData& data) {
      const ingest::JsonSchema* schema = source.schemas().For(data.event->type);
      if (schema == nullptr) return;
      auto violation = schema->FirstViolation(data.value);
      if (!violation.has_value()) return;
      if (violations->size() <= data.item) violations->resize(data.item + 1);
      (*violations)[data.item] = ingest::SchemaProblem(*violation, data.pointer);
    });
  }
  const std::string& body = request.http.body();
  auto decoded = decoder.DecodeRequest(headers, body, wrap, body.capacity() - body.size());
  decoder.SetJsonDataVisitor(nullptr);
  return decoded;
}

void PostEvents(const ApiContext& context, Request request, Responder respond) {
  SourceRuntime* source = SourceOrAnswer(context, request, respond);
  if (source == nullptr) return;
  std::vector<ingest::HeaderField> headers = HeadersOf(request.http);
  std::vector<std::optional<ingest::IngestProblem>> violations;
  auto decoded = Decode(context, request, *source, headers, &violations);
  std::vector<ingest::Submission> items;
  if (!decoded) {
    const bool dead_letter =
        source->options().on_invalid == ingest::InvalidEventPolicy::kDeadLetter &&
        IsEventProblem(decoded.error()) && !ingest::FindHeader(headers, "Content-Encoding");
    if (!dead_letter) return respond(ProblemResponse(decoded.error()));
    items.push_back({.event = std::unexpected(std::move(decoded.error())),
                     .body = request.http.body(),
                     .schema_checked = true});
    return Submit(*source, std::move(items), false, std::move(respond));
  }
  items.reserve(decoded->items.size());
  for (size_t i = 0; i < decoded->items.size(); ++i) {
    ingest::DecodedItem& item = decoded->items[i];
    items.push_back({.event = std::move(item.result),
                     .body = item.text,
                     .schema_checked = true,
                     .index = item.index});
    if (i < violations.size()) items.back().violation = std::move(violations[i]);
  }
  Submit(*source, std::move(items), decoded->per_item, std::move(respond));
}

void PostS3Notification(const ApiContext& context, Request request, Responder respond) {
  SourceRuntime* source = SourceOrAnswer(context, request, respond);
  if (source == nullptr) return;
  ingest::S3NotificationOptions options;
  options.name = source->options().name;
  options.max_body_bytes = source->options().limits.max_body_bytes;
  options.max_records = source->options().limits.max_events_per_batch;
  auto events = ingest::ParseS3Notification(request.http.body(), options);
  if (!events) return respond(ProblemResponse(events.error()));
  std::vector<ingest::Submission> items;
  items.reserve(events->size());
  for (size_t i = 0; i < events->size(); ++i) {
    items.push_back({.event = std::move((*events)[i]), .body = {}, .index = i});
  }
  Submit(*source, std::move(items), true, std::move(respond));
}

}  // namespace

void RegisterSourceApi(Router& router, const ApiContext& context) {
  const ApiContext* ctx = &context;
  router.Add(http::verb::post, "/v1/sources/{source}/events", {"events:Put", "source/{source}"},
             [ctx](Request request, Responder respond) {
               PostEvents(*ctx, std::move(request), std::move(respond));
             });
  router.Add(http::verb::post, "/v1/sources/{source}/s3", {"events:Put", "source/{source}"},
             [ctx](Request request, Responder respond) {
               PostS3Notification(*ctx, std::move(request), std::move(respond));
             });
}

}  // namespace eventlake::server
