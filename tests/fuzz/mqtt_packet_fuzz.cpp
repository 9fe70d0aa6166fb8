// Fuzzes the MQTT 3.1.1 codec (src/ingest/sources/mqtt_packet.h) with what
// a broker could send a subscriber. Input: one byte giving the size of the
// pieces the stream is fed in, one selecting max_publish_bytes (0: 1 MiB,
// else 4 times it), then the stream. Checks what the header promises: the
// reader's memory stays bounded, a packet's body never exceeds its
// remaining length, a decoded PUBLISH's views lie inside the body, and a
// valid PUBLISH encodes back to a packet that decodes to the same fields.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/sources/mqtt_packet.h"

namespace {

namespace mqtt = eventlake::ingest::mqtt;

bool Inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void CheckRoundTrip(const mqtt::Publish& publish) {
  if (!mqtt::ValidateTopicName(publish.topic).ok()) return;
  auto bytes = mqtt::EncodePublish(publish.topic, publish.payload, publish.qos, publish.packet_id,
                                   publish.retain, publish.dup);
  if (!bytes.has_value()) __builtin_trap();
  mqtt::PacketReader reader(1 << 30);
  reader.Append(*bytes);
  auto packet = reader.Next();
  if (!packet.has_value() || !packet->has_value()) __builtin_trap();
  auto again = mqtt::DecodePublish(**packet);
  if (!again.has_value() || again->topic != publish.topic || again->payload != publish.payload ||
      again->qos != publish.qos || again->packet_id != publish.packet_id ||
      again->retain != publish.retain || again->dup != publish.dup) {
    __builtin_trap();
  }
}

void CheckPacket(const mqtt::Packet& packet) {
  if (packet.body.size() > packet.remaining_length) __builtin_trap();
  if (!packet.truncated && packet.body.size() != packet.remaining_length) __builtin_trap();
  switch (packet.type) {
    case mqtt::PacketType::kPublish: {
      auto publish = mqtt::DecodePublish(packet);
      if (!publish.has_value()) return;
      if (!Inside(publish->topic, packet.body) || !Inside(publish->payload, packet.body)) {
        __builtin_trap();
      }
      if (publish->qos > 0 && publish->packet_id == 0) __builtin_trap();
      if (!packet.truncated) CheckRoundTrip(*publish);
      return;
    }
    case mqtt::PacketType::kConnAck:
      (void)mqtt::DecodeConnAck(packet);
      return;
    case mqtt::PacketType::kSubAck:
      (void)mqtt::DecodeSubAck(packet);
      return;
    case mqtt::PacketType::kPingResp:
      (void)mqtt::CheckPingResp(packet);
      return;
    default:
      return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t chunk = data[0] == 0 ? 1 : data[0];
  const uint32_t max_publish = data[1] == 0 ? (1u << 20) : uint32_t{data[1]} * 4;
  std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);
  (void)mqtt::ValidateTopicFilter(stream.substr(0, 300));
  mqtt::PacketReader reader(max_publish);
  const size_t bound = std::max<size_t>(max_publish, mqtt::kPublishHeadBytes) + 5 + chunk;
  for (size_t at = 0; at < stream.size(); at += chunk) {
    reader.Append(stream.substr(at, chunk));
    if (reader.buffered() > bound) __builtin_trap();
    for (;;) {
      auto packet = reader.Next();
      if (!packet.has_value()) {
        if (packet.error().code() != eventlake::StatusCode::kInvalidArgument) __builtin_trap();
        return 0;
      }
      if (!packet->has_value()) break;
      CheckPacket(**packet);
    }
  }
  return 0;
}
