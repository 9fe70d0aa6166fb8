// Recovery on open: torn tails, garbage, zeroed space, corrupt sealed
// segments, damaged headers and indexes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "core/file.h"
#include "log/log_test_util.h"
#include "log/partition.h"
#include "log/segment.h"

namespace eventlake::log {
namespace {

namespace fs = std::filesystem;
using testing::MakeEvent;
using testing::TempDir;

StreamOptions Options(uint64_t segment_bytes = 64ull << 20) {
  StreamOptions options;
  options.name = "test";
  options.segment_max_bytes = segment_bytes;
  return options;
}

std::unique_ptr<Partition> Open(const std::string& dir, const StreamOptions& options,
                                MetricsRegistry* metrics = nullptr) {
  Result<std::unique_ptr<Partition>> p =
      Partition::Open(dir, options, {"test", 0, &SystemClock(), metrics, nullptr});
  EXPECT_TRUE(p.has_value()) << p.error().ToString();
  return p.has_value() ? std::move(*p) : nullptr;
}

// Appends events 0..n-1 one record each; returns each record's end position in
// the first segment (valid while it does not roll).
std::vector<uint64_t> Fill(const std::string& dir, const StreamOptions& options, int n) {
  auto partition = Open(dir, options);
  std::vector<uint64_t> ends;
  for (int i = 0; i < n; ++i) {
    CloudEvent event = MakeEvent(i);
    EXPECT_EQ(partition->AppendAndWait(std::span(&event, 1)).value(), static_cast<uint64_t>(i));
    ends.push_back(partition->SizeBytes());
  }
  return ends;
}

void ExpectEvents(const Partition& partition, int n) {
  Result<std::vector<LogRecord>> records = partition.Read(0, {1u << 30, 1ull << 40});
  ASSERT_TRUE(records.has_value()) << records.error().ToString();
  ASSERT_EQ(records->size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) EXPECT_EQ((*records)[i].event, MakeEvent(i));
}

size_t QuarantinedFiles(const std::string& dir) {
  if (!fs::exists(dir + "/quarantine")) return 0;
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir + "/quarantine"), {}));
}

// The base offsets of the partition's segments, in order.
std::vector<uint64_t> SegmentBases(const std::string& dir) {
  std::vector<uint64_t> bases;
  for (const auto& entry : fs::directory_iterator(dir)) {
    uint64_t base = 0;
    if (ParseSegmentFileName(entry.path().filename().string(), "log", &base)) bases.push_back(base);
  }
  std::sort(bases.begin(), bases.end());
  return bases;
}

TEST(Recovery, TornTailCutAtEveryByteOfTheLastRecordIsTruncated) {
  TempDir pristine;
  std::vector<uint64_t> ends = Fill(pristine.path(), Options(), 5);
  std::string name = fs::path(SegmentLogPath(pristine.path(), 0)).filename();
  for (uint64_t cut = ends[3] + 1; cut < ends[4]; ++cut) {
    TempDir dir;
    fs::copy(pristine.path(), dir.path(), fs::copy_options::recursive);
    ASSERT_EQ(::truncate((dir.path() + "/" + name).c_str(), static_cast<off_t>(cut)), 0);
    auto partition = Open(dir.path(), Options());
    ASSERT_NE(partition, nullptr);
    EXPECT_EQ(partition->EndOffset(), 4u) << "cut at " << cut;
    ExpectEvents(*partition, 4);
    EXPECT_EQ(fs::file_size(dir.path() + "/" + name), ends[3]);
    EXPECT_EQ(QuarantinedFiles(dir.path()), 1u) << "the cut bytes are kept";
    CloudEvent next = MakeEvent(4);
    EXPECT_EQ(partition->AppendAndWait(std::span(&next, 1)).value(), 4u);
    ExpectEvents(*partition, 5);
  }
}

TEST(Recovery, GarbageAfterTheLastRecordIsCutAndKept) {
  TempDir dir;
  std::vector<uint64_t> ends = Fill(dir.path(), Options(), 3);
  std::string path = SegmentLogPath(dir.path(), 0);
  std::string contents = ReadFile(path).value() + "this is not a record, not at all";
  ASSERT_TRUE(WriteFileAtomically(path, contents).ok());
  MetricsRegistry metrics;
  auto partition = Open(dir.path(), Options(), &metrics);
  ExpectEvents(*partition, 3);
  EXPECT_EQ(fs::file_size(path), ends[2]);
  EXPECT_EQ(QuarantinedFiles(dir.path()), 1u);
  EXPECT_NE(metrics.RenderPrometheus().find("eventlake_log_truncated_bytes_total{partition=\"0\","
                                            "stream=\"test\"} 32"),
            std::string::npos)
      << metrics.RenderPrometheus();
}

TEST(Recovery, ZeroFilledTailIsCutWithoutQuarantine) {
  TempDir dir;
  std::vector<uint64_t> ends = Fill(dir.path(), Options(), 2);
  std::string path = SegmentLogPath(dir.path(), 0);
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(ends[1] + 4096)), 0);
  auto partition = Open(dir.path(), Options());
  ExpectEvents(*partition, 2);
  EXPECT_EQ(fs::file_size(path), ends[1]);
  EXPECT_EQ(QuarantinedFiles(dir.path()), 0u);
}

TEST(Recovery, ACorruptRecordInTheActiveSegmentCutsFromThere) {
  TempDir dir;
  std::vector<uint64_t> ends = Fill(dir.path(), Options(), 6);
  std::string path = SegmentLogPath(dir.path(), 0);
  std::string contents = ReadFile(path).value();
  contents[ends[2] + 30] ^= 0x40;  // inside record 3's payload
  ASSERT_TRUE(WriteFileAtomically(path, contents).ok());
  auto partition = Open(dir.path(), Options());
  ExpectEvents(*partition, 3);
  EXPECT_EQ(QuarantinedFiles(dir.path()), 1u);
  EXPECT_EQ(fs::file_size(fs::directory_iterator(dir.path() + "/quarantine")->path()),
            contents.size() - ends[2]);
}

TEST(Recovery, ATornSealedSegmentIsQuarantinedAndTheRestStillServes) {
  TempDir dir;
  StreamOptions options = Options(4096);
  Fill(dir.path(), options, 120);
  std::vector<uint64_t> bases = SegmentBases(dir.path());
  ASSERT_GE(bases.size(), 3u);
  // Damage the end of the first sealed segment (its last record).
  std::string victim = SegmentLogPath(dir.path(), bases[0]);
  std::string contents = ReadFile(victim).value();
  contents[contents.size() - 3] ^= 0x01;
  ASSERT_TRUE(WriteFileAtomically(victim, contents).ok());

  MetricsRegistry metrics;
  auto partition = Open(dir.path(), options, &metrics);
  ASSERT_NE(partition, nullptr);
  EXPECT_FALSE(fs::exists(victim));
  EXPECT_TRUE(fs::exists(dir.path() + "/quarantine/" + fs::path(victim).filename().string()));
  EXPECT_EQ(partition->StartOffset(), bases[1]);
  EXPECT_EQ(partition->EndOffset(), 120u);
  Result<std::vector<LogRecord>> records = partition->Read(0, {1000, 1ull << 30});
  ASSERT_TRUE(records.has_value());
  EXPECT_EQ(records->front().offset, bases[1]);
  EXPECT_EQ(records->size(), 120 - bases[1]);
  EXPECT_NE(metrics.RenderPrometheus().find("eventlake_log_quarantined_segments_total{partition="
                                            "\"0\",stream=\"test\"} 1"),
            std::string::npos);
}

TEST(Recovery, ACorruptRecordInsideASealedSegmentFailsTheReadNotTheOpen) {
  TempDir dir;
  StreamOptions options = Options(4096);
  options.index_interval_bytes = 256;  // so that open checks only the segment's end
  Fill(dir.path(), options, 60);
  std::string first = SegmentLogPath(dir.path(), 0);
  std::string contents = ReadFile(first).value();
  contents[kSegmentHeaderSize + 40] ^= 0x01;  // record 0's payload
  ASSERT_TRUE(WriteFileAtomically(first, contents).ok());
  auto partition = Open(dir.path(), options);
  ASSERT_NE(partition, nullptr);
  Result<std::vector<LogRecord>> records = partition->Read(0, {10, 1ull << 30});
  ASSERT_FALSE(records.has_value());
  EXPECT_EQ(records.error().code(), StatusCode::kCorruption);
  EXPECT_NE(records.error().message().find(first), std::string::npos);
}

TEST(Recovery, AMissingOrDamagedIndexIsRebuilt) {
  TempDir dir;
  StreamOptions options = Options(4096);
  options.index_interval_bytes = 256;
  Fill(dir.path(), options, 80);
  std::string index = SegmentIndexPath(dir.path(), 0);
  ASSERT_TRUE(fs::exists(index));
  std::string original = ReadFile(index).value();
  ASSERT_TRUE(RemoveFile(index).ok());
  ASSERT_TRUE(WriteFileAtomically(SegmentIndexPath(dir.path(), 99999), "orphan").ok());
  {
    auto partition = Open(dir.path(), options);
    ExpectEvents(*partition, 80);
  }
  EXPECT_EQ(ReadFile(index).value(), original);
  EXPECT_FALSE(fs::exists(SegmentIndexPath(dir.path(), 99999)));
  std::string damaged = original;
  damaged[kIndexHeaderSize + 4] ^= 0x7f;  // first entry's position
  ASSERT_TRUE(WriteFileAtomically(index, damaged).ok());
  auto partition = Open(dir.path(), options);
  ExpectEvents(*partition, 80);
  EXPECT_EQ(ReadFile(index).value(), original);
}

TEST(Recovery, AMisleadingIndexEntryDoesNotBreakReads) {
  TempDir dir;
  StreamOptions options = Options(4096);
  options.index_interval_bytes = 256;
  Fill(dir.path(), options, 80);
  std::string index = SegmentIndexPath(dir.path(), 0);
  std::string damaged = ReadFile(index).value();
  // Point the third entry a few bytes further into its record: still ordered.
  damaged[kIndexHeaderSize + 2 * kIndexEntrySize + 4] += 3;
  ASSERT_TRUE(WriteFileAtomically(index, damaged).ok());
  auto partition = Open(dir.path(), options);
  ExpectEvents(*partition, 80);
}

TEST(Recovery, ASealedSegmentCutShortKeepsItsRecordsAndCountsTheGap) {
  TempDir dir;
  StreamOptions options = Options(4096);
  options.index_interval_bytes = 256;
  Fill(dir.path(), options, 80);
  std::string first = SegmentLogPath(dir.path(), 0);
  std::string index = ReadFile(SegmentIndexPath(dir.path(), 0)).value();
  // Cut the segment at its last index entry: a record boundary, records lost.
  uint32_t last_entry_position = 0;
  std::memcpy(&last_entry_position, index.data() + index.size() - kIndexEntrySize + 4, 4);
  fs::resize_file(first, last_entry_position);
  MetricsRegistry metrics;
  auto partition = Open(dir.path(), options, &metrics);
  ASSERT_NE(partition, nullptr);
  EXPECT_EQ(partition->StartOffset(), 0u);
  EXPECT_EQ(partition->EndOffset(), 80u);
  EXPECT_NE(metrics.RenderPrometheus().find("eventlake_log_missing_offsets_total{partition=\"0\","
                                            "stream=\"test\"} "),
            std::string::npos);
  EXPECT_EQ(metrics.RenderPrometheus().find("eventlake_log_missing_offsets_total{partition=\"0\","
                                            "stream=\"test\"} 0"),
            std::string::npos);
  Result<std::vector<LogRecord>> records = partition->Read(0, {1000, 1ull << 30});
  ASSERT_TRUE(records.has_value()) << records.error().ToString();
  EXPECT_LT(records->size(), 80u);
  EXPECT_EQ(records->back().offset, 79u);
}

TEST(Recovery, AnActiveSegmentWithATornHeaderStartsAfresh) {
  TempDir dir;
  StreamOptions options = Options(4096);
  Fill(dir.path(), options, 40);
  auto partition = Open(dir.path(), options);
  uint64_t end = partition->EndOffset();
  partition.reset();
  // A crash while creating the next segment left half a header.
  ASSERT_TRUE(WriteFileAtomically(SegmentLogPath(dir.path(), end), "ELOG").ok());
  partition = Open(dir.path(), options);
  ASSERT_NE(partition, nullptr);
  EXPECT_EQ(partition->EndOffset(), end);
  ExpectEvents(*partition, 40);
  CloudEvent next = MakeEvent(40);
  EXPECT_EQ(partition->AppendAndWait(std::span(&next, 1)).value(), end);
}

// The writer fills space ahead of its records with zeros (partition.cpp); a
// crash leaves them in the active segment, and the next open cuts them as
// the unwritten space they are: nothing lost, nothing quarantined, no torn
// bytes counted. Sealed segments were cut to their last record on rolling.
TEST(Recovery, ACrashLeavesZerosAheadThatTheNextOpenCutsWithoutALoss) {
  TempDir dir;
  TempDir crashed;
  StreamOptions options = Options(4096);
  auto partition = Open(dir.path(), options);
  for (int i = 0; i < 60; ++i) {
    CloudEvent event = MakeEvent(i);
    ASSERT_EQ(partition->AppendAndWait(std::span(&event, 1)).value(), static_cast<uint64_t>(i));
  }
  // What a crash leaves: the files as they are while the partition is open.
  fs::copy(dir.path(), crashed.path(), fs::copy_options::recursive);
  std::vector<uint64_t> bases = SegmentBases(crashed.path());
  ASSERT_GE(bases.size(), 3u);
  for (size_t i = 0; i + 1 < bases.size(); ++i) {
    EXPECT_LT(fs::file_size(SegmentLogPath(crashed.path(), bases[i])), 8192u)
        << "sealed segment " << bases[i] << " keeps zeros";
  }
  std::string active = SegmentLogPath(crashed.path(), bases.back());
  uint64_t crashed_size = fs::file_size(active);

  MetricsRegistry metrics;
  auto recovered = Open(crashed.path(), options, &metrics);
  ASSERT_NE(recovered, nullptr);
  EXPECT_LT(fs::file_size(active), crashed_size) << "no zeros were ahead of the records";
  ExpectEvents(*recovered, 60);
  EXPECT_EQ(QuarantinedFiles(crashed.path()), 0u);
  EXPECT_EQ(metrics.RenderPrometheus().find("eventlake_log_truncated_bytes_total{partition=\"0\","
                                            "stream=\"test\"} "),
            metrics.RenderPrometheus().find("eventlake_log_truncated_bytes_total{partition=\"0\","
                                            "stream=\"test\"} 0\n"))
      << metrics.RenderPrometheus();
  CloudEvent next = MakeEvent(60);
  EXPECT_EQ(recovered->AppendAndWait(std::span(&next, 1)).value(), 60u);
  ExpectEvents(*recovered, 61);
}

}  // namespace
}  // namespace eventlake::log
