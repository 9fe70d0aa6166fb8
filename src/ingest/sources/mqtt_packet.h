// MQTT 3.1.1 control packets (OASIS standard, 29 October 2014), the subset a
// subscribing client needs: it encodes CONNECT, SUBSCRIBE, PUBACK, PINGREQ
// and DISCONNECT (and PUBLISH, for tests and tools) and decodes what a broker
// sends to a subscriber: CONNACK, SUBACK, PUBLISH, PINGRESP. Everything a
// broker sends is outside input: decoding never trusts a length, and every
// error is an InvalidArgument saying which rule broke.
//
// Framing (section 2.2): a fixed header (type and flags in one byte, then
// the remaining length as a varint of 1 to 4 bytes, at most 268,435,455)
// followed by that many bytes. PacketReader cuts a byte stream into packets
// with bounded memory: a PUBLISH whose remaining length exceeds
// max_publish_bytes is returned truncated to its first bytes (enough for the
// topic and the packet id) and the rest of it is skipped as it arrives, so an
// oversized message can still be acknowledged and dropped instead of
// breaking the connection; any other packet over kMaxControlPacketBytes is
// an error.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace eventlake::ingest::mqtt {

enum class PacketType : uint8_t {
  kConnect = 1,
  kConnAck = 2,
  kPublish = 3,
  kPubAck = 4,
  kPubRec = 5,
  kPubRel = 6,
  kPubComp = 7,
  kSubscribe = 8,
  kSubAck = 9,
  kUnsubscribe = 10,
  kUnsubAck = 11,
  kPingReq = 12,
  kPingResp = 13,
  kDisconnect = 14,
};

// "CONNECT", "PUBLISH", ...; "reserved" for 0 and 15.
std::string_view PacketTypeName(uint8_t type);

inline constexpr uint32_t kMaxRemainingLength = 268'435'455;  // 4 varint bytes
// Largest packet other than PUBLISH a subscriber accepts (a SUBACK for many
// filters is the largest one it expects).
inline constexpr uint32_t kMaxControlPacketBytes = 64 * 1024;
// The most a truncated PUBLISH keeps: the topic length, the longest topic and
// the packet id.
inline constexpr uint32_t kPublishHeadBytes = 2 + 65535 + 2;

struct Packet {
  PacketType type = PacketType::kConnect;
  uint8_t flags = 0;              // the low 4 bits of the first byte
  uint32_t remaining_length = 0;  // as the fixed header says
  // The bytes after the fixed header: all of them, or, when truncated, those
  // up to the end of the packet id (or of the topic, at QoS 0).
  std::string body;
  bool truncated = false;
};

class PacketReader {
 public:
  // `max_publish_bytes`: the largest PUBLISH remaining length read whole.
  explicit PacketReader(uint32_t max_publish_bytes);

  // Adds received bytes; bytes of a truncated PUBLISH's tail are dropped.
  void Append(std::string_view bytes);
  // The next packet, nullopt until enough bytes arrived; an error for a
  // malformed fixed header (reserved type, a varint over 4 bytes, flags that
  // section 2.2.2 fixes to other values, QoS 3) or a non-PUBLISH packet over
  // kMaxControlPacketBytes. After an error the stream is unusable.
  Result<std::optional<Packet>> Next();
  // Bytes held: at most max(max_publish_bytes, kPublishHeadBytes) plus
  // 5 plus what the last Append brought.
  size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  uint32_t max_publish_bytes_;
  std::string buffer_;
  size_t consumed_ = 0;    // bytes of buffer_ already returned
  uint64_t skipping_ = 0;  // bytes of a truncated PUBLISH still to drop
};

// CONNECT (3.1). The password needs a username (3.1.2.9).
struct ConnectOptions {
  std::string client_id;
  bool clean_session = false;
  uint16_t keep_alive_seconds = 60;
  std::optional<std::string> username;
  std::optional<std::string> password;
};
Result<std::string> EncodeConnect(const ConnectOptions& options);

// SUBSCRIBE (3.8) of `filters`, each at `qos` (0 or 1); packet_id != 0.
Result<std::string> EncodeSubscribe(uint16_t packet_id, std::span<const std::string> filters,
                                    uint8_t qos);
std::string EncodePubAck(uint16_t packet_id);
std::string EncodePingReq();
std::string EncodeDisconnect();
// PUBLISH (3.3); packet_id is written for qos > 0 only.
Result<std::string> EncodePublish(std::string_view topic, std::string_view payload, uint8_t qos,
                                  uint16_t packet_id, bool retain = false, bool dup = false);

struct ConnAck {
  bool session_present = false;
  uint8_t return_code = 0;  // 0 = accepted; 1-5 refused (ConnAckReturnCodeName)
};
Result<ConnAck> DecodeConnAck(const Packet& packet);
// "accepted", "unacceptable protocol version", ..., "not authorized".
std::string_view ConnAckReturnCodeName(uint8_t code);

struct SubAck {
  uint16_t packet_id = 0;
  std::vector<uint8_t> return_codes;  // per filter: granted QoS 0-2, or 0x80 failure
};
Result<SubAck> DecodeSubAck(const Packet& packet);

// A PUBLISH. Views point into the packet's body. The topic's text is not
// checked here (see ValidateTopicName): a message with a bad topic is still
// a well-framed message that can be acknowledged.
struct Publish {
  bool dup = false;
  uint8_t qos = 0;
  bool retain = false;
  std::string_view topic;
  uint16_t packet_id = 0;      // 0 for QoS 0
  std::string_view payload;    // empty when the packet is truncated
  uint32_t payload_bytes = 0;  // the payload's full length, also when truncated
};
// Errors: a topic length past the end, QoS 1 without a packet id or with id 0,
// QoS 2 (never granted by SUBSCRIBE at QoS <= 1).
Result<Publish> DecodePublish(const Packet& packet);

// PINGRESP and PUBACK-shaped packets: the remaining length they must have.
Status CheckPingResp(const Packet& packet);

// A topic name as a PUBLISH carries it (4.7, 1.5.3): 1 to 65535 bytes of
// valid UTF-8 without U+0000 and without the wildcards '+' and '#'.
Status ValidateTopicName(std::string_view topic);
// A topic filter as SUBSCRIBE carries it (4.7.1): 1 to 65535 bytes of valid
// UTF-8 without U+0000; '#' only as the whole last level; '+' only as a
// whole level.
Status ValidateTopicFilter(std::string_view filter);

}  // namespace eventlake::ingest::mqtt
