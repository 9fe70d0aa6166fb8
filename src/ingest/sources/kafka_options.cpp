// The kafka options table and its checks.
#include "ingest/sources/kafka_options.h"

namespace eventlake::ingest {
namespace {

// Kafka's own rule for topic names (kafka.common.internals.Topic).
bool IsTopicName(std::string_view name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string_view KafkaStartFromName(KafkaStartFrom start_from) {
  return start_from == KafkaStartFrom::kEarliest ? "earliest" : "latest";
}

Status ValidateKafkaOptions(const KafkaOptions& options) {
  if (options.brokers.empty()) return InvalidArgument("brokers: must not be empty");
  if (options.topics.empty()) return InvalidArgument("topics: at least one topic is needed");
  for (size_t i = 0; i < options.topics.size(); ++i) {
    const std::string& topic = options.topics[i];
    if (topic.size() > 1 && topic.front() == '^') continue;  // a pattern, checked by librdkafka
    if (!IsTopicName(topic)) {
      return InvalidArgument("topics[" + std::to_string(i) + "]: '" + topic +
                             "' is not a Kafka topic name (1-249 of a-z, A-Z, 0-9, '.', '_', "
                             "'-') nor a '^regex'");
    }
  }
  if (options.retry_backoff > options.retry_backoff_max) {
    return InvalidArgument("retry_backoff: is above retry_backoff_max");
  }
  return Status::Ok();
}

const config::Table<KafkaOptions>& KafkaOptionsTable() {
  using O = KafkaOptions;
  static const auto& table =
      (new config::Table<O>(
           "kafka",
           "Apache Kafka topics read by a consumer group: one event per record, with "
           "the group's offsets committed only once the events are durable in the "
           "stream."))
          ->Field("brokers", &O::brokers,
                  "Bootstrap servers, `host:port[,host:port...]`. PLAINTEXT only: SASL and TLS "
                  "are not configurable yet.")
          .Field("topics", &O::topics,
                 "Topics to consume; an entry starting with `^` is a regular expression over "
                 "topic names.",
                 {.required = true, .min = 1, .max = 1000})
          .Field("group", &O::group,
                 "The consumer group (`group.id`), which owns the committed offsets; empty: "
                 "`eventlake-<source name>`. Sources in one group share the partitions.")
          .Enum("start_from", &O::start_from,
                "Where the group starts on a partition without a committed offset "
                "(`auto.offset.reset`).",
                {{"earliest", KafkaStartFrom::kEarliest}, {"latest", KafkaStartFrom::kLatest}})
          .Field("max_poll_records", &O::max_poll_records,
                 "Records taken per poll round and delivered to the stream as one batch; offsets "
                 "are committed per batch.",
                 {.min = 1, .max = 50'000})
          .Field("session_timeout", &O::session_timeout,
                 "The group session timeout (`session.timeout.ms`): a source silent this long "
                 "loses its partitions to the other members.",
                 {.min = 1'000, .max = 3'600'000})
          .Enum("format", &O::format,
                "How record values are read when the record carries no CloudEvents headers: "
                "`cloudevents`, `json`, `raw`, or `auto` (a valid CloudEvent as it is, else JSON "
                "wrapped, else raw). With `json` and `raw` CloudEvents headers are ignored too.",
                MessageFormatChoices())
          .Field("max_message_bytes", &O::max_message_bytes,
                 "Largest record value read; a larger record is dropped, counted and committed "
                 "past.",
                 {.min = 1, .max = 256.0 * (1ull << 20), .bytes = true})
          .Field("retry_backoff", &O::retry_backoff,
                 "First wait before a partition whose events were answered \"retry later\" "
                 "(quota, backpressure) is consumed again from the first of them; doubles up "
                 "to `retry_backoff_max`. Its offsets are not committed past them meanwhile.",
                 {.min = 1, .max = 60'000})
          .Field("retry_backoff_max", &O::retry_backoff_max, "Longest wait between retries.",
                 {.min = 1, .max = 600'000})
          .Field("drain_timeout", &O::drain_timeout,
                 "How long stopping waits for a delivery in flight; if it does not finish, its "
                 "offsets stay uncommitted and its records are consumed again next time.",
                 {.min = 0, .max = 600'000})
          .Check(&ValidateKafkaOptions);
  return table;
}

}  // namespace eventlake::ingest
