// Record framing: round trip, and every way a frame can be damaged.
#include "log/record_format.h"

#include <gtest/gtest.h>

#include "log/crc32c.h"

namespace eventlake::log {
namespace {

std::string Frame(std::string_view payload, uint64_t offset, int64_t time) {
  std::string frame(kRecordHeaderSize, '\0');
  frame += payload;
  EncodeRecordHeader(crc32c::Value(payload), static_cast<uint32_t>(payload.size()), offset, time,
                     frame.data());
  return frame;
}

TEST(RecordFormat, RoundTrips) {
  std::string frame = Frame("hello", 42, -7);
  DecodedFrame decoded = DecodeFrame(frame);
  ASSERT_EQ(decoded.status, FrameStatus::kOk);
  EXPECT_EQ(decoded.offset, 42u);
  EXPECT_EQ(decoded.append_time, -7);
  EXPECT_EQ(decoded.payload, "hello");
  EXPECT_EQ(decoded.frame_size, frame.size());
}

TEST(RecordFormat, DecodesOnlyTheFirstFrameOfABuffer) {
  std::string two = Frame("one", 1, 1) + Frame("two", 2, 2);
  DecodedFrame first = DecodeFrame(two);
  ASSERT_EQ(first.status, FrameStatus::kOk);
  DecodedFrame second = DecodeFrame(std::string_view(two).substr(first.frame_size));
  ASSERT_EQ(second.status, FrameStatus::kOk);
  EXPECT_EQ(second.payload, "two");
}

TEST(RecordFormat, EveryFlippedBitIsDetected) {
  std::string frame = Frame("a payload of some length", 9, 1234);
  for (size_t byte = 0; byte < frame.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = frame;
      damaged[byte] = static_cast<char>(damaged[byte] ^ (1 << bit));
      DecodedFrame decoded = DecodeFrame(damaged);
      EXPECT_NE(decoded.status, FrameStatus::kOk) << "byte " << byte << " bit " << bit;
    }
  }
}

TEST(RecordFormat, EveryPrefixIsTruncatedNotCorrupt) {
  std::string frame = Frame("payload", 3, 3);
  for (size_t cut = 1; cut < frame.size(); ++cut) {
    DecodedFrame decoded = DecodeFrame(std::string_view(frame).substr(0, cut));
    EXPECT_EQ(decoded.status, FrameStatus::kTruncated) << "cut at " << cut;
  }
}

TEST(RecordFormat, ZeroBytesAreTheEndOfWrittenData) {
  EXPECT_EQ(DecodeFrame(std::string(kRecordHeaderSize, '\0')).status, FrameStatus::kEnd);
  EXPECT_EQ(DecodeFrame(std::string(5, '\0')).status, FrameStatus::kEnd);
  EXPECT_EQ(DecodeFrame("").status, FrameStatus::kEnd);
}

TEST(RecordFormat, RejectsLengthOverTheLimit) {
  std::string frame = Frame("x", 0, 0);
  PutFixed32(frame.data() + 4, kMaxRecordPayload + 1);
  EXPECT_EQ(DecodeFrame(frame).status, FrameStatus::kCorrupt);
}

TEST(RecordFormat, RejectsEmptyPayloadWithNonZeroHeader) {
  std::string frame = Frame("", 5, 5);
  EXPECT_EQ(DecodeFrame(frame).status, FrameStatus::kCorrupt);
}

}  // namespace
}  // namespace eventlake::log
