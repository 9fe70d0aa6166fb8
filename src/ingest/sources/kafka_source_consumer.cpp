// kafka: the librdkafka consumer handle: its configuration, subscription,
// rebalances, commits, and the rewind-and-pause of partitions to retry.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cstring>

#include "core/logging.h"
#include "ingest/sources/kafka_source.h"

namespace eventlake::ingest {
namespace {

constexpr std::string_view kComponent = "kafka";
constexpr int kMaxPollMillis = 100;
constexpr int kSeekTimeoutMillis = 5000;

int64_t Nanos(std::chrono::milliseconds d) { return int64_t{d.count()} * 1'000'000; }

// librdkafka's own log lines, at our levels (syslog levels: 0-3 errors,
// 4 warnings, 5-6 notices and info, 7 debug).
void OnLog(const rd_kafka_t*, int level, const char* facility, const char* message) {
  const LogLevel ours = level <= 3   ? LogLevel::kError
                        : level == 4 ? LogLevel::kWarn
                                     : LogLevel::kDebug;
  Log(ours, kComponent, message, {{"facility", facility}});
}

using PartitionList =
    std::unique_ptr<rd_kafka_topic_partition_list_t, void (*)(rd_kafka_topic_partition_list_t*)>;

PartitionList MakeList(const std::map<TopicPartition, int64_t>& offsets) {
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())),
                     &rd_kafka_topic_partition_list_destroy);
  for (const auto& [at, offset] : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), at.topic.c_str(), at.partition)->offset = offset;
  }
  return list;
}

}  // namespace

Result<rd_kafka_conf_t*> KafkaSource::MakeConfig() const {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::vector<std::pair<const char*, std::string>> settings = {
      {"bootstrap.servers", options_.brokers},
      {"group.id", options_.group},
      {"client.id", "eventlake-" + context_.name},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "false"},
      {"auto.offset.reset", std::string(KafkaStartFromName(options_.start_from))},
      {"session.timeout.ms", std::to_string(options_.session_timeout.count())},
      {"heartbeat.interval.ms",
       std::to_string(std::max<int64_t>(options_.session_timeout.count() / 10, 100))},
  };
  char error[512];
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf, key, value.c_str(), error, sizeof(error)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Err(InvalidArgument("kafka source " + context_.name + ": " + key + ": " + error));
    }
  }
  rd_kafka_conf_set_opaque(conf, const_cast<KafkaSource*>(this));
  rd_kafka_conf_set_rebalance_cb(
      conf, [](rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
               void* opaque) { static_cast<KafkaSource*>(opaque)->Rebalance(err, partitions); });
  rd_kafka_conf_set_log_cb(conf, &OnLog);
  rd_kafka_conf_set_error_cb(conf, [](rd_kafka_t*, int err, const char* reason, void* opaque) {
    auto* self = static_cast<KafkaSource*>(opaque);
    self->consumer_errors_.Increment();
    std::string error =
        std::string(rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))) + ": " + reason;
    if (error == self->last_error_) return;  // once per distinct problem
    LogWarn(kComponent, "kafka client error", {{"source", self->context_.name}, {"error", error}});
    self->last_error_ = std::move(error);
  });
  return conf;
}

Status KafkaSource::Subscribe() {
  std::map<TopicPartition, int64_t> topics;
  for (const std::string& topic : options_.topics) topics[{topic, RD_KAFKA_PARTITION_UA}] = 0;
  PartitionList list = MakeList(topics);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer_, list.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return InvalidArgument("kafka source " + context_.name +
                           ": subscribe: " + rd_kafka_err2str(err));
  }
  return Status::Ok();
}

void KafkaSource::Rebalance(int err, rd_kafka_topic_partition_list_t* partitions) {
  // Runs inside rd_kafka_consumer_poll or _close on the source's thread,
  // between batches: the last batch's offsets are already committed.
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(consumer_), "COOPERATIVE") == 0;
  rd_kafka_error_t* error = nullptr;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (cooperative) {
      error = rd_kafka_incremental_assign(consumer_, partitions);
    } else if (rd_kafka_resp_err_t e = rd_kafka_assign(consumer_, partitions)) {
      error = rd_kafka_error_new(e, "%s", rd_kafka_err2str(e));
    }
  } else {
    for (int i = 0; i < partitions->cnt; ++i) {
      backoff_.erase({partitions->elems[i].topic, partitions->elems[i].partition});
    }
    if (cooperative) {
      error = rd_kafka_incremental_unassign(consumer_, partitions);
    } else {
      rd_kafka_assign(consumer_, nullptr);
    }
  }
  if (error != nullptr) {
    LogWarn(kComponent, "cannot apply a rebalance",
            {{"source", context_.name}, {"error", rd_kafka_error_string(error)}});
    rd_kafka_error_destroy(error);
  }
  // The count is kept here rather than asked of rd_kafka_assignment(): called
  // from a revoke inside rd_kafka_consumer_close, that call waited forever
  // for a reply (seen with librdkafka 2.0.2 once the brokers were gone).
  const auto count = static_cast<size_t>(partitions->cnt);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    assigned_ = cooperative ? assigned_.load() + count : count;
  } else {
    assigned_ = cooperative && assigned_.load() > count ? assigned_.load() - count : 0;
  }
  LogInfo(
      kComponent,
      err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? "partitions assigned" : "partitions revoked",
      {{"source", context_.name}, {"partitions", partitions->cnt}});
}

void KafkaSource::Commit(const std::map<TopicPartition, int64_t>& offsets) {
  if (offsets.empty()) return;
  PartitionList list = MakeList(offsets);
  rd_kafka_resp_err_t err = rd_kafka_commit(consumer_, list.get(), /*async=*/0);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    commits_.Increment();
    return;
  }
  commit_errors_.Increment();
  LogWarn(kComponent, "offset commit failed; the records are read again and deduplicated",
          {{"source", context_.name}, {"error", rd_kafka_err2str(err)}});
}

void KafkaSource::Rewind(const std::map<TopicPartition, int64_t>& offsets) {
  if (offsets.empty()) return;
  PartitionList list = MakeList(offsets);
  if (rd_kafka_error_t* error =
          rd_kafka_seek_partitions(consumer_, list.get(), kSeekTimeoutMillis)) {
    LogWarn(kComponent, "seek failed",
            {{"source", context_.name}, {"error", rd_kafka_error_string(error)}});
    rd_kafka_error_destroy(error);
  }
  rd_kafka_pause_partitions(consumer_, list.get());
  const int64_t now = SteadyNanos();
  for (const auto& [at, offset] : offsets) {
    Backoff& backoff = backoff_[at];
    backoff.delay = backoff.delay.count() == 0
                        ? options_.retry_backoff
                        : std::min(backoff.delay * 2, options_.retry_backoff_max);
    backoff.resume_at_nanos = now + Nanos(backoff.delay);
  }
}

void KafkaSource::ResumeDuePartitions(int64_t now) {
  std::map<TopicPartition, int64_t> due;
  for (auto& [at, backoff] : backoff_) {
    if (backoff.resume_at_nanos != 0 && backoff.resume_at_nanos <= now) {
      due[at] = 0;
      backoff.resume_at_nanos = 0;  // running again; the delay is kept until it succeeds
    }
  }
  if (due.empty()) return;
  PartitionList list = MakeList(due);
  rd_kafka_resume_partitions(consumer_, list.get());
}

int KafkaSource::PollTimeoutMillis(int64_t now) const {
  int64_t wake = now + Nanos(std::chrono::milliseconds(kMaxPollMillis));
  for (const auto& [at, backoff] : backoff_) {
    if (backoff.resume_at_nanos != 0) wake = std::min(wake, backoff.resume_at_nanos);
  }
  return static_cast<int>(
      std::clamp<int64_t>((wake - now + 999'999) / 1'000'000, 0, kMaxPollMillis));
}

void KafkaSource::Close() {
  if (consumer_ == nullptr) return;
  rd_kafka_resp_err_t err = rd_kafka_consumer_close(consumer_);  // leaves the group
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    LogWarn(kComponent, "closing the consumer failed",
            {{"source", context_.name}, {"error", rd_kafka_err2str(err)}});
  }
  rd_kafka_destroy(consumer_);
  consumer_ = nullptr;
  assigned_ = 0;
}

}  // namespace eventlake::ingest
