// file_drop: the events of one file and their delivery to the sink, in
// batches, retrying what the sink answers "later" and collecting what it
// rejects for the reason file.
#include <algorithm>
#include <future>
#include <numeric>

#include "core/logging.h"
#include "ingest/json_text.h"
#include "ingest/sources/file_drop.h"

namespace eventlake::ingest {
namespace {

constexpr std::string_view kComponent = "file_drop";
// Rejections listed one by one in a reason file; the rest are counted.
constexpr size_t kMaxListedRejections = 10'000;
constexpr int kMaxBackoffFactor = 64;

std::string IdPrefix(const std::string& sha256_hex) { return sha256_hex.substr(0, 16); }

}  // namespace

CloudEvent FileDrop::ObjectCreatedEvent(const DroppedFile& file, size_t records) const {
  CloudEvent event;
  event.id = IdPrefix(file.sha256) + "-object";
  event.source = source_;
  event.type = std::string(kObjectCreatedType);
  event.subject = file.name;
  event.time = file.mtime_micros;
  event.data_content_type = "application/json";
  event.data = "{\"name\":" + JsonString(file.name) + ",\"size\":" + std::to_string(file.size) +
               ",\"modified\":\"" + FormatRfc3339(file.mtime_micros) +
               "\",\"records\":" + std::to_string(records) + ",\"sha256\":\"" + file.sha256 + "\"}";
  return event;
}

CloudEvent FileDrop::RecordEvent(const DroppedFile& file, FileRecord record) const {
  CloudEvent event;
  event.id = IdPrefix(file.sha256) + "-" + std::to_string(record.index);
  event.source = source_;
  event.type = options_.record_type;
  event.subject = file.name;
  event.time = file.mtime_micros;
  event.data_content_type = "application/json";
  event.data = std::move(record.json);
  return event;
}

FileDrop::Outcome FileDrop::Deliver(const DroppedFile& file, size_t records) {
  Outcome outcome;
  std::vector<CloudEvent> events{ObjectCreatedEvent(file, records)};
  std::vector<std::string> labels{"object-created event"};
  std::unique_ptr<FileRecordReader> reader =
      FileRecordReader::Create(file.contents, file.format, limits_);
  for (;;) {
    FileRecord record;
    Result<bool> more = reader->Next(&record);
    if (!more.has_value()) {  // it parsed a moment ago: only a bug gets here
      ++outcome.rejected;
      outcome.listed.push_back("the records after record " + std::to_string(record.index) +
                               ": reading the file again failed: " + more.error().ToString());
      more = false;
    }
    if (*more) {
      labels.push_back("record " + std::to_string(record.index) + " (line " +
                       std::to_string(record.line) + ")");
      events.push_back(RecordEvent(file, std::move(record)));
    }
    if (!events.empty() && (!*more || events.size() >= options_.batch_events)) {
      if (!DeliverBatch(events, labels, &outcome)) {
        outcome.abandoned = true;
        return outcome;
      }
      events.clear();
      labels.clear();
    }
    if (!*more) return outcome;
  }
}

bool FileDrop::DeliverBatch(std::vector<CloudEvent>& events, const std::vector<std::string>& labels,
                            Outcome* outcome) {
  std::vector<size_t> pending(events.size());
  std::iota(pending.begin(), pending.end(), size_t{0});
  std::chrono::milliseconds backoff = options_.retry_backoff;
  for (;;) {
    std::vector<CloudEvent> attempt;
    attempt.reserve(pending.size());
    for (size_t i : pending) attempt.push_back(events[i]);
    DeliveryResults results = DeliverAndWait(std::move(attempt));
    std::vector<size_t> again;
    for (size_t k = 0; k < pending.size(); ++k) {
      const size_t i = pending[k];
      Result<log::RecordPosition> result =
          k < results.size() ? results[k] : Err(Internal("the sink answered no result"));
      const bool is_record = !events[i].id.ends_with("-object");
      if (result.has_value()) {
        ++outcome->accepted;
        if (is_record) records_delivered_.Increment();
      } else if (result.error().IsRetryable()) {
        again.push_back(i);
      } else {
        ++outcome->rejected;
        if (is_record) records_rejected_.Increment();
        if (outcome->listed.size() < kMaxListedRejections) {
          outcome->listed.push_back(labels[i] + ": " + result.error().ToString());
        }
      }
    }
    if (again.empty()) return true;
    delivery_retries_.Increment(again.size());
    LogDebug(
        kComponent, "retrying events answered \"later\"",
        {{"source", options_.name}, {"events", again.size()}, {"backoff_ms", backoff.count()}});
    if (!WaitUnlessStopping(backoff)) return false;
    backoff = std::min(backoff * 2, options_.retry_backoff * kMaxBackoffFactor);
    pending = std::move(again);
  }
}

DeliveryResults FileDrop::DeliverAndWait(std::vector<CloudEvent> events) {
  auto promise = std::make_shared<std::promise<DeliveryResults>>();
  std::future<DeliveryResults> future = promise->get_future();
  sink_.Deliver(std::move(events),
                [promise](DeliveryResults results) { promise->set_value(std::move(results)); });
  return future.get();
}

}  // namespace eventlake::ingest
