// The options of a kafka source (the `kafka:` section of a `sources:` entry
// of type kafka) and their config table: the cluster, the topics, the
// consumer group and how records are read. The source's name, stream and
// event_type come from the entry itself, through the SourceContext.
//
// Not configurable yet: security (SASL, TLS). The config tables have no
// string-map type to pass librdkafka properties through, so the source
// speaks PLAINTEXT only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/config_table.h"
#include "core/status.h"
#include "ingest/sources/message_event.h"

namespace eventlake::ingest {

// Where a consumer group starts on a partition it has no committed offset
// for (librdkafka's auto.offset.reset).
enum class KafkaStartFrom { kEarliest, kLatest };

struct KafkaOptions {
  std::string brokers = "127.0.0.1:9092";  // bootstrap servers, comma-separated host:port
  std::vector<std::string> topics;         // required; "^regex" subscribes by pattern
  std::string group;                       // "" = "eventlake-<source name>" (filled by Create)
  KafkaStartFrom start_from = KafkaStartFrom::kEarliest;
  // Records taken per poll round and delivered to the stream as one batch.
  uint32_t max_poll_records = 500;
  std::chrono::milliseconds session_timeout{45'000};
  MessageFormat format = MessageFormat::kAuto;
  // Largest record value read; a larger record is dropped, counted and
  // committed past.
  uint64_t max_message_bytes = uint64_t{1} << 20;
  // First wait before a partition whose events were answered "retry later"
  // is consumed again from the first of them; doubles up to retry_backoff_max.
  std::chrono::milliseconds retry_backoff{100};
  std::chrono::milliseconds retry_backoff_max{10'000};
  // How long Stop() waits for a delivery in flight; its offsets are not
  // committed if it does not finish by then.
  std::chrono::milliseconds drain_timeout{10'000};
};

// The table: every key above. Its check: ValidateKafkaOptions.
const config::Table<KafkaOptions>& KafkaOptionsTable();

// Cross-field rules (also for options built in code): brokers set, at least
// one topic and each a valid topic name (1-249 of [a-zA-Z0-9._-], not "."
// or "..") or a "^regex", retry_backoff not above retry_backoff_max. group
// may be empty (see KafkaOptions).
Status ValidateKafkaOptions(const KafkaOptions& options);

// "earliest", "latest".
std::string_view KafkaStartFromName(KafkaStartFrom start_from);

}  // namespace eventlake::ingest
