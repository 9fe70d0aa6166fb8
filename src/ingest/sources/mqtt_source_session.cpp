// mqtt: one connection to the broker, from CONNECT to DISCONNECT: the
// handshake, the poll loop (socket, wake-ups from `done`, retry and
// keep-alive timers), and the drain when stopping.
#include <poll.h>

#include <algorithm>

#include "core/logging.h"
#include "ingest/sources/mqtt_source.h"
#include "ingest/sources/mqtt_source_internal.h"

namespace eventlake::ingest {

using mqtt_internal::kComponent;
using mqtt_internal::Nanos;
using mqtt_internal::SteadyNanos;

namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr uint16_t kSubscribePacketId = 1;
constexpr int kMaxPollMillis = 1000;

}  // namespace

Status MqttSource::Send(std::string_view bytes) {
  EL_RETURN_IF_ERROR(socket_->Write(bytes, options_.connect_timeout));
  last_sent_nanos_ = SteadyNanos();
  return Status::Ok();
}

Status MqttSource::Session() {
  EL_RETURN_IF_ERROR(Handshake());
  return Serve();
}

Status MqttSource::Handshake() {
  EL_ASSIGN_OR_RETURN(socket_, mqtt::Socket::Connect(broker_, options_.connect_timeout));
  const uint32_t max_publish = static_cast<uint32_t>(std::min<uint64_t>(
      options_.max_payload_bytes + mqtt::kPublishHeadBytes, mqtt::kMaxRemainingLength));
  reader_ = std::make_unique<mqtt::PacketReader>(max_publish);
  mqtt::ConnectOptions connect{
      .client_id = options_.client_id,
      .clean_session = options_.clean_session,
      .keep_alive_seconds = static_cast<uint16_t>(options_.keep_alive.count() / 1000)};
  if (!options_.username.empty()) connect.username = options_.username;
  if (!options_.password.empty()) connect.password = options_.password;
  EL_ASSIGN_OR_RETURN(std::string connect_bytes, mqtt::EncodeConnect(connect));
  EL_RETURN_IF_ERROR(Send(connect_bytes));
  // The CONNACK is the first packet the broker sends (MQTT 3.2).
  const int64_t deadline = SteadyNanos() + Nanos(options_.connect_timeout);
  std::optional<mqtt::Packet> packet;
  while (!packet.has_value()) {
    const int64_t left = deadline - SteadyNanos();
    if (left <= 0) return Unavailable("no CONNACK from the broker in time");
    pollfd p{socket_->fd(), POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left / 1'000'000 + 1, 1000)));
    if (ready < 0 && errno != EINTR) return ErrnoError("poll", errno);
    if (Stopping()) return Status::Ok();
    if (ready <= 0) continue;
    EL_RETURN_IF_ERROR(ReadFromBroker());
    EL_ASSIGN_OR_RETURN(packet, reader_->Next());
  }
  EL_ASSIGN_OR_RETURN(mqtt::ConnAck ack, mqtt::DecodeConnAck(*packet));
  if (ack.return_code != 0) {
    return Unavailable("the broker refused the connection: " +
                       std::string(mqtt::ConnAckReturnCodeName(ack.return_code)));
  }
  connects_.Increment();
  LogInfo(kComponent, "connected",
          {{"source", context_.name},
           {"broker", options_.broker},
           {"session_present", ack.session_present}});
  EL_ASSIGN_OR_RETURN(std::string subscribe,
                      mqtt::EncodeSubscribe(kSubscribePacketId, options_.topics,
                                            static_cast<uint8_t>(options_.qos)));
  EL_RETURN_IF_ERROR(Send(subscribe));
  subscribe_deadline_nanos_ = SteadyNanos() + Nanos(options_.connect_timeout);
  last_received_nanos_ = SteadyNanos();
  ping_sent_nanos_ = 0;
  return Status::Ok();
}

Status MqttSource::Serve() {
  for (;;) {
    EL_RETURN_IF_ERROR(ProcessCompletions());
    if (Stopping()) return Drain();
    EL_RETURN_IF_ERROR(HandleBufferedPackets());  // held back while at max_inflight
    const int64_t now = SteadyNanos();
    DeliverDue(now);
    EL_RETURN_IF_ERROR(KeepAlive(now));
    if (!subscribed_.load() && now > subscribe_deadline_nanos_) {
      return Unavailable("no SUBACK from the broker in time");
    }
    inflight_.Set(static_cast<double>(entries_.size()));
    const bool reading = entries_.size() < options_.max_inflight;
    pollfd fds[2] = {{mailbox_->wake_fd, POLLIN, 0},
                     {socket_->fd(), static_cast<short>(reading ? POLLIN : 0), 0}};
    int ready = ::poll(fds, 2, PollTimeoutMillis(now));
    if (ready < 0 && errno != EINTR) return ErrnoError("poll", errno);
    if (ready <= 0) continue;
    if ((fds[0].revents & POLLIN) != 0) mailbox_->ClearWake();
    if ((fds[1].revents & (POLLERR | POLLHUP)) != 0 && (fds[1].revents & POLLIN) == 0) {
      return Unavailable("the connection to the broker broke");
    }
    if ((fds[1].revents & POLLIN) != 0) EL_RETURN_IF_ERROR(ReadFromBroker());
  }
}

int MqttSource::PollTimeoutMillis(int64_t now) const {
  int64_t wake = now + Nanos(std::chrono::milliseconds(kMaxPollMillis));
  for (const Entry& entry : entries_) {
    if (entry.state == EntryState::kQueued) wake = std::min(wake, entry.due_nanos);
  }
  if (options_.keep_alive.count() > 0) {
    wake = std::min(wake, last_sent_nanos_ + Nanos(options_.keep_alive) * 3 / 4);
  }
  if (!subscribed_.load()) wake = std::min(wake, subscribe_deadline_nanos_);
  return static_cast<int>(
      std::clamp<int64_t>((wake - now + 999'999) / 1'000'000, 0, kMaxPollMillis));
}

Status MqttSource::KeepAlive(int64_t now) {
  const int64_t period = Nanos(options_.keep_alive);
  if (period == 0) return Status::Ok();
  if (entries_.size() >= options_.max_inflight) {
    last_received_nanos_ = now;  // not reading: the broker's silence means nothing
    ping_sent_nanos_ = 0;
  }
  if (ping_sent_nanos_ != 0 && now - ping_sent_nanos_ > period) {
    return Unavailable("no PINGRESP from the broker within keep_alive");
  }
  const bool idle =
      now - last_sent_nanos_ >= period * 3 / 4 || now - last_received_nanos_ >= period * 3 / 4;
  if (ping_sent_nanos_ == 0 && idle) {
    EL_RETURN_IF_ERROR(Send(mqtt::EncodePingReq()));
    ping_sent_nanos_ = now;
  }
  return Status::Ok();
}

Status MqttSource::ReadFromBroker() {
  read_buffer_.clear();
  EL_ASSIGN_OR_RETURN(size_t n, socket_->ReadAvailable(&read_buffer_, kReadChunk));
  if (n > 0) {
    reader_->Append(read_buffer_);
    last_received_nanos_ = SteadyNanos();
  }
  return Status::Ok();
}

Status MqttSource::HandleBufferedPackets() {
  while (entries_.size() < options_.max_inflight) {
    EL_ASSIGN_OR_RETURN(std::optional<mqtt::Packet> packet, reader_->Next());
    if (!packet.has_value()) return Status::Ok();
    EL_RETURN_IF_ERROR(HandlePacket(*packet));
  }
  return Status::Ok();
}

Status MqttSource::HandlePacket(const mqtt::Packet& packet) {
  switch (packet.type) {
    case mqtt::PacketType::kPublish:
      return OnPublish(packet);
    case mqtt::PacketType::kSubAck:
      return HandleSubAck(packet);
    case mqtt::PacketType::kPingResp:
      EL_RETURN_IF_ERROR(mqtt::CheckPingResp(packet));
      ping_sent_nanos_ = 0;
      return Status::Ok();
    default:
      return InvalidArgument("unexpected MQTT " +
                             std::string(mqtt::PacketTypeName(static_cast<uint8_t>(packet.type))) +
                             " from the broker");
  }
}

Status MqttSource::HandleSubAck(const mqtt::Packet& packet) {
  EL_ASSIGN_OR_RETURN(mqtt::SubAck ack, mqtt::DecodeSubAck(packet));
  if (ack.packet_id != kSubscribePacketId || ack.return_codes.size() != options_.topics.size()) {
    return InvalidArgument("a SUBACK that answers no SUBSCRIBE of ours");
  }
  for (size_t i = 0; i < ack.return_codes.size(); ++i) {
    if (ack.return_codes[i] == 0x80) {
      return PermissionDenied("the broker refused the subscription to '" + options_.topics[i] +
                              "'");
    }
    if (ack.return_codes[i] < options_.qos && !granted_warning_logged_) {
      granted_warning_logged_ = true;
      LogWarn(kComponent, "the broker granted QoS 0 only: messages may be lost",
              {{"source", context_.name}, {"topic", options_.topics[i]}});
    }
  }
  subscribed_ = true;
  LogInfo(kComponent, "subscribed",
          {{"source", context_.name}, {"topics", options_.topics.size()}});
  return Status::Ok();
}

Status MqttSource::Drain() {
  const int64_t deadline = SteadyNanos() + Nanos(options_.drain_timeout);
  for (;;) {
    EL_RETURN_IF_ERROR(ProcessCompletions());
    if (!Delivering()) break;
    const int64_t left = deadline - SteadyNanos();
    if (left <= 0) {
      LogWarn(kComponent,
              "stopped with deliveries in flight; the broker sends their messages again",
              {{"source", context_.name}});
      break;
    }
    pollfd p{mailbox_->wake_fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::min<int64_t>(left / 1'000'000 + 1, 1000))) > 0) {
      mailbox_->ClearWake();
    }
  }
  return Send(mqtt::EncodeDisconnect());
}

void MqttSource::EndSession() {
  // What was not acknowledged is sent again by the broker with DUP set;
  // remembering it lets the resend reuse the event's id.
  unacked_.clear();
  for (const Entry& entry : entries_) {
    if (entry.qos == 1 && !entry.event.id.empty()) {
      unacked_[entry.packet_id] = {entry.topic, entry.payload_crc, entry.payload_bytes,
                                   entry.event.id};
    }
  }
  entries_.clear();
  inflight_.Set(0);
  socket_.reset();
  reader_.reset();
  subscribed_ = false;
}

}  // namespace eventlake::ingest
