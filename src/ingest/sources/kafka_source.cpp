// kafka: creation, starting, the poll loop and stopping.
#include "ingest/sources/kafka_source.h"

#include <librdkafka/rdkafka.h>

#include "core/logging.h"

namespace eventlake::ingest {
namespace {

constexpr std::string_view kComponent = "kafka";

}  // namespace

Result<std::unique_ptr<KafkaSource>> KafkaSource::Create(KafkaOptions options,
                                                         SourceContext context) {
  EL_RETURN_IF_ERROR(ValidateKafkaOptions(options));
  if (context.name.empty()) return Err(InvalidArgument("kafka source: the name must not be empty"));
  if (context.sink == nullptr || context.metrics == nullptr || context.clock == nullptr) {
    return Err(InvalidArgument("kafka source " + context.name + ": needs a sink and metrics"));
  }
  if (options.group.empty()) options.group = "eventlake-" + context.name;
  auto source =
      std::unique_ptr<KafkaSource>(new KafkaSource(std::move(options), std::move(context)));
  EL_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf, source->MakeConfig());  // refused settings fail here
  rd_kafka_conf_destroy(conf);
  return source;
}

KafkaSource::KafkaSource(KafkaOptions options, SourceContext context)
    : options_(std::move(options)),
      context_(std::move(context)),
      event_type_(context_.event_type.empty() ? std::string(kKafkaRecordType)
                                              : context_.event_type),
      messages_received_(context_.metrics->GetCounter("eventlake_kafka_messages_received_total",
                                                      "Kafka records consumed.",
                                                      {{"source", context_.name}})),
      bytes_received_(context_.metrics->GetCounter("eventlake_kafka_bytes_received_total",
                                                   "Value bytes of Kafka records consumed.",
                                                   {{"source", context_.name}})),
      events_delivered_(context_.metrics->GetCounter(
          "eventlake_kafka_events_delivered_total",
          "Events of Kafka records the stream stored (durable).", {{"source", context_.name}})),
      delivery_retries_(context_.metrics->GetCounter(
          "eventlake_kafka_delivery_retries_total",
          "Kafka records consumed again after a retryable answer.", {{"source", context_.name}})),
      commits_(context_.metrics->GetCounter("eventlake_kafka_commits_total",
                                            "Offset commits of the consumer group.",
                                            {{"source", context_.name}})),
      commit_errors_(context_.metrics->GetCounter(
          "eventlake_kafka_commit_errors_total",
          "Offset commits that failed (the records are read again and deduplicated).",
          {{"source", context_.name}})),
      consumer_errors_(context_.metrics->GetCounter(
          "eventlake_kafka_consumer_errors_total",
          "Errors reported by the Kafka client (brokers down, unknown topics, ...).",
          {{"source", context_.name}})),
      decoder_(context_.limits) {}

KafkaSource::~KafkaSource() {
  Stop();
  if (consumer_ != nullptr) rd_kafka_destroy(consumer_);  // Start() failed half-way
}

Status KafkaSource::Start() {
  {
    std::lock_guard lock(mu_);
    if (started_)
      return FailedPrecondition("kafka source " + context_.name + " was started before");
    started_ = true;
  }
  EL_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf, MakeConfig());
  char error[512];
  consumer_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof(error));
  if (consumer_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    return InvalidArgument("kafka source " + context_.name + ": " + error);
  }
  rd_kafka_poll_set_consumer(consumer_);
  EL_RETURN_IF_ERROR(Subscribe());
  LogInfo(kComponent, "starting",
          {{"source", context_.name},
           {"brokers", options_.brokers},
           {"group", options_.group},
           {"topics", options_.topics.size()}});
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void KafkaSource::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

int64_t KafkaSource::SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void KafkaSource::Run() {
  std::vector<Consumed> batch;
  std::vector<CloudEvent> events;
  while (!Stopping()) {
    ResumeDuePartitions(SteadyNanos());
    batch.clear();
    events.clear();
    PollBatch(&batch, &events);
    if (!batch.empty()) DeliverBatch(batch, std::move(events));
  }
  Close();
  LogInfo(kComponent, "stopped", {{"source", context_.name}});
}

}  // namespace eventlake::ingest
