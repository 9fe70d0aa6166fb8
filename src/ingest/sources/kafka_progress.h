// What the kafka source commits after a batch, and where it consumes again:
// the rule that keeps Kafka's committed offsets at or behind what is durable.
// Pure, so that the rule is tested on its own.
//
// Per partition, records are taken in offset order. A record is "done" when
// its event is durable, or was rejected for good (it will never be stored,
// so it must not hold the partition back); it is "retry" when the stream
// answered "retry later". The commit of a partition covers its done records
// up to the first retry one (the committed offset is that record's offset,
// i.e. the last done offset + 1); from there the partition is consumed again.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <span>
#include <string>

namespace eventlake::ingest {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  friend auto operator<=>(const TopicPartition&, const TopicPartition&) = default;
};

struct ConsumedRecord {
  TopicPartition at;
  int64_t offset = 0;
  bool done = false;  // durable or rejected for good; false: retry later
};

struct BatchProgress {
  // The offset to commit (the next one to consume) of each partition that
  // moved: the offset after its last done record before any retry one.
  std::map<TopicPartition, int64_t> commit;
  // The first retry record of each partition that has one: where to seek.
  std::map<TopicPartition, int64_t> rewind;
};

// `batch` in the order consumed; offsets increase within a partition.
BatchProgress PlanProgress(std::span<const ConsumedRecord> batch);

}  // namespace eventlake::ingest
