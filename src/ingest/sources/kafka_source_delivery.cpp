// kafka: a poll round's records to events, their delivery to the sink, and
// what the answers mean for the group's offsets.
#include <librdkafka/rdkafka.h>

#include <condition_variable>

#include "core/logging.h"
#include "ingest/sources/kafka_binding.h"
#include "ingest/sources/kafka_source.h"

namespace eventlake::ingest {
namespace {

constexpr std::string_view kComponent = "kafka";
constexpr auto kStopCheck = std::chrono::milliseconds(20);

// A view of a librdkafka message; valid while the message is.
KafkaRecord RecordOf(rd_kafka_message_t* message) {
  KafkaRecord record{
      .topic = rd_kafka_topic_name(message->rkt),
      .partition = message->partition,
      .offset = message->offset,
      .value = std::string_view(static_cast<const char*>(message->payload), message->len)};
  if (message->key != nullptr) {
    record.key = std::string_view(static_cast<const char*>(message->key), message->key_len);
  }
  rd_kafka_timestamp_type_t type;
  int64_t millis = rd_kafka_message_timestamp(message, &type);
  if (type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE && millis >= 0) record.timestamp = millis * 1000;
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name;
    const void* value;
    size_t size;
    for (size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      std::optional<std::string_view> text;
      if (value != nullptr) text = std::string_view(static_cast<const char*>(value), size);
      record.headers.push_back({name, text});
    }
  }
  return record;
}

// One delivery's answer, shared with `done`, which may outlive the source.
struct PendingDelivery {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<DeliveryResults> results;  // guarded by mu
};

}  // namespace

void KafkaSource::PollBatch(std::vector<Consumed>* batch, std::vector<CloudEvent>* events) {
  int timeout = PollTimeoutMillis(SteadyNanos());
  while (batch->size() < options_.max_poll_records && !Stopping()) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer_, timeout);
    if (message == nullptr) return;
    timeout = 0;  // take what is already there, then deliver
    TakeMessage(message, batch, events);
    rd_kafka_message_destroy(message);
  }
}

void KafkaSource::TakeMessage(rd_kafka_message_t* message, std::vector<Consumed>* batch,
                              std::vector<CloudEvent>* events) {
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
    consumer_errors_.Increment();
    std::string error = rd_kafka_message_errstr(message);
    if (error != last_error_) {
      LogWarn(kComponent, "consume error", {{"source", context_.name}, {"error", error}});
      last_error_ = std::move(error);
    }
    return;
  }
  TopicPartition at{rd_kafka_topic_name(message->rkt), message->partition};
  if (auto backoff = backoff_.find(at);
      backoff != backoff_.end() && backoff->second.resume_at_nanos != 0) {
    return;  // fetched before the rewind: it comes again after the pause
  }
  messages_received_.Increment();
  bytes_received_.Increment(message->len);
  Consumed consumed{.record = {.at = at, .offset = message->offset}};
  if (message->len > options_.max_message_bytes) {
    Reject(at, message->offset, "payload_too_large",
           "the value is " + std::to_string(message->len) +
               " bytes, more than max_message_bytes (" +
               std::to_string(options_.max_message_bytes) + ")");
    consumed.record.done = true;
  } else {
    KafkaEventDefaults defaults{.source = context_.EventSource(),
                                .type = event_type_,
                                .format = options_.format,
                                .now = context_.clock->NowMicros()};
    MessageEventResult event = KafkaRecordToEvent(decoder_, RecordOf(message), defaults);
    if (event.has_value()) {
      consumed.event = events->size();
      events->push_back(std::move(*event));
    } else {
      Reject(at, message->offset, ProblemTypeName(event.error().type), event.error().ToString());
      consumed.record.done = true;
    }
  }
  batch->push_back(std::move(consumed));
}

void KafkaSource::DeliverBatch(std::vector<Consumed>& batch, std::vector<CloudEvent> events) {
  std::optional<DeliveryResults> results;
  if (!events.empty()) {
    const size_t count = events.size();
    results = DeliverAndWait(std::move(events));
    if (!results.has_value()) return;  // stopped waiting: nothing committed, read again next time
    results->resize(count, Err(Internal("the sink answered no result")));
  }
  std::vector<ConsumedRecord> records;
  records.reserve(batch.size());
  for (Consumed& consumed : batch) {
    if (consumed.event.has_value()) {
      const Result<log::RecordPosition>& result = (*results)[*consumed.event];
      if (result.has_value()) {
        consumed.record.done = true;
        events_delivered_.Increment();
      } else if (!result.error().IsRetryable()) {
        consumed.record.done = true;
        Reject(consumed.record.at, consumed.record.offset, StatusCodeName(result.error().code()),
               result.error().ToString());
      }
    }
    if (!consumed.record.done) delivery_retries_.Increment();
    records.push_back(consumed.record);
  }
  BatchProgress progress = PlanProgress(records);
  Commit(progress.commit);
  for (const auto& [at, offset] : progress.commit) {
    if (!progress.rewind.contains(at)) backoff_.erase(at);  // the partition moves again
  }
  Rewind(progress.rewind);
}

std::optional<DeliveryResults> KafkaSource::DeliverAndWait(std::vector<CloudEvent> events) {
  auto pending = std::make_shared<PendingDelivery>();
  context_.sink->Deliver(std::move(events), [pending](DeliveryResults results) {
    std::lock_guard lock(pending->mu);
    pending->results = std::move(results);
    pending->cv.notify_all();
  });
  std::unique_lock lock(pending->mu);
  std::optional<int64_t> give_up_at;
  while (!pending->results.has_value()) {
    if (Stopping() && !give_up_at.has_value()) {
      give_up_at = SteadyNanos() + options_.drain_timeout.count() * 1'000'000;
    }
    if (give_up_at.has_value() && SteadyNanos() >= *give_up_at) {
      LogWarn(kComponent, "stopped with a delivery in flight; its records are read again next time",
              {{"source", context_.name}});
      return std::nullopt;
    }
    pending->cv.wait_for(lock, kStopCheck);
  }
  return std::move(pending->results);
}

void KafkaSource::Reject(const TopicPartition& at, int64_t offset, std::string_view reason,
                         const std::string& detail) {
  context_.metrics
      ->GetCounter("eventlake_kafka_messages_rejected_total",
                   "Kafka records dropped and committed past: not the configured format, too "
                   "large, bad CloudEvents headers, or rejected by the source's checks; by reason.",
                   {{"source", context_.name}, {"reason", std::string(reason)}})
      .Increment();
  uint64_t held_back = 0;
  if (!reject_log_.Allow(SteadyNanos(), &held_back)) return;
  LogWarn(kComponent, "record dropped",
          {{"source", context_.name},
           {"topic", at.topic},
           {"partition", at.partition},
           {"offset", offset},
           {"reason", reason},
           {"detail", detail},
           {"dropped_since_last_log", held_back}});
}

}  // namespace eventlake::ingest
