// mqtt: from PUBLISH to event, delivery to the sink, and PUBACKs in arrival
// order once each message's fate is known.
#include "core/logging.h"
#include "ingest/sources/mqtt_source.h"
#include "ingest/sources/mqtt_source_internal.h"
#include "log/crc32c.h"

namespace eventlake::ingest {

using mqtt_internal::kComponent;
using mqtt_internal::Nanos;
using mqtt_internal::SteadyNanos;

namespace {


}  // namespace

Status MqttSource::OnPublish(const mqtt::Packet& packet) {
  EL_ASSIGN_OR_RETURN(mqtt::Publish publish, mqtt::DecodePublish(packet));
  messages_received_.Increment();
  bytes_received_.Increment(publish.payload_bytes);
  Entry entry{.seq = next_seq_++,
              .packet_id = publish.packet_id,
              .qos = publish.qos,
              .topic = std::string(publish.topic),
              .payload_crc = log::crc32c::Value(publish.payload),
              .payload_bytes = publish.payload_bytes};
  if (packet.truncated) {
    Reject(&entry, "payload_too_large",
           "the payload is " + std::to_string(publish.payload_bytes) +
               " bytes, more than max_payload_bytes (" +
               std::to_string(options_.max_payload_bytes) + ")");
  } else if (Status topic = mqtt::ValidateTopicName(publish.topic); !topic.ok()) {
    Reject(&entry, "invalid_topic", topic.message());
  } else {
    MessageAttributes attributes{.source = context_.EventSource(),
                                 .type = event_type_,
                                 .subject = entry.topic,
                                 .time = context_.clock->NowMicros(),
                                 .ids = context_.ids};
    auto resent = unacked_.find(publish.packet_id);
    if (publish.dup && resent != unacked_.end() && resent->second.topic == entry.topic &&
        resent->second.payload_crc == entry.payload_crc &&
        resent->second.payload_bytes == entry.payload_bytes) {
      attributes.id = std::move(resent->second.event_id);
      unacked_.erase(resent);
    }
    MessageEventResult event = decoder_.Decode(options_.format, publish.payload, attributes);
    if (event.has_value()) {
      entry.event = std::move(*event);
      entry.state = EntryState::kQueued;
      entry.due_nanos = SteadyNanos();
    } else {
      Reject(&entry, ProblemTypeName(event.error().type), event.error().ToString());
    }
  }
  entries_.push_back(std::move(entry));
  return Status::Ok();
}

void MqttSource::Reject(Entry* entry, std::string_view reason, const std::string& detail) {
  entry->state = EntryState::kDone;
  context_.metrics
      ->GetCounter("eventlake_mqtt_messages_rejected_total",
                   "MQTT messages acknowledged and dropped: not the configured format, too "
                   "large, a bad topic, or rejected by the source's checks; by reason.",
                   {{"source", context_.name}, {"reason", std::string(reason)}})
      .Increment();
  uint64_t held_back = 0;
  if (!reject_log_.Allow(SteadyNanos(), &held_back)) return;
  LogWarn(kComponent, "message dropped",
          {{"source", context_.name},
           {"topic", entry->topic},
           {"reason", reason},
           {"detail", detail},
           {"dropped_since_last_log", held_back}});
}

void MqttSource::DeliverDue(int64_t now) {
  std::vector<CloudEvent> events;
  std::vector<uint64_t> seqs;
  for (Entry& entry : entries_) {
    if (entry.state != EntryState::kQueued || entry.due_nanos > now) continue;
    if (entry.retry) delivery_retries_.Increment();
    entry.retry = true;
    entry.state = EntryState::kDelivering;
    events.push_back(entry.event);  // kept for a retry
    seqs.push_back(entry.seq);
  }
  if (events.empty()) return;
  std::weak_ptr<Mailbox> weak = mailbox_;
  context_.sink->Deliver(std::move(events),
                         [weak, seqs = std::move(seqs)](DeliveryResults results) mutable {
                           std::shared_ptr<Mailbox> mailbox = weak.lock();
                           if (mailbox == nullptr) return;  // the source is gone
                           {
                             std::lock_guard lock(mailbox->mu);
                             mailbox->completions.push_back({std::move(seqs), std::move(results)});
                           }
                           mailbox->Wake();
                         });
}

MqttSource::Entry* MqttSource::FindEntry(uint64_t seq) {
  if (entries_.empty() || seq < entries_.front().seq) return nullptr;
  const uint64_t index = seq - entries_.front().seq;
  return index < entries_.size() ? &entries_[index] : nullptr;
}

bool MqttSource::Delivering() const {
  for (const Entry& entry : entries_) {
    if (entry.state == EntryState::kDelivering) return true;
  }
  return false;
}

Status MqttSource::ProcessCompletions() {
  std::vector<Mailbox::Completion> completions;
  {
    std::lock_guard lock(mailbox_->mu);
    completions.swap(mailbox_->completions);
  }
  for (Mailbox::Completion& completion : completions) {
    bool retrying = false;
    for (size_t i = 0; i < completion.seqs.size(); ++i) {
      Entry* entry = FindEntry(completion.seqs[i]);
      if (entry == nullptr || entry->state != EntryState::kDelivering) continue;  // older session
      Result<log::RecordPosition> result = i < completion.results.size()
                                               ? completion.results[i]
                                               : Err(Internal("the sink answered no result"));
      if (result.has_value()) {
        entry->state = EntryState::kDone;
        events_delivered_.Increment();
      } else if (result.error().IsRetryable()) {
        entry->state = EntryState::kQueued;
        entry->due_nanos = SteadyNanos() + Nanos(retry_backoff_);
        retrying = true;
      } else {
        Reject(entry, StatusCodeName(result.error().code()), result.error().ToString());
      }
    }
    retry_backoff_ = retrying ? std::min(retry_backoff_ * 2, options_.retry_backoff_max)
                              : options_.retry_backoff;
  }
  return AcknowledgePrefix();
}

Status MqttSource::AcknowledgePrefix() {
  std::string acks;
  while (!entries_.empty() && entries_.front().state == EntryState::kDone) {
    if (entries_.front().qos == 1) acks += mqtt::EncodePubAck(entries_.front().packet_id);
    entries_.pop_front();
  }
  if (acks.empty() || socket_ == nullptr) return Status::Ok();
  return Send(acks);
}

}  // namespace eventlake::ingest
