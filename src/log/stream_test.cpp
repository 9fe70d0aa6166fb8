// Stream: partition choice, quota, retention by age and size, consumer groups.
#include "log/stream.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "log/log_test_util.h"

namespace eventlake::log {
namespace {

using testing::MakeEvent;
using testing::TempDir;

StreamOptions Options(uint32_t partitions = 3) {
  StreamOptions options;
  options.name = "clicks";
  options.partitions = partitions;
  return options;
}

std::unique_ptr<Stream> OpenStream(const std::string& dir, const StreamOptions& options,
                                   Clock* clock = &SystemClock(),
                                   MetricsRegistry* metrics = nullptr) {
  Result<std::unique_ptr<Stream>> stream = Stream::Open(dir, options, clock, metrics);
  EXPECT_TRUE(stream.has_value()) << stream.error().ToString();
  return stream.has_value() ? std::move(*stream) : nullptr;
}

std::vector<RecordPosition> AppendAll(Stream& stream, const std::vector<CloudEvent>& events) {
  std::vector<RecordPosition> positions;
  for (Result<RecordPosition>& r : stream.AppendAndWait(events)) {
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    if (r.has_value()) positions.push_back(*r);
  }
  return positions;
}

TEST(Stream, EventsWithOneKeyShareAPartitionInOrder) {
  TempDir dir;
  auto stream = OpenStream(dir.path(), Options(4));
  std::vector<CloudEvent> events;
  for (int i = 0; i < 40; ++i) {
    events.push_back(MakeEvent(i));
    events.back().SetExtension("partitionkey", std::string("user-") + std::to_string(i % 3));
  }
  std::vector<RecordPosition> positions = AppendAll(*stream, events);
  ASSERT_EQ(positions.size(), 40u);
  for (int i = 3; i < 40; ++i) {
    EXPECT_EQ(positions[i].partition, positions[i - 3].partition);
    EXPECT_GT(positions[i].offset, positions[i - 3].offset);
  }
  EXPECT_EQ(positions[0].partition, stream->PartitionForKey("user-0"));
}

TEST(Stream, KeylessAppendsAreSpreadRoundRobin) {
  TempDir dir;
  auto stream = OpenStream(dir.path(), Options(3));
  for (int i = 0; i < 30; ++i) {
    std::vector<CloudEvent> one{MakeEvent(i)};
    ASSERT_TRUE(stream->AppendAndWait(one)[0].has_value());
  }
  for (uint32_t p = 0; p < 3; ++p) EXPECT_EQ(stream->partition(p).EndOffset(), 10u);
  EXPECT_EQ(stream->Stats().records, 30u);
}

TEST(Stream, KeylessEventsOfOneAppendStayTogetherInOrder) {
  TempDir dir;
  auto stream = OpenStream(dir.path(), Options(3));
  std::vector<CloudEvent> events;
  for (int i = 0; i < 30; ++i) events.push_back(MakeEvent(i));
  for (int round = 0; round < 3; ++round) {
    std::vector<Result<RecordPosition>> positions = stream->AppendAndWait(events);
    ASSERT_EQ(positions.size(), events.size());
    for (size_t i = 0; i < positions.size(); ++i) {
      ASSERT_TRUE(positions[i].has_value());
      EXPECT_EQ(positions[i]->partition, positions[0]->partition);
      EXPECT_EQ(positions[i]->offset, i);
    }
  }
  for (uint32_t p = 0; p < 3; ++p) EXPECT_EQ(stream->partition(p).EndOffset(), 30u);
}

TEST(Stream, AppendsOverTheQuotaAreRefusedWithARetryableStatus) {
  TempDir dir;
  StreamOptions options = Options(1);
  options.quota_bytes = 2000;
  auto stream = OpenStream(dir.path(), options);
  int accepted = 0;
  while (true) {
    std::vector<CloudEvent> one{MakeEvent(accepted, 200)};
    Result<RecordPosition> r = stream->AppendAndWait(one)[0];
    if (!r.has_value()) {
      EXPECT_EQ(r.error().code(), StatusCode::kResourceExhausted);
      EXPECT_TRUE(r.error().IsRetryable());
      break;
    }
    ASSERT_LT(++accepted, 100);
  }
  EXPECT_GE(stream->SizeBytes(), options.quota_bytes);
  EXPECT_EQ(stream->partition(0).EndOffset(), static_cast<uint64_t>(accepted));
}

TEST(Stream, RetentionByAgeDeletesWholeOldSegmentsOnly) {
  TempDir dir;
  ManualClock clock;
  StreamOptions options = Options(1);
  options.segment_max_bytes = 4096;
  options.retention_age = std::chrono::hours(1);
  auto stream = OpenStream(dir.path(), options, &clock);
  std::vector<CloudEvent> events;
  for (int i = 0; i < 50; ++i) AppendAll(*stream, {MakeEvent(i, 200)});
  uint32_t old_segments = stream->partition(0).Stats().segments;
  clock.AdvanceMicros(2 * 3600 * 1'000'000LL);
  for (int i = 50; i < 60; ++i) AppendAll(*stream, {MakeEvent(i, 200)});
  ASSERT_TRUE(stream->Maintain().ok());
  PartitionStats stats = stream->partition(0).Stats();
  EXPECT_LT(stats.segments, old_segments + 1);
  EXPECT_GE(stats.start_offset, 40u);  // every old record is gone but the active segment's
  EXPECT_EQ(stats.end_offset, 60u);
  Result<std::vector<LogRecord>> records = stream->partition(0).Read(0, {});
  ASSERT_TRUE(records.has_value());
  EXPECT_EQ(records->front().offset, stats.start_offset);
}

TEST(Stream, RetentionBySizeDeletesTheOldestSegmentsFirst) {
  TempDir dir;
  StreamOptions options = Options(2);
  options.segment_max_bytes = 4096;
  options.retention_age = std::chrono::milliseconds(0);
  options.retention_bytes = 12 * 1024;
  auto stream = OpenStream(dir.path(), options);
  for (int i = 0; i < 200; ++i) AppendAll(*stream, {MakeEvent(i, 200)});
  uint64_t before = stream->SizeBytes();
  ASSERT_GT(before, options.retention_bytes);
  ASSERT_TRUE(stream->Maintain().ok());
  EXPECT_LE(stream->SizeBytes(), options.retention_bytes);
  for (uint32_t p = 0; p < 2; ++p) {
    EXPECT_GT(stream->partition(p).StartOffset(), 0u);
    EXPECT_EQ(stream->partition(p).EndOffset(), 100u);
  }
}

TEST(Stream, ConsumerGroupsCommitSeekAndSurviveReopen) {
  TempDir dir;
  ManualClock clock;
  auto stream = OpenStream(dir.path(), Options(2), &clock);
  for (int i = 0; i < 10; ++i) {
    AppendAll(*stream, {MakeEvent(i)});
    clock.AdvanceMicros(1000);
  }
  EXPECT_EQ(stream->GroupOffsets("loader").value(), (std::vector<uint64_t>{0, 0}));
  ASSERT_TRUE(stream->CommitGroup("loader", {3, 5}).ok());
  EXPECT_EQ(stream->CommitGroup("loader", {3, 6}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(stream->CommitGroup("loader", {3}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(stream->CommitGroup("../etc", {0, 0}).code(), StatusCode::kInvalidArgument);
  std::vector<GroupStats> groups = stream->Groups().value();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].lag, (std::vector<uint64_t>{2, 0}));

  stream.reset();
  stream = OpenStream(dir.path(), Options(2), &clock);
  EXPECT_EQ(stream->GroupOffsets("loader").value(), (std::vector<uint64_t>{3, 5}));
  ASSERT_TRUE(stream->SeekGroupToOffset("loader", 1).ok());
  EXPECT_EQ(stream->GroupOffsets("loader").value(), (std::vector<uint64_t>{1, 1}));
  ASSERT_TRUE(stream->SeekGroupToOffset("loader", 1000).ok());
  EXPECT_EQ(stream->GroupOffsets("loader").value(), (std::vector<uint64_t>{5, 5}));
  // Events 6.. were appended from start + 6 ms on: 3 per partition.
  ASSERT_TRUE(stream->SeekGroupToTime("loader", ManualClock().NowMicros() + 6000).ok());
  EXPECT_EQ(stream->GroupOffsets("loader").value(), (std::vector<uint64_t>{3, 3}));
}

TEST(Stream, PartitionsGrowButNeverShrink) {
  TempDir dir;
  { auto stream = OpenStream(dir.path(), Options(2)); }
  { auto grown = OpenStream(dir.path(), Options(4)); EXPECT_EQ(grown->partition_count(), 4u); }
  Result<std::unique_ptr<Stream>> shrunk =
      Stream::Open(dir.path(), Options(3), &SystemClock(), nullptr);
  ASSERT_FALSE(shrunk.has_value());
  EXPECT_EQ(shrunk.error().code(), StatusCode::kFailedPrecondition);
}

TEST(Stream, PublishesLagAndSizeMetrics) {
  TempDir dir;
  MetricsRegistry metrics;
  auto stream = OpenStream(dir.path(), Options(1), &SystemClock(), &metrics);
  AppendAll(*stream, {MakeEvent(1), MakeEvent(2), MakeEvent(3)});
  ASSERT_TRUE(stream->CommitGroup("g", {1}).ok());
  std::string text = metrics.RenderPrometheus();
  EXPECT_NE(text.find("eventlake_log_consumer_lag{group=\"g\",partition=\"0\",stream=\"clicks\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("eventlake_log_end_offset{partition=\"0\",stream=\"clicks\"} 3"),
            std::string::npos);
}

}  // namespace
}  // namespace eventlake::log
