// Partition: appends, group commit, reads by offset and time, rolling,
// durability modes and the failure rule.
#include "log/partition.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "core/file.h"
#include "log/log_test_util.h"
#include "log/segment.h"

namespace eventlake::log {
namespace {

using testing::MakeEvent;
using testing::TempDir;

StreamOptions Options() {
  StreamOptions options;
  options.name = "test";
  return options;
}

std::unique_ptr<Partition> OpenPartition(const std::string& dir, const StreamOptions& options,
                                         Clock* clock = &SystemClock()) {
  PartitionContext context{"test", 0, clock, nullptr, nullptr};
  Result<std::unique_ptr<Partition>> partition = Partition::Open(dir, options, context);
  EXPECT_TRUE(partition.has_value()) << partition.error().ToString();
  return std::move(*partition);
}

std::vector<LogRecord> ReadAll(const Partition& partition, uint64_t from = 0) {
  Result<std::vector<LogRecord>> records = partition.Read(from, {1u << 30, 1ull << 40});
  EXPECT_TRUE(records.has_value()) << records.error().ToString();
  return records.value_or(std::vector<LogRecord>{});
}

TEST(Partition, AssignsContiguousOffsetsAndReadsEventsBackIntact) {
  TempDir dir;
  auto partition = OpenPartition(dir.path(), Options());
  std::vector<CloudEvent> events{MakeEvent(0), MakeEvent(1), MakeEvent(2)};
  ASSERT_EQ(partition->AppendAndWait(events).value(), 0u);
  ASSERT_EQ(partition->AppendAndWait(std::span(events).subspan(0, 1)).value(), 3u);
  std::vector<LogRecord> records = ReadAll(*partition);
  ASSERT_EQ(records.size(), 4u);
  for (uint64_t i = 0; i < 4; ++i) EXPECT_EQ(records[i].offset, i);
  EXPECT_EQ(records[1].event, events[1]);
  EXPECT_EQ(records[3].event, events[0]);
  EXPECT_EQ(partition->EndOffset(), 4u);
}

TEST(Partition, ReadHonoursLimitsButReturnsAtLeastOneRecord) {
  TempDir dir;
  auto partition = OpenPartition(dir.path(), Options());
  std::vector<CloudEvent> events;
  for (int i = 0; i < 10; ++i) events.push_back(MakeEvent(i, 1000));
  ASSERT_TRUE(partition->AppendAndWait(events).has_value());
  EXPECT_EQ(partition->Read(2, {3, 1ull << 30})->size(), 3u);
  EXPECT_EQ(partition->Read(2, {100, 1})->size(), 1u);
  EXPECT_EQ(partition->Read(2, {100, 2500})->size(), 2u);
  EXPECT_TRUE(partition->Read(10, {})->empty());
  EXPECT_TRUE(partition->Read(99, {})->empty());
}

TEST(Partition, ConcurrentAppendersEachGetTheirOwnOffsets) {
  TempDir dir;
  auto partition = OpenPartition(dir.path(), Options());
  constexpr int kThreads = 8, kPerThread = 300;
  std::vector<std::vector<uint64_t>> offsets(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        CloudEvent event = MakeEvent(t * kPerThread + i);
        Result<uint64_t> offset = partition->AppendAndWait(std::span(&event, 1));
        ASSERT_TRUE(offset.has_value());
        offsets[t].push_back(*offset);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<uint64_t> all;
  for (const auto& per_thread : offsets) all.insert(per_thread.begin(), per_thread.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  std::vector<LogRecord> records = ReadAll(*partition);
  ASSERT_EQ(records.size(), static_cast<size_t>(kThreads * kPerThread));
  for (int t = 0; t < kThreads; ++t) {  // each appender's events are in its own order
    for (int i = 0; i < kPerThread; ++i) {
      EXPECT_EQ(records[offsets[t][i]].event.id, "event-" + std::to_string(t * kPerThread + i));
    }
  }
}

TEST(Partition, RollsSegmentsBySizeAndReadsAcrossThem) {
  TempDir dir;
  StreamOptions options = Options();
  options.segment_max_bytes = 4096;
  auto partition = OpenPartition(dir.path(), options);
  for (int i = 0; i < 100; ++i) {
    CloudEvent event = MakeEvent(i, 200);
    ASSERT_TRUE(partition->AppendAndWait(std::span(&event, 1)).has_value());
  }
  EXPECT_GT(partition->Stats().segments, 5u);
  std::vector<LogRecord> records = ReadAll(*partition, 17);
  ASSERT_EQ(records.size(), 83u);
  EXPECT_EQ(records.front().event.id, "event-17");
  EXPECT_EQ(records.back().event.id, "event-99");
  partition.reset();
  auto reopened = OpenPartition(dir.path(), options);
  EXPECT_EQ(reopened->EndOffset(), 100u);
  EXPECT_EQ(ReadAll(*reopened).size(), 100u);
}

TEST(Partition, RollsAnOldSegmentOnTick) {
  TempDir dir;
  ManualClock clock;
  StreamOptions options = Options();
  options.segment_max_age = std::chrono::minutes(5);
  auto partition = OpenPartition(dir.path(), options, &clock);
  CloudEvent event = MakeEvent(1);
  ASSERT_TRUE(partition->AppendAndWait(std::span(&event, 1)).has_value());
  ASSERT_TRUE(partition->Tick().ok());
  ASSERT_TRUE(partition->AppendAndWait(std::span(&event, 1)).has_value());
  EXPECT_EQ(partition->Stats().segments, 1u);
  clock.AdvanceMicros(6 * 60 * 1'000'000LL);
  ASSERT_TRUE(partition->AppendAndWait(std::span(&event, 1)).has_value());
  EXPECT_EQ(partition->Stats().segments, 2u);  // rolled before the write
}

TEST(Partition, FindsOffsetsByAppendTime) {
  TempDir dir;
  ManualClock clock(1'000'000);
  StreamOptions options = Options();
  options.index_interval_bytes = 64;
  options.segment_max_bytes = 8192;
  auto partition = OpenPartition(dir.path(), options, &clock);
  for (int i = 0; i < 200; ++i) {
    CloudEvent event = MakeEvent(i);
    ASSERT_TRUE(partition->AppendAndWait(std::span(&event, 1)).has_value());
    clock.AdvanceMicros(10);
  }
  EXPECT_EQ(partition->OffsetForTime(0).value(), 0u);
  EXPECT_EQ(partition->OffsetForTime(1'000'000).value(), 0u);
  EXPECT_EQ(partition->OffsetForTime(1'000'001).value(), 1u);
  EXPECT_EQ(partition->OffsetForTime(1'000'000 + 1500).value(), 150u);
  EXPECT_EQ(partition->OffsetForTime(1'000'000 + 1995).value(), 200u);  // == end
}

TEST(Partition, AppendTimesNeverGoBackwards) {
  TempDir dir;
  ManualClock clock(5'000'000);
  auto partition = OpenPartition(dir.path(), Options(), &clock);
  CloudEvent event = MakeEvent(1);
  ASSERT_TRUE(partition->AppendAndWait(std::span(&event, 1)).has_value());
  clock.SetNowMicros(1'000'000);  // the wall clock jumps back
  ASSERT_TRUE(partition->AppendAndWait(std::span(&event, 1)).has_value());
  std::vector<LogRecord> records = ReadAll(*partition);
  EXPECT_EQ(records[1].append_time, records[0].append_time);
}

TEST(Partition, WaitForOffsetWakesOnAppend) {
  TempDir dir;
  auto partition = OpenPartition(dir.path(), Options());
  EXPECT_FALSE(partition->WaitForOffset(0, std::chrono::milliseconds(1)));
  std::thread appender([&] {
    CloudEvent event = MakeEvent(1);
    (void)partition->AppendAndWait(std::span(&event, 1));
  });
  EXPECT_TRUE(partition->WaitForOffset(0, std::chrono::minutes(1)));
  appender.join();
}

TEST(Partition, RejectsAnEventOverTheRecordLimit) {
  TempDir dir;
  auto partition = OpenPartition(dir.path(), Options());
  CloudEvent huge = MakeEvent(1);
  huge.data.assign(17u << 20, 'x');
  Result<uint64_t> result = partition->AppendAndWait(std::span(&huge, 1));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(partition->EndOffset(), 0u);
}

TEST(Partition, EveryDurabilityModeAcknowledgesReadableRecords) {
  for (Durability durability : {Durability::kFsync, Durability::kInterval, Durability::kNone}) {
    TempDir dir;
    StreamOptions options = Options();
    options.durability = durability;
    options.fsync_interval = std::chrono::milliseconds(5);
    {
      auto partition = OpenPartition(dir.path(), options);
      std::vector<CloudEvent> events{MakeEvent(1), MakeEvent(2)};
      ASSERT_TRUE(partition->AppendAndWait(events).has_value());
      EXPECT_EQ(ReadAll(*partition).size(), 2u);
    }
    EXPECT_EQ(ReadAll(*OpenPartition(dir.path(), options)).size(), 2u);
  }
}

// The writer fills space ahead of its records with zeros, so that most
// fdatasyncs need no journal commit (partition.cpp); a closed segment ends at
// its last record again. With durability none nothing is synced, so nothing
// is filled.
TEST(Partition, ZerosAheadOfTheRecordsAreCutOnClose) {
  for (Durability durability : {Durability::kFsync, Durability::kNone}) {
    TempDir dir;
    StreamOptions options = Options();
    options.durability = durability;
    std::string path = SegmentLogPath(dir.path(), 0);
    auto partition = OpenPartition(dir.path(), options);
    std::vector<CloudEvent> events{MakeEvent(1), MakeEvent(2)};
    ASSERT_TRUE(partition->AppendAndWait(events).has_value());
    uint64_t records_end = partition->SizeBytes();
    if (durability == Durability::kNone) {
      EXPECT_EQ(std::filesystem::file_size(path), records_end);
    } else {
      EXPECT_GT(std::filesystem::file_size(path), records_end);
    }
    partition.reset();
    EXPECT_EQ(std::filesystem::file_size(path), records_end);
    EXPECT_EQ(ReadAll(*OpenPartition(dir.path(), options)).size(), 2u);
  }
}

TEST(Partition, AFailedFsyncStopsWritesAndIsNeverAcknowledged) {
  TempDir dir;
  std::atomic<bool> fail{false};
  PartitionContext context{"test", 0, &SystemClock(), nullptr, nullptr};
  context.before_sync = [&fail](const std::string&) {
    return fail ? IOError("injected: fdatasync failed (EIO)") : Status::Ok();
  };
  auto partition = Partition::Open(dir.path(), Options(), context).value();
  CloudEvent event = MakeEvent(1);
  ASSERT_TRUE(partition->AppendAndWait(std::span(&event, 1)).has_value());
  fail = true;
  Result<uint64_t> failed = partition->AppendAndWait(std::span(&event, 1));
  ASSERT_FALSE(failed.has_value());
  EXPECT_NE(failed.error().message().find("EIO"), std::string::npos);
  fail = false;  // even when the disk "recovers", the partition does not retry
  Result<uint64_t> refused = partition->AppendAndWait(std::span(&event, 1));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(partition->Stats().health.ok());
  EXPECT_EQ(partition->EndOffset(), 1u);  // the unsynced record was never made visible
  partition.reset();
  auto reopened = OpenPartition(dir.path(), Options());  // a restart recovers
  EXPECT_TRUE(reopened->AppendAndWait(std::span(&event, 1)).has_value());
}

}  // namespace
}  // namespace eventlake::log
