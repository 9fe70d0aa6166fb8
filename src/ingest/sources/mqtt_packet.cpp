// MQTT 3.1.1 packet encoding and decoding. Section numbers refer to the
// OASIS MQTT Version 3.1.1 standard.
#include "ingest/sources/mqtt_packet.h"

#include <algorithm>
#include <utility>

#include "ingest/json_text.h"

namespace eventlake::ingest::mqtt {
namespace {

Status Malformed(std::string_view packet, std::string_view what) {
  return InvalidArgument("malformed MQTT " + std::string(packet) + ": " + std::string(what));
}

void AppendUint16(uint16_t value, std::string* out) {
  out->push_back(static_cast<char>(value >> 8));
  out->push_back(static_cast<char>(value & 0xff));
}

uint16_t ReadUint16(std::string_view bytes, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(bytes[at]) << 8) |
                               static_cast<uint8_t>(bytes[at + 1]));
}

// A UTF-8 encoded string (1.5.3): a 2-byte length, then the bytes.
Status AppendString(std::string_view what, std::string_view text, std::string* out) {
  if (text.size() > 0xffff)
    return InvalidArgument(std::string(what) + " is longer than 65535 bytes");
  AppendUint16(static_cast<uint16_t>(text.size()), out);
  out->append(text);
  return Status::Ok();
}

// The fixed header (2.2) of a packet whose variable part is `rest`.
std::string Frame(uint8_t first_byte, std::string_view rest) {
  std::string out(1, static_cast<char>(first_byte));
  size_t length = rest.size();
  do {
    uint8_t digit = length % 128;
    length /= 128;
    if (length > 0) digit |= 0x80;
    out.push_back(static_cast<char>(digit));
  } while (length > 0);
  out.append(rest);
  return out;
}

// The flags section 2.2.2 prescribes for `type`; -1 for PUBLISH (its own).
int RequiredFlags(PacketType type) {
  switch (type) {
    case PacketType::kPublish:
      return -1;
    case PacketType::kPubRel:
    case PacketType::kSubscribe:
    case PacketType::kUnsubscribe:
      return 2;
    default:
      return 0;
  }
}

Status CheckUtf8Text(std::string_view what, std::string_view text) {
  if (text.empty()) return InvalidArgument(std::string(what) + " is empty");
  if (text.size() > 0xffff)
    return InvalidArgument(std::string(what) + " is longer than 65535 bytes");
  if (!IsValidUtf8(text)) return InvalidArgument(std::string(what) + " is not valid UTF-8");
  if (text.find('\0') != std::string_view::npos) {
    return InvalidArgument(std::string(what) + " holds U+0000");
  }
  return Status::Ok();
}

}  // namespace

std::string_view PacketTypeName(uint8_t type) {
  static constexpr std::string_view kNames[] = {"reserved",  "CONNECT",  "CONNACK",     "PUBLISH",
                                                "PUBACK",    "PUBREC",   "PUBREL",      "PUBCOMP",
                                                "SUBSCRIBE", "SUBACK",   "UNSUBSCRIBE", "UNSUBACK",
                                                "PINGREQ",   "PINGRESP", "DISCONNECT",  "reserved"};
  return type < 16 ? kNames[type] : "reserved";
}

PacketReader::PacketReader(uint32_t max_publish_bytes) : max_publish_bytes_(max_publish_bytes) {}

void PacketReader::Append(std::string_view bytes) {
  if (skipping_ > 0) {
    size_t dropped = std::min<uint64_t>(skipping_, bytes.size());
    skipping_ -= dropped;
    bytes.remove_prefix(dropped);
  }
  if (consumed_ > 0 && consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  buffer_.append(bytes);
}

// The fixed header at the start of `bytes` (2.2): the packet with its type,
// flags and remaining length, and the header's size; nullopt until complete.
static Result<std::optional<std::pair<Packet, size_t>>> ParseFixedHeader(std::string_view bytes) {
  using Parsed = std::optional<std::pair<Packet, size_t>>;
  const uint8_t first = static_cast<uint8_t>(bytes[0]);
  const uint8_t type = first >> 4;
  if (type == 0 || type == 15) {
    return Err(Malformed("packet", "reserved packet type " + std::to_string(type)));
  }
  Packet packet{.type = static_cast<PacketType>(type), .flags = static_cast<uint8_t>(first & 15)};
  const std::string_view name = PacketTypeName(type);
  const int required = RequiredFlags(packet.type);
  if (required >= 0 && packet.flags != required) return Err(Malformed(name, "reserved flags set"));
  if (packet.type == PacketType::kPublish && ((packet.flags >> 1) & 3) == 3) {
    return Err(Malformed(name, "QoS 3"));
  }
  size_t header = 1;
  for (uint32_t multiplier = 1;; multiplier *= 128) {
    if (header == 5) return Err(Malformed(name, "remaining length longer than 4 bytes"));
    if (header >= bytes.size()) return Parsed();
    uint8_t digit = static_cast<uint8_t>(bytes[header++]);
    packet.remaining_length += (digit & 127) * multiplier;
    if ((digit & 128) == 0) break;
  }
  if (packet.type != PacketType::kPublish && packet.remaining_length > kMaxControlPacketBytes) {
    return Err(Malformed(name, "remaining length " + std::to_string(packet.remaining_length) +
                                   " is over " + std::to_string(kMaxControlPacketBytes)));
  }
  return Parsed(std::make_pair(std::move(packet), header));
}

Result<std::optional<Packet>> PacketReader::Next() {
  if (consumed_ > 0 && consumed_ * 2 >= buffer_.size()) {  // keep the buffer from creeping
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  std::string_view bytes = std::string_view(buffer_).substr(consumed_);
  if (skipping_ > 0 || bytes.empty()) return std::optional<Packet>();
  EL_ASSIGN_OR_RETURN(auto parsed, ParseFixedHeader(bytes));
  if (!parsed.has_value()) return std::optional<Packet>();
  auto& [packet, header] = *parsed;
  const uint32_t length = packet.remaining_length;
  packet.truncated = packet.type == PacketType::kPublish && length > max_publish_bytes_;
  size_t kept = length;
  if (packet.truncated && length >= 2) {  // keep the topic and packet id only
    if (bytes.size() - header < 2) return std::optional<Packet>();
    const size_t id_bytes = (packet.flags & 6) != 0 ? 2 : 0;
    kept = std::min<size_t>(length, 2 + ReadUint16(bytes, header) + id_bytes);
  }
  if (bytes.size() - header < kept) return std::optional<Packet>();
  packet.body.assign(bytes.substr(header, kept));
  consumed_ += header + kept;
  if (packet.truncated) {
    // The tail may be partly buffered already: drop that, skip the rest.
    size_t tail_here = std::min<size_t>(length - kept, buffer_.size() - consumed_);
    consumed_ += tail_here;
    skipping_ = length - kept - tail_here;
  }
  return std::optional<Packet>(std::move(packet));
}

Result<std::string> EncodeConnect(const ConnectOptions& options) {
  if (options.password.has_value() && !options.username.has_value()) {
    return Err(InvalidArgument("a password needs a username (MQTT 3.1.2.9)"));
  }
  std::string rest;
  EL_RETURN_IF_ERROR(AppendString("protocol name", "MQTT", &rest));
  rest.push_back(4);  // protocol level 3.1.1
  uint8_t flags = options.clean_session ? 0x02 : 0;
  if (options.username) flags |= 0x80;
  if (options.password) flags |= 0x40;
  rest.push_back(static_cast<char>(flags));
  AppendUint16(options.keep_alive_seconds, &rest);
  EL_RETURN_IF_ERROR(AppendString("client_id", options.client_id, &rest));
  if (options.username) EL_RETURN_IF_ERROR(AppendString("username", *options.username, &rest));
  if (options.password) EL_RETURN_IF_ERROR(AppendString("password", *options.password, &rest));
  return Frame(0x10, rest);
}

Result<std::string> EncodeSubscribe(uint16_t packet_id, std::span<const std::string> filters,
                                    uint8_t qos) {
  if (packet_id == 0) return Err(InvalidArgument("SUBSCRIBE needs a non-zero packet id"));
  if (filters.empty()) return Err(InvalidArgument("SUBSCRIBE needs at least one topic filter"));
  if (qos > 1) return Err(InvalidArgument("only QoS 0 and 1 are supported"));
  std::string rest;
  AppendUint16(packet_id, &rest);
  for (const std::string& filter : filters) {
    EL_RETURN_IF_ERROR(ValidateTopicFilter(filter).WithContext("topic filter"));
    EL_RETURN_IF_ERROR(AppendString("topic filter", filter, &rest));
    rest.push_back(static_cast<char>(qos));
  }
  if (rest.size() > kMaxRemainingLength) return Err(InvalidArgument("SUBSCRIBE is too large"));
  return Frame(0x82, rest);
}

std::string EncodePubAck(uint16_t packet_id) {
  std::string rest;
  AppendUint16(packet_id, &rest);
  return Frame(0x40, rest);
}

std::string EncodePingReq() { return Frame(0xc0, ""); }

std::string EncodeDisconnect() { return Frame(0xe0, ""); }

Result<std::string> EncodePublish(std::string_view topic, std::string_view payload, uint8_t qos,
                                  uint16_t packet_id, bool retain, bool dup) {
  if (qos > 1) return Err(InvalidArgument("only QoS 0 and 1 are supported"));
  if (qos > 0 && packet_id == 0) return Err(InvalidArgument("QoS 1 needs a non-zero packet id"));
  EL_RETURN_IF_ERROR(ValidateTopicName(topic));
  std::string rest;
  EL_RETURN_IF_ERROR(AppendString("topic", topic, &rest));
  if (qos > 0) AppendUint16(packet_id, &rest);
  if (rest.size() + payload.size() > kMaxRemainingLength) {
    return Err(InvalidArgument("PUBLISH is larger than 268435455 bytes"));
  }
  rest.append(payload);
  uint8_t first = 0x30 | static_cast<uint8_t>(qos << 1) | (retain ? 1 : 0) | (dup ? 8 : 0);
  return Frame(first, rest);
}

std::string_view ConnAckReturnCodeName(uint8_t code) {
  switch (code) {
    case 0:
      return "accepted";
    case 1:
      return "unacceptable protocol version";
    case 2:
      return "identifier rejected";
    case 3:
      return "server unavailable";
    case 4:
      return "bad user name or password";
    case 5:
      return "not authorized";
    default:
      return "unknown return code";
  }
}

Result<ConnAck> DecodeConnAck(const Packet& packet) {
  if (packet.type != PacketType::kConnAck) return Err(Malformed("CONNACK", "wrong packet type"));
  if (packet.body.size() != 2) return Err(Malformed("CONNACK", "remaining length is not 2"));
  const uint8_t ack_flags = static_cast<uint8_t>(packet.body[0]);
  if ((ack_flags & 0xfe) != 0) return Err(Malformed("CONNACK", "reserved flags set"));
  ConnAck ack{.session_present = (ack_flags & 1) != 0,
              .return_code = static_cast<uint8_t>(packet.body[1])};
  if (ack.return_code > 5) return Err(Malformed("CONNACK", "unknown return code"));
  if (ack.return_code != 0 && ack.session_present) {
    return Err(Malformed("CONNACK", "session present on a refused connection"));
  }
  return ack;
}

Result<SubAck> DecodeSubAck(const Packet& packet) {
  if (packet.type != PacketType::kSubAck) return Err(Malformed("SUBACK", "wrong packet type"));
  if (packet.body.size() < 3) return Err(Malformed("SUBACK", "shorter than 3 bytes"));
  SubAck ack{.packet_id = ReadUint16(packet.body, 0)};
  for (size_t i = 2; i < packet.body.size(); ++i) {
    uint8_t code = static_cast<uint8_t>(packet.body[i]);
    if (code > 2 && code != 0x80) return Err(Malformed("SUBACK", "invalid return code"));
    ack.return_codes.push_back(code);
  }
  return ack;
}

Result<Publish> DecodePublish(const Packet& packet) {
  if (packet.type != PacketType::kPublish) return Err(Malformed("PUBLISH", "wrong packet type"));
  Publish publish{.dup = (packet.flags & 8) != 0,
                  .qos = static_cast<uint8_t>((packet.flags >> 1) & 3),
                  .retain = (packet.flags & 1) != 0};
  if (publish.qos > 1) return Err(Malformed("PUBLISH", "QoS 2 was never subscribed to"));
  if (publish.qos == 0 && publish.dup) return Err(Malformed("PUBLISH", "DUP set at QoS 0"));
  const std::string_view body = packet.body;
  if (body.size() < 2) return Err(Malformed("PUBLISH", "no topic length"));
  const size_t topic_length = ReadUint16(body, 0);
  size_t at = 2 + topic_length;
  if (at > body.size()) return Err(Malformed("PUBLISH", "topic runs past the packet"));
  publish.topic = body.substr(2, topic_length);
  if (publish.qos > 0) {
    if (at + 2 > body.size()) return Err(Malformed("PUBLISH", "no packet id"));
    publish.packet_id = ReadUint16(body, at);
    if (publish.packet_id == 0) return Err(Malformed("PUBLISH", "packet id 0"));
    at += 2;
  }
  publish.payload_bytes = packet.remaining_length - static_cast<uint32_t>(at);
  if (!packet.truncated) publish.payload = body.substr(at);
  return publish;
}

Status CheckPingResp(const Packet& packet) {
  if (packet.type != PacketType::kPingResp) return Malformed("PINGRESP", "wrong packet type");
  if (packet.remaining_length != 0) return Malformed("PINGRESP", "remaining length is not 0");
  return Status::Ok();
}

Status ValidateTopicName(std::string_view topic) {
  EL_RETURN_IF_ERROR(CheckUtf8Text("topic name", topic));
  if (topic.find_first_of("+#") != std::string_view::npos) {
    return InvalidArgument("topic name holds a wildcard ('+' or '#')");
  }
  return Status::Ok();
}

Status ValidateTopicFilter(std::string_view filter) {
  EL_RETURN_IF_ERROR(CheckUtf8Text("topic filter", filter));
  size_t level_start = 0;
  for (size_t i = 0; i <= filter.size(); ++i) {
    if (i < filter.size() && filter[i] != '/') continue;
    std::string_view level = filter.substr(level_start, i - level_start);
    if (level.find('#') != std::string_view::npos && (level != "#" || i != filter.size())) {
      return InvalidArgument("topic filter '" + std::string(filter) +
                             "': '#' must be a whole level and the last one");
    }
    if (level.find('+') != std::string_view::npos && level != "+") {
      return InvalidArgument("topic filter '" + std::string(filter) +
                             "': '+' must be a whole level");
    }
    level_start = i + 1;
  }
  return Status::Ok();
}

}  // namespace eventlake::ingest::mqtt
