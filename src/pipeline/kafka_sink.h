// The `kafka` sink: each batch's events produced to a Kafka topic with
// librdkafka, one record per event, in the CloudEvents Kafka binding's
// structured (json) or binary mode (sink_options.h). The producer is
// idempotent with acks=all, so librdkafka's own retries neither lose nor
// duplicate nor reorder records within a partition.
//
// Deliver produces the batch, then waits (up to delivery_timeout plus a
// grace) for every record's delivery report:
// - all acknowledged: delivered;
// - a record refused for itself (too large for the topic, an invalid
//   record): that event is a FailedItem (a dead letter), the rest delivered;
// - anything else (a timeout, the cluster unreachable, an unknown topic, a
//   fatal idempotence error): Unavailable, the batch runs again (at least
//   once: the records already acknowledged are produced again). After a
//   fatal error the producer is made anew for the next batch.
//
// Metrics, labelled pipeline=<name>, topic=<topic>:
// eventlake_kafka_sink_records_total{outcome = delivered|refused|failed} and
// eventlake_kafka_sink_batch_duration_seconds.
//
// Threads: Deliver is called from several partitions' threads at once;
// they share one producer, each waits for its own records' reports.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/metrics.h"
#include "pipeline/pipeline.h"
#include "pipeline/sink_options.h"

typedef struct rd_kafka_s rd_kafka_t;  // NOLINT

namespace eventlake::pipeline {

class KafkaSink : public Sink {
 public:
  // InvalidArgument when librdkafka refuses a property. `metrics`
  // (required) must outlive the sink. Connecting happens in the
  // background: an unreachable cluster fails batches, not Create.
  static Result<std::unique_ptr<KafkaSink>> Create(KafkaSinkOptions options, std::string pipeline,
                                                   MetricsRegistry* metrics);
  ~KafkaSink() override;  // records still in flight get 5 s at most
  KafkaSink(const KafkaSink&) = delete;
  KafkaSink& operator=(const KafkaSink&) = delete;

  std::string_view name() const override { return name_; }
  Result<std::vector<FailedItem>> Deliver(const SinkBatch& batch) override;

  // The record key of `event` under `key` (see KafkaSinkOptions); nullopt: a null key.
  static std::optional<std::string> RecordKey(const CloudEvent& event, const std::string& key);

 private:
  KafkaSink(KafkaSinkOptions options, const std::string& pipeline, MetricsRegistry* metrics);
  // A new producer from the options; the last owner destroys it (after
  // waiting for what it has in flight).
  Result<std::shared_ptr<rd_kafka_t>> NewProducer() const;
  // The current producer (made anew after a fatal error), shared with the
  // batches that use it.
  Result<std::shared_ptr<rd_kafka_t>> Producer();

  KafkaSinkOptions options_;
  std::string name_;  // "kafka <topic>"
  std::mutex mu_;
  std::shared_ptr<rd_kafka_t>
      producer_;  // guarded by mu_ (the pointer; the producer itself is thread-safe)
  Counter* delivered_;
  Counter* refused_;
  Counter* failed_;
  Histogram* duration_;
};

}  // namespace eventlake::pipeline
