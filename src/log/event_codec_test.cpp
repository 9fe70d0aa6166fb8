// Tests of the event payload codec against docs/formats/log.md ("Payload"):
// exact bytes of known events, round trips, and every way a decoder must
// reject a payload.
#include "log/event_codec.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <random>
#include <string>

namespace eventlake::log {
namespace {

// Raw bytes written as numbers, so that tests spell out the format.
std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

// A `str` whose length fits one varint byte.
std::string Str(std::string_view s) { return Bytes({static_cast<int>(s.size())}) + std::string(s); }

// Version 1, no flags, four empty required strings: the prefix of a payload
// whose extensions and data follow.
const std::string kEmptyAttributes = Bytes({1, 0, 0, 0, 0, 0});
// A complete payload with no extensions and no data.
const std::string kEmptyEvent = kEmptyAttributes + Bytes({0, 0});

CloudEvent MaximalEvent() {
  CloudEvent event;
  event.id = "a3f6c2a0-1c7e-4a5e-9e0b-6f1f3b1e2d4c";
  event.source = "https://example.com/shop";
  event.spec_version = "1.0";
  event.type = "com.example.order.created";
  event.data_content_type = "application/octet-stream";
  event.data_schema = "https://example.com/schemas/order.json";
  event.subject = "orders/42";
  event.time = 1'764'036'415'123'456;
  event.extensions = {
      {"flagtrue", true},
      {"flagfalse", false},
      {"zero", int64_t{0}},
      {"minusone", int64_t{-1}},
      {"min", std::numeric_limits<int64_t>::min()},
      {"max", std::numeric_limits<int64_t>::max()},
      {"partitionkey", std::string("customer-17")},
      {"empty", std::string()},
      {"withnul", std::string("a\0b", 3)},
  };
  event.data = std::string("\0\x01\xff binary \0 data", 18);
  event.data_is_binary = true;
  return event;
}

std::string Encode(const CloudEvent& event) {
  std::string out;
  EncodeEvent(event, &out);
  return out;
}

void ExpectCorruption(std::string_view payload, std::string_view message_part) {
  Result<CloudEvent> decoded = DecodeEvent(payload);
  ASSERT_FALSE(decoded.has_value()) << "decoded a payload that must be rejected";
  EXPECT_EQ(decoded.error().code(), StatusCode::kCorruption);
  EXPECT_NE(decoded.error().message().find(message_part), std::string::npos)
      << decoded.error().message();
}

void ExpectRoundTrip(const CloudEvent& event) {
  std::string encoded = Encode(event);
  EXPECT_EQ(encoded.size(), EncodedEventSize(event));
  Result<CloudEvent> decoded = DecodeEvent(encoded);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
  EXPECT_EQ(*decoded, event);
}

TEST(EventCodec, EncodesMinimalEventAsSpecified) {
  CloudEvent event;
  event.id = "1";
  event.source = "s";
  event.type = "t";
  EXPECT_EQ(Encode(event),
            Bytes({1, 0}) + Str("1") + Str("s") + Str("1.0") + Str("t") + Bytes({0, 0}));
  ExpectRoundTrip(event);
}

TEST(EventCodec, EncodesEveryFieldAsSpecified) {
  CloudEvent event;
  event.id = "i";
  event.source = "s";
  event.type = "t";
  event.data_content_type = "c";
  event.data_schema = "d";
  event.subject = "u";
  event.time = 0x0102030405060708;
  event.extensions = {{"b", true}, {"n", int64_t{-65}}, {"x", std::string("v")}};
  event.data = "xyz";
  event.data_is_binary = true;
  std::string expected = Bytes({1, 31}) + Str("i") + Str("s") + Str("1.0") + Str("t") + Str("c") +
                         Str("d") + Str("u") + Bytes({8, 7, 6, 5, 4, 3, 2, 1}) + Bytes({3}) +
                         Str("b") + Bytes({0, 1}) +           // bool true
                         Str("n") + Bytes({1, 0x81, 0x01}) +  // zigzag(-65) = 129
                         Str("x") + Bytes({2}) + Str("v") + Str("xyz");
  EXPECT_EQ(Encode(event), expected);
  ExpectRoundTrip(event);
}

TEST(EventCodec, RoundTripsMaximalEvent) { ExpectRoundTrip(MaximalEvent()); }

TEST(EventCodec, RoundTripsEmptyAndBinaryData) {
  CloudEvent event = MaximalEvent();
  event.data.clear();
  ExpectRoundTrip(event);
  event.data = std::string(300, '\0');  // a two-byte length varint
  ExpectRoundTrip(event);
}

TEST(EventCodec, RoundTripsEmptyStringsEverywhere) {
  CloudEvent event;
  event.spec_version.clear();
  event.data_content_type = "";
  event.data_schema = "";
  event.subject = "";
  event.time = 0;
  event.extensions = {{"", std::string()}};
  ExpectRoundTrip(event);
}

TEST(EventCodec, EncodeAppendsWithoutTouchingExistingBytes) {
  std::string out = "prefix";
  EncodeEvent(MaximalEvent(), &out);
  EXPECT_EQ(out.substr(0, 6), "prefix");
  Result<CloudEvent> decoded = DecodeEvent(std::string_view(out).substr(6));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
  EXPECT_EQ(*decoded, MaximalEvent());
}

TEST(EventCodec, EveryTruncationIsCorruption) {
  std::string encoded = Encode(MaximalEvent());
  for (size_t length = 0; length < encoded.size(); ++length) {
    Result<CloudEvent> decoded = DecodeEvent(std::string_view(encoded).substr(0, length));
    ASSERT_FALSE(decoded.has_value()) << "prefix of " << length << " bytes decoded";
    EXPECT_EQ(decoded.error().code(), StatusCode::kCorruption);
  }
}

TEST(EventCodec, AcceptsHandBuiltEmptyEvent) {
  Result<CloudEvent> decoded = DecodeEvent(kEmptyEvent);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
  EXPECT_EQ(decoded->spec_version, "");
  EXPECT_TRUE(decoded->extensions.empty());
}

TEST(EventCodec, RejectsEmptyPayload) { ExpectCorruption("", "truncated format version"); }

TEST(EventCodec, RejectsUnknownVersion) {
  for (int version : {0, 2, 255}) {
    std::string payload = kEmptyEvent;
    payload[0] = static_cast<char>(version);
    ExpectCorruption(payload, "unknown format version " + std::to_string(version));
  }
}

TEST(EventCodec, RejectsUnknownFlagBits) {
  for (int flag : {32, 64, 128}) {
    std::string payload = kEmptyEvent;
    payload[1] = static_cast<char>(flag);
    ExpectCorruption(payload, "unknown flag bits " + std::to_string(flag));
  }
}

TEST(EventCodec, RejectsTrailingBytes) { ExpectCorruption(kEmptyEvent + "zz", "2 trailing bytes"); }

TEST(EventCodec, RejectsDuplicateExtensionNames) {
  std::string payload = kEmptyAttributes + Bytes({3}) + Str("a") + Bytes({0, 1}) + Str("b") +
                        Bytes({0, 1}) + Str("a") + Bytes({1, 2}) + Bytes({0});
  ExpectCorruption(payload, "duplicate extension name 'a'");
}

TEST(EventCodec, RejectsUnknownExtensionKind) {
  std::string payload = kEmptyAttributes + Bytes({1}) + Str("k") + Bytes({3, 0}) + Bytes({0});
  ExpectCorruption(payload, "unknown kind 3 of extension 'k'");
}

TEST(EventCodec, RejectsBoolByteOtherThanZeroOrOne) {
  std::string payload = kEmptyAttributes + Bytes({1}) + Str("k") + Bytes({0, 2}) + Bytes({0});
  ExpectCorruption(payload, "invalid bool byte 2 in extension 'k'");
}

TEST(EventCodec, RejectsOverLongLengthVarint) {
  // The id's length 0 written in two bytes.
  ExpectCorruption(Bytes({1, 0, 0x80, 0x00, 0, 0, 0, 0, 0}), "over-long varint in id");
}

TEST(EventCodec, RejectsLengthVarintOfMoreThanFiveBytes) {
  ExpectCorruption(Bytes({1, 0, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00}),
                   "varint longer than 5 bytes in id");
}

TEST(EventCodec, RejectsLengthOverSixteenMebibytes) {
  // 16 MiB + 1 = 0x1000001 as LEB128.
  ExpectCorruption(Bytes({1, 0, 0x81, 0x80, 0x80, 0x08}), "id 16777217 exceeds the limit");
}

TEST(EventCodec, RejectsLengthPastTheEnd) {
  ExpectCorruption(Bytes({1, 0, 5, 'a', 'b'}), "id of 5 bytes runs past the end (2 left)");
}

TEST(EventCodec, RejectsExtensionCountOverLimit) {
  ExpectCorruption(kEmptyAttributes + Bytes({0x81, 0x80, 0x80, 0x08}),
                   "extension count 16777217 exceeds the limit");
}

TEST(EventCodec, RejectsExtensionCountLargerThanPayload) {
  std::string payload = kEmptyAttributes + Bytes({0xff, 0xff, 0x03}) + Str("k") + Bytes({0, 1});
  ExpectCorruption(payload, "truncated extension name");
}

TEST(EventCodec, RejectsIntegerVarintOverflowingSixtyFourBits) {
  std::string ten_bytes = Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02});
  std::string payload =
      kEmptyAttributes + Bytes({1}) + Str("k") + Bytes({1}) + ten_bytes + Bytes({0});
  ExpectCorruption(payload, "64-bit overflow in integer extension value");
}

TEST(EventCodec, RejectsOverLongIntegerVarint) {
  std::string payload = kEmptyAttributes + Bytes({1}) + Str("k") + Bytes({1, 0x81, 0x00, 0});
  ExpectCorruption(payload, "over-long varint in integer extension value");
}

TEST(EventCodec, RejectsTruncatedTime) {
  std::string payload = Bytes({1, 16, 0, 0, 0, 0, 1, 2, 3});
  ExpectCorruption(payload, "truncated time");
}

TEST(EventCodec, RejectsPayloadOverMaximumSize) {
  std::string payload = kEmptyEvent;
  payload.resize(kMaxEventBytes + 1, 'x');
  ExpectCorruption(payload, "exceeds the limit");
}

TEST(EventCodec, QuotesUnprintableExtensionNamesInErrors) {
  std::string payload = kEmptyAttributes + Bytes({1}) + Str("a\n") + Bytes({9, 0}) + Bytes({0});
  ExpectCorruption(payload, "extension 'a\\x0a'");
}

// ---- random round trips ----

std::string RandomString(std::mt19937_64& rng, size_t max_length) {
  std::string out(rng() % (max_length + 1), '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

ExtensionValue RandomExtensionValue(std::mt19937_64& rng) {
  switch (rng() % 3) {
    case 0:
      return rng() % 2 == 0;
    case 1:
      return static_cast<int64_t>(rng() >> (rng() % 64));
    default:
      return RandomString(rng, 20);
  }
}

CloudEvent RandomEvent(std::mt19937_64& rng) {
  CloudEvent event;
  event.id = RandomString(rng, 40);
  event.source = RandomString(rng, 40);
  event.spec_version = RandomString(rng, 4);
  event.type = RandomString(rng, 40);
  if (rng() % 2) event.data_content_type = RandomString(rng, 30);
  if (rng() % 2) event.data_schema = RandomString(rng, 30);
  if (rng() % 2) event.subject = RandomString(rng, 30);
  if (rng() % 2) event.time = static_cast<int64_t>(rng());
  size_t extensions = rng() % 6;
  for (size_t i = 0; i < extensions; ++i) {
    event.extensions.push_back({"ext" + std::to_string(i), RandomExtensionValue(rng)});
  }
  event.data = RandomString(rng, rng() % 8 == 0 ? 1000 : 100);
  event.data_is_binary = rng() % 2;
  return event;
}

TEST(EventCodec, RandomEventsRoundTrip) {
  std::mt19937_64 rng(20261125);
  for (int i = 0; i < 300; ++i) {
    CloudEvent event = RandomEvent(rng);
    SCOPED_TRACE("event " + std::to_string(i));
    ExpectRoundTrip(event);
  }
}

TEST(EventCodec, RandomBytesNeverDecodeToADifferentEncoding) {
  // Decoding is strict, so whatever decodes must re-encode to the same bytes.
  std::mt19937_64 rng(99);
  std::string encoded = Encode(MaximalEvent());
  for (int i = 0; i < 2000; ++i) {
    std::string mutated = encoded;
    mutated[rng() % mutated.size()] = static_cast<char>(rng());
    Result<CloudEvent> decoded = DecodeEvent(mutated);
    if (decoded.has_value()) {
      EXPECT_EQ(Encode(*decoded), mutated);
    }
  }
}

}  // namespace
}  // namespace eventlake::log
