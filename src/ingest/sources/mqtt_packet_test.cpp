// Tests for the MQTT 3.1.1 packet codec: encodings checked byte for byte
// against the standard's layouts, and every way a broker's bytes can be
// wrong (truncated, bad lengths, bad flags, bad topics) refused clearly.
#include "ingest/sources/mqtt_packet.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace eventlake::ingest::mqtt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

Packet Make(PacketType type, uint8_t flags, std::string body) {
  Packet packet{
      .type = type, .flags = flags, .remaining_length = static_cast<uint32_t>(body.size())};
  packet.body = std::move(body);
  return packet;
}

// All packets in `stream`, fed to a reader in pieces of `chunk` bytes.
Result<std::vector<Packet>> ReadAll(std::string_view stream, size_t chunk,
                                    uint32_t max_publish = 1 << 20) {
  PacketReader reader(max_publish);
  std::vector<Packet> packets;
  for (size_t at = 0; at < stream.size(); at += chunk) {
    reader.Append(stream.substr(at, chunk));
    for (;;) {
      EL_ASSIGN_OR_RETURN(std::optional<Packet> packet, reader.Next());
      if (!packet.has_value()) break;
      packets.push_back(std::move(*packet));
    }
  }
  return packets;
}

std::string ErrorOf(std::string_view stream) {
  Result<std::vector<Packet>> packets = ReadAll(stream, stream.size());
  return packets.has_value() ? "no error" : packets.error().ToString();
}

TEST(MqttEncode, ConnectHasTheStandardLayout) {
  Result<std::string> connect =
      EncodeConnect({.client_id = "abc", .clean_session = false, .keep_alive_seconds = 60});
  ASSERT_TRUE(connect.has_value());
  EXPECT_EQ(*connect,
            Bytes({0x10, 15, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x00, 0, 60, 0, 3, 'a', 'b', 'c'}));
}

TEST(MqttEncode, ConnectCarriesCleanSessionUserAndPassword) {
  Result<std::string> connect = EncodeConnect({.client_id = "c",
                                               .clean_session = true,
                                               .keep_alive_seconds = 0,
                                               .username = "u",
                                               .password = "pw"});
  ASSERT_TRUE(connect.has_value());
  EXPECT_EQ(*connect, Bytes({0x10, 20, 0, 4,   'M', 'Q', 'T', 'T', 4, 0xc2, 0,
                             0,    0,  1, 'c', 0,   1,   'u', 0,   2, 'p',  'w'}));
}

TEST(MqttEncode, RefusesPasswordWithoutUsername) {
  EXPECT_THAT(EncodeConnect({.client_id = "c", .password = "pw"}).error().message(),
              HasSubstr("needs a username"));
}

TEST(MqttEncode, SubscribeListsEachFilterWithItsQos) {
  std::vector<std::string> filters = {"a/#", "b"};
  Result<std::string> subscribe = EncodeSubscribe(7, filters, 1);
  ASSERT_TRUE(subscribe.has_value());
  EXPECT_EQ(*subscribe, Bytes({0x82, 12, 0, 7, 0, 3, 'a', '/', '#', 1, 0, 1, 'b', 1}));
}

TEST(MqttEncode, SubscribeRefusesBadFiltersQos2AndPacketIdZero) {
  std::vector<std::string> bad = {"a/#/b"};
  std::vector<std::string> good = {"a"};
  EXPECT_FALSE(EncodeSubscribe(1, bad, 1).has_value());
  EXPECT_FALSE(EncodeSubscribe(1, good, 2).has_value());
  EXPECT_FALSE(EncodeSubscribe(0, good, 1).has_value());
  EXPECT_FALSE(EncodeSubscribe(1, {}, 1).has_value());
}

TEST(MqttEncode, SmallPacketsAreExact) {
  EXPECT_EQ(EncodePubAck(0x1234), Bytes({0x40, 2, 0x12, 0x34}));
  EXPECT_EQ(EncodePingReq(), Bytes({0xc0, 0}));
  EXPECT_EQ(EncodeDisconnect(), Bytes({0xe0, 0}));
}

TEST(MqttEncode, RemainingLengthUsesOneToFourBytes) {
  // Topic "t" at QoS 0 costs 3 bytes, so these payloads give remaining
  // lengths at the varint's boundaries.
  for (auto [payload, header] : std::vector<std::pair<size_t, size_t>>{
           {124, 2}, {125, 3}, {16380, 3}, {16381, 4}, {2097148, 4}, {2097149, 5}}) {
    Result<std::string> publish = EncodePublish("t", std::string(payload, 'x'), 0, 0);
    ASSERT_TRUE(publish.has_value());
    EXPECT_EQ(publish->size(), header + 3 + payload) << payload;
    Result<std::vector<Packet>> packets = ReadAll(*publish, publish->size(), 4 << 20);
    ASSERT_TRUE(packets.has_value()) << packets.error().ToString();
    ASSERT_EQ(packets->size(), 1u);
    EXPECT_EQ((*packets)[0].remaining_length, payload + 3);
  }
}

TEST(MqttReader, EveryTruncationWaitsForMoreBytes) {
  std::string stream = *EncodePublish("sensors/1", "{\"t\":21}", 1, 9) + Bytes({0x20, 2, 0, 0}) +
                       Bytes({0xd0, 0}) + *EncodePublish("a", std::string(200, 'y'), 0, 0);
  for (size_t cut = 0; cut < stream.size(); ++cut) {
    PacketReader reader(1 << 20);
    reader.Append(stream.substr(0, cut));
    size_t complete = 0;
    for (;;) {
      Result<std::optional<Packet>> packet = reader.Next();
      ASSERT_TRUE(packet.has_value()) << cut << ": " << packet.error().ToString();
      if (!packet->has_value()) break;
      ++complete;
    }
    reader.Append(stream.substr(cut));
    for (;;) {
      Result<std::optional<Packet>> packet = reader.Next();
      ASSERT_TRUE(packet.has_value());
      if (!packet->has_value()) break;
      ++complete;
    }
    EXPECT_EQ(complete, 4u) << "cut at " << cut;
  }
}

TEST(MqttReader, ReadsPacketsFedOneByteAtATime) {
  std::string stream = *EncodePublish("a/b", "hello", 1, 1) + Bytes({0xd0, 0});
  Result<std::vector<Packet>> packets = ReadAll(stream, 1);
  ASSERT_TRUE(packets.has_value());
  ASSERT_EQ(packets->size(), 2u);
  Result<Publish> publish = DecodePublish((*packets)[0]);
  ASSERT_TRUE(publish.has_value());
  EXPECT_EQ(publish->topic, "a/b");
  EXPECT_EQ(publish->payload, "hello");
  EXPECT_EQ(publish->packet_id, 1);
  EXPECT_TRUE(CheckPingResp((*packets)[1]).ok());
}

TEST(MqttReader, RefusesReservedTypesAndFlags) {
  EXPECT_THAT(ErrorOf(Bytes({0x00, 0})), HasSubstr("reserved packet type 0"));
  EXPECT_THAT(ErrorOf(Bytes({0xf0, 0})), HasSubstr("reserved packet type 15"));
  EXPECT_THAT(ErrorOf(Bytes({0x21, 2, 0, 0})), HasSubstr("CONNACK: reserved flags set"));
  EXPECT_THAT(ErrorOf(Bytes({0x90, 3, 0, 1, 0}) + Bytes({0xd1, 0})), HasSubstr("PINGRESP"));
  EXPECT_THAT(ErrorOf(Bytes({0x60, 2, 0, 1})), HasSubstr("PUBREL: reserved flags set"));
  EXPECT_THAT(ErrorOf(Bytes({0x36, 5, 0, 1, 'a', 0, 1})), HasSubstr("QoS 3"));
}

TEST(MqttReader, RefusesRemainingLengthLongerThanFourBytes) {
  EXPECT_THAT(ErrorOf(Bytes({0x30, 0xff, 0xff, 0xff, 0xff, 0x01})),
              HasSubstr("remaining length longer than 4 bytes"));
  // Four bytes with the last one continuing are refused before a fifth arrives.
  EXPECT_THAT(ErrorOf(Bytes({0x30, 0x80, 0x80, 0x80, 0x80})), HasSubstr("longer than 4 bytes"));
}

TEST(MqttReader, RefusesControlPacketsOverTheLimit) {
  // A SUBACK claiming 100,000 bytes: refused from its header alone.
  EXPECT_THAT(ErrorOf(Bytes({0x90, 0xa0, 0x8d, 0x06})), HasSubstr("is over 65536"));
}

TEST(MqttReader, OversizedPublishIsTruncatedAndItsTailSkipped) {
  std::string big = *EncodePublish("big/topic", std::string(5000, 'z'), 1, 42);
  std::string stream = big + *EncodePublish("small", "ok", 1, 43) + Bytes({0xd0, 0});
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{4096}, stream.size()}) {
    Result<std::vector<Packet>> packets = ReadAll(stream, chunk, /*max_publish=*/100);
    ASSERT_TRUE(packets.has_value()) << packets.error().ToString();
    ASSERT_EQ(packets->size(), 3u) << chunk;
    const Packet& truncated = (*packets)[0];
    EXPECT_TRUE(truncated.truncated);
    Result<Publish> head = DecodePublish(truncated);
    ASSERT_TRUE(head.has_value());
    EXPECT_EQ(head->topic, "big/topic");
    EXPECT_EQ(head->packet_id, 42);
    EXPECT_EQ(head->payload_bytes, 5000u);
    EXPECT_TRUE(head->payload.empty());
    Result<Publish> small = DecodePublish((*packets)[1]);
    ASSERT_TRUE(small.has_value());
    EXPECT_FALSE((*packets)[1].truncated);
    EXPECT_EQ(small->payload, "ok");
    EXPECT_EQ((*packets)[2].type, PacketType::kPingResp);
  }
}

TEST(MqttReader, BuffersAtMostOnePacketPlusWhatWasAppended) {
  PacketReader reader(100);
  std::string big = *EncodePublish("t", std::string(1 << 20, 'z'), 0, 0);
  for (size_t at = 0; at < big.size(); at += 4096) {
    reader.Append(std::string_view(big).substr(at, 4096));
    while (reader.Next().value().has_value()) {
    }
    EXPECT_LE(reader.buffered(), kPublishHeadBytes + 4096);
  }
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(MqttDecode, ConnAckAcceptedRefusedAndMalformed) {
  Result<ConnAck> ok = DecodeConnAck(Make(PacketType::kConnAck, 0, Bytes({1, 0})));
  ASSERT_TRUE(ok.has_value());
  EXPECT_TRUE(ok->session_present);
  EXPECT_EQ(ok->return_code, 0);
  Result<ConnAck> refused = DecodeConnAck(Make(PacketType::kConnAck, 0, Bytes({0, 5})));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(ConnAckReturnCodeName(refused->return_code), "not authorized");
  EXPECT_THAT(DecodeConnAck(Make(PacketType::kConnAck, 0, Bytes({0}))).error().message(),
              HasSubstr("remaining length is not 2"));
  EXPECT_THAT(DecodeConnAck(Make(PacketType::kConnAck, 0, Bytes({2, 0}))).error().message(),
              HasSubstr("reserved flags"));
  EXPECT_THAT(DecodeConnAck(Make(PacketType::kConnAck, 0, Bytes({0, 6}))).error().message(),
              HasSubstr("unknown return code"));
  EXPECT_THAT(DecodeConnAck(Make(PacketType::kConnAck, 0, Bytes({1, 4}))).error().message(),
              HasSubstr("session present on a refused connection"));
}

TEST(MqttDecode, SubAckReturnCodes) {
  Result<SubAck> ack = DecodeSubAck(Make(PacketType::kSubAck, 0, Bytes({0, 1, 1, 0, 0x80})));
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->packet_id, 1);
  EXPECT_THAT(ack->return_codes, ElementsAre(1, 0, 0x80));
  EXPECT_FALSE(DecodeSubAck(Make(PacketType::kSubAck, 0, Bytes({0, 1}))).has_value());
  EXPECT_THAT(DecodeSubAck(Make(PacketType::kSubAck, 0, Bytes({0, 1, 3}))).error().message(),
              HasSubstr("invalid return code"));
}

TEST(MqttDecode, PublishAtQos0And1) {
  Result<Publish> q0 = DecodePublish(Make(PacketType::kPublish, 0x01, Bytes({0, 1, 'a', 'x'})));
  ASSERT_TRUE(q0.has_value());
  EXPECT_EQ(q0->qos, 0);
  EXPECT_TRUE(q0->retain);
  EXPECT_EQ(q0->packet_id, 0);
  EXPECT_EQ(q0->payload, "x");
  Result<Publish> q1 = DecodePublish(Make(PacketType::kPublish, 0x0a, Bytes({0, 1, 'a', 1, 2})));
  ASSERT_TRUE(q1.has_value());
  EXPECT_TRUE(q1->dup);
  EXPECT_EQ(q1->packet_id, 0x0102);
  EXPECT_EQ(q1->payload, "");
}

TEST(MqttDecode, EveryTruncatedPublishBodyIsRefused) {
  const std::string body = Bytes({0, 3, 'a', '/', 'b', 0, 9});  // QoS 1, no payload
  for (size_t cut = 0; cut < body.size(); ++cut) {
    Result<Publish> publish = DecodePublish(Make(PacketType::kPublish, 0x02, body.substr(0, cut)));
    EXPECT_FALSE(publish.has_value()) << cut;
    if (!publish.has_value()) {
      EXPECT_THAT(publish.error().message(), HasSubstr("PUBLISH"));
    }
  }
  EXPECT_TRUE(DecodePublish(Make(PacketType::kPublish, 0x02, body)).has_value());
}

TEST(MqttDecode, PublishRulesOnQosDupAndPacketId) {
  EXPECT_THAT(
      DecodePublish(Make(PacketType::kPublish, 0x02, Bytes({0, 1, 'a', 0, 0}))).error().message(),
      HasSubstr("packet id 0"));
  EXPECT_THAT(
      DecodePublish(Make(PacketType::kPublish, 0x04, Bytes({0, 1, 'a', 0, 1}))).error().message(),
      HasSubstr("QoS 2"));
  EXPECT_THAT(DecodePublish(Make(PacketType::kPublish, 0x08, Bytes({0, 1, 'a'}))).error().message(),
              HasSubstr("DUP set at QoS 0"));
  EXPECT_THAT(DecodePublish(Make(PacketType::kPublish, 0x00, Bytes({0, 9, 'a'}))).error().message(),
              HasSubstr("topic runs past the packet"));
}

TEST(MqttDecode, PingRespMustBeEmpty) {
  EXPECT_TRUE(CheckPingResp(Make(PacketType::kPingResp, 0, "")).ok());
  EXPECT_FALSE(CheckPingResp(Make(PacketType::kPingResp, 0, "x")).ok());
}

TEST(MqttTopics, TopicNameRules) {
  for (std::string_view ok : {"a", "a/b", "/", "a//b", "\xe2\x82\xac/x", "$SYS/x"}) {
    EXPECT_TRUE(ValidateTopicName(ok).ok()) << ok;
  }
  EXPECT_THAT(ValidateTopicName("").message(), HasSubstr("empty"));
  EXPECT_THAT(ValidateTopicName("a/+/b").message(), HasSubstr("wildcard"));
  EXPECT_THAT(ValidateTopicName("a/#").message(), HasSubstr("wildcard"));
  EXPECT_THAT(ValidateTopicName(std::string("a\0b", 3)).message(), HasSubstr("U+0000"));
  EXPECT_THAT(ValidateTopicName("a\xff").message(), HasSubstr("not valid UTF-8"));
  EXPECT_THAT(ValidateTopicName("\xed\xa0\x80").message(), HasSubstr("not valid UTF-8"));
  EXPECT_THAT(ValidateTopicName(std::string(65536, 'a')).message(), HasSubstr("65535"));
}

TEST(MqttTopics, TopicFilterWildcardPlacement) {
  for (std::string_view ok : {"#", "+", "a/+/b", "a/#", "+/+", "/#", "+/", "a/b"}) {
    EXPECT_TRUE(ValidateTopicFilter(ok).ok()) << ok;
  }
  for (std::string_view bad : {"a#", "a/#/b", "#/a", "a/b#"}) {
    EXPECT_THAT(ValidateTopicFilter(bad).message(), HasSubstr("'#' must be")) << bad;
  }
  for (std::string_view bad : {"a+", "a/+b", "++", "a/b+/c"}) {
    EXPECT_THAT(ValidateTopicFilter(bad).message(), HasSubstr("'+' must be")) << bad;
  }
  EXPECT_FALSE(ValidateTopicFilter("").ok());
  EXPECT_FALSE(ValidateTopicFilter("\xc3").ok());
}

}  // namespace
}  // namespace eventlake::ingest::mqtt
