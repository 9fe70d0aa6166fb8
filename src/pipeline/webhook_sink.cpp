// WebhookSink: batches split into requests, bodies encoded, answers sorted
// into delivered, refused (dead letters) and "run the batch again".
#include "pipeline/webhook_sink.h"

#include <algorithm>
#include <chrono>

#include "ingest/cloudevent_json.h"

namespace eventlake::pipeline {
namespace {

constexpr size_t kMaxAnswerBytes = 64u << 10;  // only an excerpt is kept

bool Retryable(long status) { return status == 408 || status == 429 || status >= 500; }

}  // namespace

WebhookSink::WebhookSink(WebhookSinkOptions options, HttpTarget target, const std::string& pipeline,
                         MetricsRegistry* metrics)
    : options_(std::move(options)), target_(std::move(target)), name_("webhook " + target_.host) {
  const MetricLabels labels = {{"pipeline", pipeline}, {"sink", target_.host}};
  auto counter = [&](const char* metric, const char* help, const char* outcome) {
    MetricLabels l = labels;
    l.push_back({"outcome", outcome});
    return &metrics->GetCounter(metric, help, l);
  };
  constexpr const char* kRequests = "eventlake_webhook_requests_total";
  constexpr const char* kRequestsHelp = "Webhook sink requests, by outcome.";
  constexpr const char* kEvents = "eventlake_webhook_events_total";
  constexpr const char* kEventsHelp = "Events a webhook sink delivered or refused.";
  delivered_ = counter(kRequests, kRequestsHelp, "delivered");
  refused_ = counter(kRequests, kRequestsHelp, "refused");
  retry_ = counter(kRequests, kRequestsHelp, "retry");
  error_ = counter(kRequests, kRequestsHelp, "error");
  events_delivered_ = counter(kEvents, kEventsHelp, "delivered");
  events_refused_ = counter(kEvents, kEventsHelp, "refused");
  duration_ = &metrics->GetHistogram("eventlake_webhook_request_duration_seconds",
                                     "From a webhook request's start to its answer.",
                                     LatencyBuckets(), labels);
}

Result<std::unique_ptr<WebhookSink>> WebhookSink::Create(WebhookSinkOptions options,
                                                         std::string pipeline,
                                                         MetricsRegistry* metrics) {
  EL_ASSIGN_OR_RETURN(HttpTarget target,
                      ParseHttpTarget(options.url, ScalarPairs(options.headers), options.timeout,
                                      options.allow_private, "webhook sink"));
  return std::unique_ptr<WebhookSink>(
      new WebhookSink(std::move(options), std::move(target), pipeline, metrics));
}

std::string_view WebhookSink::ContentType(WebhookFormat format) {
  switch (format) {
    case WebhookFormat::kCloudEventsBatch:
      return "application/cloudevents-batch+json";
    case WebhookFormat::kJson:
      return "application/json";
    case WebhookFormat::kNdjson:
      return "application/x-ndjson";
  }
  return "application/json";
}

std::string WebhookSink::Body(WebhookFormat format, std::span<const CloudEvent> events) {
  std::string body;
  const bool ndjson = format == WebhookFormat::kNdjson;
  if (!ndjson) body.push_back('[');
  for (size_t i = 0; i < events.size(); ++i) {
    if (i > 0 && !ndjson) body.push_back(',');
    ingest::AppendStructuredJson(events[i], &body);
    if (ndjson) body.push_back('\n');
  }
  if (!ndjson) body.push_back(']');
  return body;
}

Result<std::vector<FailedItem>> WebhookSink::Deliver(const SinkBatch& batch) {
  const auto key = std::pair(std::string(batch.origin), batch.partition);
  size_t from = 0;
  std::vector<FailedItem> refused;
  {
    std::lock_guard lock(mu_);
    if (auto it = progress_.find(key); it != progress_.end()) {
      const Progress& p = it->second;
      if (p.first_offset == batch.first_offset && p.next_offset == batch.next_offset &&
          p.events == batch.events.size()) {
        from = p.sent;
        refused = std::move(it->second.refused);
      }
      progress_.erase(it);
    }
  }
  for (size_t first = from; first < batch.events.size(); first += options_.max_batch) {
    const size_t n = std::min<size_t>(options_.max_batch, batch.events.size() - first);
    Status posted = Post(batch.events.subspan(first, n), first, &refused);
    if (!posted.ok()) {
      std::lock_guard lock(mu_);
      progress_[key] = {.first_offset = batch.first_offset,
                        .next_offset = batch.next_offset,
                        .events = batch.events.size(),
                        .sent = first,
                        .refused = std::move(refused)};
      return Err(posted);
    }
  }
  return refused;
}

Status WebhookSink::Post(std::span<const CloudEvent> events, size_t first,
                         std::vector<FailedItem>* refused) {
  const auto start = std::chrono::steady_clock::now();
  auto answer = PostGuarded(target_, ContentType(options_.format), Body(options_.format, events),
                            kMaxAnswerBytes, name_, &connections_);
  duration_->Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (!answer.has_value()) {
    error_->Increment();
    // A refused address stays PermissionDenied (the config must change);
    // a timeout, a failed connection, an answer too large to read are
    // worth another try: Unavailable.
    if (answer.error().code() == StatusCode::kPermissionDenied) return answer.error();
    return Unavailable(answer.error().message());
  }
  const std::string excerpt = AnswerExcerpt(answer->body);
  const std::string what = name_ + " answered HTTP " + std::to_string(answer->status) +
                           (excerpt.empty() ? "" : ": " + excerpt);
  if (answer->status >= 200 && answer->status <= 299) {
    delivered_->Increment();
    events_delivered_->Increment(events.size());
    return Status::Ok();
  }
  if (Retryable(answer->status)) {
    retry_->Increment();
    return Unavailable(what);
  }
  refused_->Increment();
  events_refused_->Increment(events.size());
  for (size_t i = 0; i < events.size(); ++i)
    refused->push_back({.index = first + i, .error = InvalidArgument(what)});
  return Status::Ok();
}

}  // namespace eventlake::pipeline
