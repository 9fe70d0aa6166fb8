// KafkaSink: the producer, the records of a batch, and the wait for their
// delivery reports. Each record carries a heap Pending (its index and the
// batch's shared Wait), freed by its report, so that a batch that gives up
// waiting leaves nothing dangling: librdkafka reports every record in the
// end (acknowledged, timed out after message.timeout.ms, or purged).
#include "pipeline/kafka_sink.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <chrono>

#include "core/logging.h"
#include "ingest/cloudevent_json.h"
#include "pipeline/json_path.h"

namespace eventlake::pipeline {
namespace {

constexpr std::string_view kComponent = "kafka sink";
constexpr auto kGrace = std::chrono::seconds(5);  // past message.timeout.ms, for the last reports

struct Wait {
  std::atomic<size_t> remaining{0};
  std::mutex mu;
  std::vector<std::pair<size_t, rd_kafka_resp_err_t>> errors;  // guarded by mu
};

struct Pending {
  std::shared_ptr<Wait> wait;
  size_t index = 0;
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(message->_private));
  if (pending == nullptr) return;
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::lock_guard lock(pending->wait->mu);
    pending->wait->errors.emplace_back(pending->index, message->err);
  }
  pending->wait->remaining.fetch_sub(1);
}

void OnLog(const rd_kafka_t*, int level, const char* facility, const char* message) {
  Log(level <= 3   ? LogLevel::kError
      : level == 4 ? LogLevel::kWarn
                   : LogLevel::kDebug,
      kComponent, message, {{"facility", facility}});
}

// Refused for the record itself: producing it again cannot help.
bool Permanent(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE || err == RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE ||
         err == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE || err == RD_KAFKA_RESP_ERR_INVALID_RECORD;
}

std::string ExtensionText(const ExtensionValue& value) {
  if (const bool* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const int64_t* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  return std::get<std::string>(value);
}

// The binding's binary mode: every attribute a ce_<name> header (UTF-8, as
// the kafka source reads them), datacontenttype as content-type.
std::vector<std::pair<std::string, std::string>> BinaryHeaders(const CloudEvent& e) {
  std::vector<std::pair<std::string, std::string>> h = {{"ce_specversion", e.spec_version},
                                                        {"ce_id", e.id},
                                                        {"ce_source", e.source},
                                                        {"ce_type", e.type}};
  if (e.subject) h.emplace_back("ce_subject", *e.subject);
  if (e.time) h.emplace_back("ce_time", FormatRfc3339(*e.time));
  if (e.data_schema) h.emplace_back("ce_dataschema", *e.data_schema);
  for (const Extension& x : e.extensions) h.emplace_back("ce_" + x.name, ExtensionText(x.value));
  if (e.data_content_type) h.emplace_back("content-type", *e.data_content_type);
  return h;
}

using Headers = std::unique_ptr<rd_kafka_headers_t, void (*)(rd_kafka_headers_t*)>;

Headers MakeHeaders(const std::vector<std::pair<std::string, std::string>>& pairs) {
  Headers headers(rd_kafka_headers_new(pairs.size()), rd_kafka_headers_destroy);
  for (const auto& [name, value] : pairs) {
    rd_kafka_header_add(headers.get(), name.data(), static_cast<ssize_t>(name.size()), value.data(),
                        static_cast<ssize_t>(value.size()));
  }
  return headers;
}

// Lets what is in flight finish (or be reported as purged), then destroys.
void DestroyProducer(rd_kafka_t* producer, std::chrono::milliseconds wait) {
  if (producer == nullptr) return;
  if (rd_kafka_flush(producer, static_cast<int>(wait.count())) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_purge(producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(producer, 0);  // the purged records' reports free their Pending
  }
  rd_kafka_destroy(producer);
}

// One record of `e` (the index-th of its batch) produced; its report will
// count it off `wait`. librdkafka's error when it is not queued.
rd_kafka_resp_err_t ProduceRecord(rd_kafka_t* producer, const KafkaSinkOptions& options,
                                  const CloudEvent& e, size_t index,
                                  const std::shared_ptr<Wait>& wait) {
  const std::optional<std::string> key = KafkaSink::RecordKey(e, options.key);
  const bool binary = options.format == KafkaSinkFormat::kBinary;
  const std::string value = binary ? e.data : ingest::ToStructuredJson(e);
  Headers headers = MakeHeaders(binary ? BinaryHeaders(e)
                                       : std::vector<std::pair<std::string, std::string>>{
                                             {"content-type", "application/cloudevents+json"}});
  auto pending = std::make_unique<Pending>(Pending{.wait = wait, .index = index});
  wait->remaining.fetch_add(1);
  rd_kafka_resp_err_t err;
  for (;;) {
    err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(options.topic.c_str()),
                            RD_KAFKA_V_KEY((key ? key->data() : nullptr),
                                           (key ? key->size() : 0)),  // the macro needs the ()
                            RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                            RD_KAFKA_V_TIMESTAMP((e.time ? *e.time / 1000 : 0)),
                            RD_KAFKA_V_HEADERS(headers.get()), RD_KAFKA_V_OPAQUE(pending.get()),
                            RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
    rd_kafka_poll(producer, 100);  // room in the queue as reports are served
  }
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    (void)pending.release();  // the report frees it
    (void)headers.release();  // the record owns them
  } else {
    wait->remaining.fetch_sub(1);
  }
  return err;
}

}  // namespace

KafkaSink::KafkaSink(KafkaSinkOptions options, const std::string& pipeline,
                     MetricsRegistry* metrics)
    : options_(std::move(options)), name_("kafka " + options_.topic) {
  const MetricLabels labels = {{"pipeline", pipeline}, {"topic", options_.topic}};
  auto records = [&](const char* outcome) {
    MetricLabels l = labels;
    l.push_back({"outcome", outcome});
    return &metrics->GetCounter(
        "eventlake_kafka_sink_records_total",
        "Records a kafka sink produced: delivered, refused (dead letters) or failed "
        "(their batch runs again).",
        l);
  };
  delivered_ = records("delivered");
  refused_ = records("refused");
  failed_ = records("failed");
  duration_ = &metrics->GetHistogram("eventlake_kafka_sink_batch_duration_seconds",
                                     "From a batch's first record produced to its last report.",
                                     LatencyBuckets(), labels);
}

KafkaSink::~KafkaSink() = default;

Result<std::unique_ptr<KafkaSink>> KafkaSink::Create(KafkaSinkOptions options, std::string pipeline,
                                                     MetricsRegistry* metrics) {
  std::unique_ptr<KafkaSink> sink(new KafkaSink(std::move(options), pipeline, metrics));
  EL_ASSIGN_OR_RETURN(sink->producer_, sink->NewProducer());  // the properties checked now
  return sink;
}

Result<std::shared_ptr<rd_kafka_t>> KafkaSink::NewProducer() const {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::vector<std::pair<std::string, std::string>> settings = ScalarPairs(options_.properties);
  settings.insert(settings.end(),
                  {{"bootstrap.servers", options_.brokers},
                   {"enable.idempotence", "true"},
                   {"acks", "all"},
                   {"message.timeout.ms", std::to_string(options_.delivery_timeout.count())}});
  char error[512];
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof(error)) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Err(InvalidArgument(name_ + ": " + key + ": " + error));
    }
  }
  rd_kafka_conf_set_dr_msg_cb(conf, &OnDelivery);
  rd_kafka_conf_set_log_cb(conf, &OnLog);
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (producer == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Err(InvalidArgument(name_ + ": " + error));
  }
  // Deliver waits for its records, so only those of a batch that gave up
  // early can be in flight here: a stop does not wait long for them.
  const std::chrono::milliseconds wait =
      std::min<std::chrono::milliseconds>(options_.delivery_timeout, kGrace);
  return std::shared_ptr<rd_kafka_t>(producer, [wait](rd_kafka_t* p) { DestroyProducer(p, wait); });
}

Result<std::shared_ptr<rd_kafka_t>> KafkaSink::Producer() {
  std::lock_guard lock(mu_);
  char reason[512];
  if (producer_ != nullptr &&
      rd_kafka_fatal_error(producer_.get(), reason, sizeof(reason)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    LogWarn(kComponent, "the producer had a fatal error; making a new one",
            {{"sink", name_}, {"error", reason}});
    producer_.reset();
  }
  if (producer_ == nullptr) {
    EL_ASSIGN_OR_RETURN(producer_, NewProducer());
  }
  return producer_;
}

std::optional<std::string> KafkaSink::RecordKey(const CloudEvent& event, const std::string& key) {
  if (key == "id") return event.id;
  if (key == "subject") return event.subject;
  if (key == "partitionkey") {
    const ExtensionValue* value = event.FindExtension(kPartitionKeyExtension);
    if (value == nullptr) return std::nullopt;
    return ExtensionText(*value);
  }
  auto data = nlohmann::ordered_json::parse(event.data, nullptr, /*allow_exceptions=*/false);
  if (data.is_discarded()) return std::nullopt;
  std::string last;
  nlohmann::ordered_json* parent = MemberParent(data, key, &last, /*create=*/false);
  if (parent == nullptr || !parent->is_object()) return std::nullopt;
  auto it = parent->find(last);
  if (it == parent->end() || it->is_null()) return std::nullopt;
  return it->is_string() ? it->get<std::string>() : it->dump();
}

Result<std::vector<FailedItem>> KafkaSink::Deliver(const SinkBatch& batch) {
  if (batch.events.empty()) return std::vector<FailedItem>{};
  EL_ASSIGN_OR_RETURN(std::shared_ptr<rd_kafka_t> producer, Producer());
  const auto start = std::chrono::steady_clock::now();
  auto wait = std::make_shared<Wait>();
  std::vector<std::pair<size_t, rd_kafka_resp_err_t>> errors;  // at produce, then in the reports
  for (size_t i = 0; i < batch.events.size(); ++i) {
    const rd_kafka_resp_err_t err =
        ProduceRecord(producer.get(), options_, batch.events[i], i, wait);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    if (!Permanent(err)) {
      failed_->Increment(batch.events.size() - i);
      return Err(Unavailable(name_ + ": cannot produce: " + rd_kafka_err2str(err)));
    }
    errors.emplace_back(i, err);
  }
  const auto deadline = start + options_.delivery_timeout + kGrace;
  while (wait->remaining.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_poll(producer.get(), 50);
  }
  duration_->Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (wait->remaining.load() > 0) {
    failed_->Increment(batch.events.size());
    return Err(Unavailable(name_ + ": " + std::to_string(wait->remaining.load()) +
                           " record(s) not acknowledged in " +
                           config::FormatDuration(options_.delivery_timeout)));
  }
  {
    std::lock_guard lock(wait->mu);
    errors.insert(errors.end(), wait->errors.begin(), wait->errors.end());
  }
  std::vector<FailedItem> refused;
  for (const auto& [index, err] : errors) {
    if (!Permanent(err)) {
      failed_->Increment(batch.events.size());
      return Err(Unavailable(name_ + ": " + rd_kafka_err2str(err)));
    }
    refused.push_back(
        {.index = index, .error = InvalidArgument(name_ + ": " + rd_kafka_err2str(err))});
  }
  refused_->Increment(refused.size());
  delivered_->Increment(batch.events.size() - refused.size());
  return refused;
}

}  // namespace eventlake::pipeline
