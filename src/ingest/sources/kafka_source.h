// kafka: Apache Kafka topics as a source, read by a consumer group with
// librdkafka. Each record becomes one CloudEvent (kafka_binding.h), delivered
// to the source's EventSink in batches of up to max_poll_records, and the
// group's offsets are committed only once the sink's `done` says every event
// of the batch up to them is durable or rejected for good
// (kafka_progress.h).
//
// Contract:
// - Offsets: auto-commit and auto offset store are off; after each batch the
//   source commits, synchronously and per partition, the offset after the
//   last record that is done with no "retry later" record before it. The
//   committed offset of a partition therefore never passes a record whose
//   event is not durable, and a crash re-reads at most the last uncommitted
//   batch (whose events carry the same ids, "<topic>-<partition>-<offset>",
//   so the sink's dedup stores them once).
// - Retries: a partition with a record answered "retry later"
//   (kUnavailable, kResourceExhausted) is rewound to that record (seek) and
//   paused for retry_backoff (doubling up to retry_backoff_max per
//   partition), then consumed again from there; other partitions go on.
// - Rejections: a record that cannot become an event (not the configured
//   format, over max_message_bytes, a bad ce_ header) or whose event the
//   sink rejects is committed past, dropped, counted in
//   eventlake_kafka_messages_rejected_total{reason} and logged (at most once
//   per 10 s). Dead-lettering is the sink's business.
// - Rebalances: a batch is always finished (delivered, done, committed)
//   before the consumer is polled again, and rebalance callbacks run only
//   inside that poll: when partitions are revoked, nothing is in flight and
//   their offsets are committed. Both the eager and the cooperative
//   assignment protocols are followed.
//
// Threads: Start() creates the consumer and runs one thread that polls,
// delivers, waits for `done` and commits; `done` may run on any thread, even
// after the source is gone. Stop() lets a delivery in flight finish (up to
// drain_timeout), commits it, leaves the group (rd_kafka_consumer_close) and
// joins.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/metrics.h"
#include "core/status.h"
#include "ingest/event_sink.h"
#include "ingest/sources/kafka_options.h"
#include "ingest/sources/kafka_progress.h"
#include "ingest/sources/log_throttle.h"
#include "ingest/sources/message_event.h"
#include "ingest/sources/source_context.h"

typedef struct rd_kafka_s rd_kafka_t;                                            // NOLINT
typedef struct rd_kafka_conf_s rd_kafka_conf_t;                                  // NOLINT
typedef struct rd_kafka_topic_partition_list_s rd_kafka_topic_partition_list_t;  // NOLINT
typedef struct rd_kafka_message_s rd_kafka_message_t;                            // NOLINT

namespace eventlake::ingest {

inline constexpr std::string_view kKafkaRecordType = "eventlake.kafka.record";

class KafkaSource final : public Source {
 public:
  // Fails when the options break ValidateKafkaOptions, the context has no
  // sink or metrics, or librdkafka refuses the configuration. An empty group
  // becomes "eventlake-<name>".
  static Result<std::unique_ptr<KafkaSource>> Create(KafkaOptions options, SourceContext context);
  ~KafkaSource() override;  // Stop()
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;

  std::string_view name() const override { return context_.name; }
  // Creates the consumer, subscribes and starts the thread. Connection
  // problems are logged and retried by librdkafka, not returned.
  // FailedPrecondition if started before.
  Status Start() override;
  void Stop() override;

  const KafkaOptions& options() const { return options_; }
  // Partitions currently assigned to this source by the group.
  size_t assigned_partitions() const { return assigned_.load(); }

 private:
  struct Consumed {  // one record of a batch
    ConsumedRecord record;
    std::optional<size_t> event;  // index into the batch's events; nullopt = rejected
  };
  struct Backoff {  // a rewound partition
    std::chrono::milliseconds delay{0};
    int64_t resume_at_nanos = 0;  // 0: running
  };

  KafkaSource(KafkaOptions options, SourceContext context);

  void Run();
  bool Stopping() const { return stopping_.load(); }
  // Timers run on the steady clock, not the context's Clock: a ManualClock
  // given for event times must not stop retries.
  static int64_t SteadyNanos();

  // kafka_source_consumer.cpp: the librdkafka handle.
  Result<rd_kafka_conf_t*> MakeConfig() const;
  void Rebalance(int err, rd_kafka_topic_partition_list_t* partitions);
  Status Subscribe();
  void Close();
  void Commit(const std::map<TopicPartition, int64_t>& offsets);
  void Rewind(const std::map<TopicPartition, int64_t>& offsets);
  void ResumeDuePartitions(int64_t now);
  int PollTimeoutMillis(int64_t now) const;

  // kafka_source_delivery.cpp: records to events, delivery, progress.
  void PollBatch(std::vector<Consumed>* batch, std::vector<CloudEvent>* events);
  void TakeMessage(rd_kafka_message_t* message, std::vector<Consumed>* batch,
                   std::vector<CloudEvent>* events);
  void DeliverBatch(std::vector<Consumed>& batch, std::vector<CloudEvent> events);
  std::optional<DeliveryResults> DeliverAndWait(std::vector<CloudEvent> events);
  void Reject(const TopicPartition& at, int64_t offset, std::string_view reason,
              const std::string& detail);

  const KafkaOptions options_;
  const SourceContext context_;
  const std::string event_type_;

  Counter& messages_received_;
  Counter& bytes_received_;
  Counter& events_delivered_;
  Counter& delivery_retries_;
  Counter& commits_;
  Counter& commit_errors_;
  Counter& consumer_errors_;

  // The thread's own state.
  rd_kafka_t* consumer_ = nullptr;
  MessageEventDecoder decoder_;
  std::map<TopicPartition, Backoff> backoff_;
  std::string last_error_;
  LogThrottle reject_log_{10'000'000'000};  // one line per 10 s

  std::atomic<bool> stopping_{false};
  std::atomic<size_t> assigned_{0};
  std::mutex mu_;
  bool started_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace eventlake::ingest
