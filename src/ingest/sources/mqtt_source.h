// mqtt: an MQTT 3.1.1 broker as a source. It subscribes to topic filters in
// a persistent session and turns each message into one CloudEvent, delivered
// to the source's EventSink; a QoS 1 message is acknowledged to the broker
// (PUBACK) only once the sink's `done` says its event is durable, or that it
// was rejected for good.
//
// Why not libmosquitto: libmosquitto 2.0.11 (Debian's) sends the PUBACK of a
// QoS 1 message before it calls on_message, and its mosquitto.h offers no
// way to acknowledge manually (no mosquitto_manual_ack). Measured with the
// Debian broker (`mosquitto -v`) and a client that slept 3 s in on_message:
// the broker logged "Received PUBACK" in the second the message was sent,
// three seconds before on_message returned. A crash after that PUBACK would
// lose the message, so this source speaks MQTT itself (mqtt_packet.h) over a
// plain TCP socket (mqtt_socket.h) on its own thread.
//
// Contract:
// - Events: source "/eventlake/sources/<name>", type = the source's
//   event_type (default "eventlake.mqtt.message"), subject = the topic, time =
//   when it was received, id a new UUIDv7; a payload that is a CloudEvent
//   keeps its own attributes (format, see message_event.h).
// - QoS 1 (at least once): PUBACKs go out in the order the messages came
//   (MQTT 4.6), each after its event is durable or rejected. A message
//   answered "retry later" (kUnavailable, kResourceExhausted) is delivered
//   again, with the same id, after retry_backoff (doubling up to
//   retry_backoff_max) for as long as it takes; it and the messages after it
//   stay unacknowledged meanwhile, and at max_inflight unacknowledged
//   messages the source stops reading. A message that cannot become an
//   event (not the configured format, payload over max_payload_bytes, a bad
//   topic) or that the sink rejects is acknowledged, dropped, counted in
//   eventlake_mqtt_messages_rejected_total{reason} and logged (at most once
//   per 10 s): it never blocks the messages after it. Dead-lettering of
//   invalid events is the sink's business.
// - After a lost connection the session is resumed (clean_session false)
//   and the broker sends the unacknowledged messages again; one resent with
//   DUP and the packet id, topic and payload of a message this process
//   already made an event of gets that event's id again, so the sink's dedup
//   stores it once. Across a restart of the process, a message that was
//   appended but not yet acknowledged is appended again with a new id (at
//   least once), unless its payload is a CloudEvent with its own id.
// - QoS 0 (at most once): messages are delivered the same way but never
//   acknowledged, and the broker does not keep them.
//
// Threads: Start() runs one thread that connects, reads, delivers and
// acknowledges, and reconnects after reconnect_backoff_min (doubling up to
// reconnect_backoff_max). `done` may run on any thread and may run after the
// source is destroyed. Stop() stops reading, waits up to drain_timeout for
// deliveries in flight, acknowledges what is durable, sends DISCONNECT and
// joins.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/metrics.h"
#include "core/status.h"
#include "ingest/event_sink.h"
#include "ingest/sources/log_throttle.h"
#include "ingest/sources/message_event.h"
#include "ingest/sources/mqtt_options.h"
#include "ingest/sources/mqtt_packet.h"
#include "ingest/sources/mqtt_socket.h"
#include "ingest/sources/source_context.h"

namespace eventlake::ingest {

inline constexpr std::string_view kMqttMessageType = "eventlake.mqtt.message";

class MqttSource final : public Source {
 public:
  // Fails when the options break ValidateMqttOptions or the context has no
  // sink or metrics. An empty client_id becomes "eventlake-<name>".
  static Result<std::unique_ptr<MqttSource>> Create(MqttOptions options, SourceContext context);
  ~MqttSource() override;  // Stop()
  MqttSource(const MqttSource&) = delete;
  MqttSource& operator=(const MqttSource&) = delete;

  std::string_view name() const override { return context_.name; }
  // Starts the thread; connecting happens there (failures are logged and
  // retried, never returned). FailedPrecondition if started before.
  Status Start() override;
  void Stop() override;

  const MqttOptions& options() const { return options_; }
  // True while connected and the subscription is acknowledged (SUBACK).
  bool subscribed() const { return subscribed_.load(); }

 private:
  // Shared with the sink's `done` callbacks, which may outlive the source.
  struct Mailbox;
  enum class EntryState { kQueued, kDelivering, kDone };
  // A message received and not yet acknowledged (or, at QoS 0, dropped).
  struct Entry {
    uint64_t seq = 0;  // entries_ holds consecutive seqs
    uint16_t packet_id = 0;
    uint8_t qos = 0;
    std::string topic;
    uint32_t payload_crc = 0;
    uint32_t payload_bytes = 0;
    CloudEvent event;
    EntryState state = EntryState::kDone;
    int64_t due_nanos = 0;  // kQueued: not delivered before this (monotonic)
    bool retry = false;     // delivered before
  };
  // A QoS 1 message left unacknowledged by a lost connection, by packet id.
  struct Unacked {
    std::string topic;
    uint32_t payload_crc = 0;
    uint32_t payload_bytes = 0;
    std::string event_id;
  };

  MqttSource(MqttOptions options, SourceContext context, HostPort broker);

  void Run();
  bool Stopping();
  bool WaitUnlessStopping(std::chrono::milliseconds delay);
  void LogConnectionProblem(const Status& status);

  // mqtt_source_session.cpp: one connection, from connect to close.
  Status Session();
  Status Handshake();
  Status Serve();
  Status Drain();
  void EndSession();
  Status Send(std::string_view bytes);
  Status ReadFromBroker();
  Status HandleBufferedPackets();
  Status HandlePacket(const mqtt::Packet& packet);
  Status HandleSubAck(const mqtt::Packet& packet);
  Status KeepAlive(int64_t now);
  int PollTimeoutMillis(int64_t now) const;

  // mqtt_source_delivery.cpp: messages to events, delivery, acknowledgement.
  Status OnPublish(const mqtt::Packet& packet);
  void Reject(Entry* entry, std::string_view reason, const std::string& detail);
  void DeliverDue(int64_t now);
  Status ProcessCompletions();
  Status AcknowledgePrefix();
  Entry* FindEntry(uint64_t seq);
  bool Delivering() const;

  const MqttOptions options_;
  const SourceContext context_;
  const HostPort broker_;
  const std::string event_type_;
  std::shared_ptr<Mailbox> mailbox_;

  Counter& messages_received_;
  Counter& bytes_received_;
  Counter& events_delivered_;
  Counter& delivery_retries_;
  Counter& connects_;
  Counter& connection_errors_;
  Gauge& inflight_;

  // The thread's own state.
  MessageEventDecoder decoder_;
  std::unique_ptr<mqtt::Socket> socket_;
  std::unique_ptr<mqtt::PacketReader> reader_;
  std::string read_buffer_;
  std::deque<Entry> entries_;
  uint64_t next_seq_ = 1;
  std::map<uint16_t, Unacked> unacked_;
  std::chrono::milliseconds retry_backoff_;
  int64_t subscribe_deadline_nanos_ = 0;
  int64_t last_sent_nanos_ = 0;
  int64_t last_received_nanos_ = 0;
  int64_t ping_sent_nanos_ = 0;  // 0: no PINGREQ outstanding
  bool granted_warning_logged_ = false;
  std::string last_connection_problem_;
  LogThrottle reject_log_{10'000'000'000};  // one line per 10 s

  std::atomic<bool> subscribed_{false};
  std::mutex mu_;
  bool started_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace eventlake::ingest
