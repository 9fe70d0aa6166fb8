// Log: streams found on open, created, reconfigured; and the offline checker.
#include "log/log.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/file.h"
#include "log/log_check.h"
#include "log/log_test_util.h"
#include "log/segment.h"

namespace eventlake::log {
namespace {

namespace fs = std::filesystem;
using testing::MakeEvent;
using testing::TempDir;

StreamOptions Options(std::string name, uint32_t partitions = 2) {
  StreamOptions options;
  options.name = std::move(name);
  options.partitions = partitions;
  return options;
}

std::unique_ptr<Log> OpenLog(const std::string& dir) {
  Result<std::unique_ptr<Log>> log = Log::Open({dir + "/log"});
  EXPECT_TRUE(log.has_value()) << log.error().ToString();
  return log.has_value() ? std::move(*log) : nullptr;
}

TEST(Log, FindsItsStreamsAgainAfterReopen) {
  TempDir dir;
  {
    auto log = OpenLog(dir.path());
    ASSERT_TRUE(log->CreateStream(Options("b")).has_value());
    Stream* a = log->CreateStream(Options("a", 3)).value();
    std::vector<CloudEvent> events{MakeEvent(1)};
    ASSERT_TRUE(a->AppendAndWait(events)[0].has_value());
  }
  auto log = OpenLog(dir.path());
  std::vector<Stream*> streams = log->Streams();
  ASSERT_EQ(streams.size(), 2u);
  EXPECT_EQ(streams[0]->name(), "a");
  EXPECT_EQ(streams[0]->partition_count(), 3u);
  EXPECT_EQ(streams[0]->Stats().records, 1u);
  EXPECT_EQ(log->FindStream("nope"), nullptr);
}

TEST(Log, RefusesDuplicateAndBadlyNamedStreams) {
  TempDir dir;
  auto log = OpenLog(dir.path());
  ASSERT_TRUE(log->CreateStream(Options("clicks")).has_value());
  EXPECT_EQ(log->CreateStream(Options("clicks")).error().code(), StatusCode::kAlreadyExists);
  for (std::string bad : std::vector<std::string>{"", "..", "Upper", "a/b", "sp ace", std::string(200, 'x')}) {
    EXPECT_EQ(log->CreateStream(Options(bad)).error().code(), StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(Log, EnsureStreamAppliesGrownOptionsAndRefusesShrinking) {
  TempDir dir;
  auto log = OpenLog(dir.path());
  ASSERT_TRUE(log->EnsureStream(Options("events", 2)).has_value());
  Stream* grown = log->EnsureStream(Options("events", 4)).value();
  EXPECT_EQ(grown->partition_count(), 4u);
  Result<Stream*> shrunk = log->EnsureStream(Options("events", 1));
  ASSERT_FALSE(shrunk.has_value());
  EXPECT_EQ(shrunk.error().code(), StatusCode::kFailedPrecondition);
  ASSERT_NE(log->FindStream("events"), nullptr);  // still there, as it was
  EXPECT_EQ(log->FindStream("events")->partition_count(), 4u);
}

TEST(LogCheck, PassesAHealthyLogAndCountsIt) {
  TempDir dir;
  {
    auto log = OpenLog(dir.path());
    StreamOptions options = Options("events", 2);
    options.segment_max_bytes = 4096;
    Stream* stream = log->CreateStream(options).value();
    for (int i = 0; i < 100; ++i) {
      std::vector<CloudEvent> one{MakeEvent(i, 100)};
      ASSERT_TRUE(stream->AppendAndWait(one)[0].has_value());
    }
    ASSERT_TRUE(stream->CommitGroup("g", {1, 2}).ok());
  }
  LogCheckReport report = CheckLog(dir.path() + "/log").value();
  EXPECT_TRUE(report.ok()) << report.problems.front();
  EXPECT_EQ(report.streams, 1u);
  EXPECT_EQ(report.partitions, 2u);
  EXPECT_EQ(report.records, 100u);
  EXPECT_GT(report.segments, 2u);
}

TEST(LogCheck, ReportsAFlippedByteWithItsFile) {
  TempDir dir;
  {
    auto log = OpenLog(dir.path());
    Stream* stream = log->CreateStream(Options("events", 1)).value();
    std::vector<CloudEvent> events{MakeEvent(1), MakeEvent(2), MakeEvent(3)};
    ASSERT_TRUE(stream->AppendAndWait(events)[0].has_value());
  }
  std::string segment = SegmentLogPath(dir.path() + "/log/events/0", 0);
  std::string contents = ReadFile(segment).value();
  contents[kSegmentHeaderSize + 50] ^= 0x10;
  ASSERT_TRUE(WriteFileAtomically(segment, contents).ok());
  LogCheckReport report = CheckLog(dir.path() + "/log").value();
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.problems[0].find(segment), std::string::npos) << report.problems[0];
}

TEST(LogCheck, CallsATornTailANoteNotAProblem) {
  TempDir dir;
  {
    auto log = OpenLog(dir.path());
    Stream* stream = log->CreateStream(Options("events", 1)).value();
    std::vector<CloudEvent> events{MakeEvent(1), MakeEvent(2)};
    ASSERT_TRUE(stream->AppendAndWait(events)[0].has_value());
  }
  std::string segment = SegmentLogPath(dir.path() + "/log/events/0", 0);
  fs::resize_file(segment, fs::file_size(segment) - 5);
  LogCheckReport report = CheckLog(dir.path() + "/log").value();
  EXPECT_TRUE(report.ok());
  ASSERT_EQ(report.notes.size(), 1u);
  EXPECT_EQ(report.records, 1u);
}

TEST(LogCheck, ReportsOffsetsMissingBetweenSegments) {
  TempDir dir;
  StreamOptions options = Options("events", 1);
  options.segment_max_bytes = 4096;
  {
    auto log = OpenLog(dir.path());
    Stream* stream = log->CreateStream(options).value();
    for (int i = 0; i < 60; ++i) {
      std::vector<CloudEvent> one{MakeEvent(i, 100)};
      ASSERT_TRUE(stream->AppendAndWait(one)[0].has_value());
    }
  }
  // Cut the first segment back to its header: its records are gone, and no
  // quarantined file explains the gap.
  fs::resize_file(SegmentLogPath(dir.path() + "/log/events/0", 0), kSegmentHeaderSize);
  fs::remove(SegmentIndexPath(dir.path() + "/log/events/0", 0));
  LogCheckReport report = CheckLog(dir.path() + "/log").value();
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.problems[0].find("are missing before this segment"), std::string::npos)
      << report.problems[0];
}

TEST(LogCheck, ReportsACorruptOffsetsFile) {
  TempDir dir;
  {
    auto log = OpenLog(dir.path());
    Stream* stream = log->CreateStream(Options("events", 1)).value();
    ASSERT_TRUE(stream->CommitGroup("g", {0}).ok());
  }
  std::string path = dir.path() + "/log/events/groups/g.offsets";
  std::string text = ReadFile(path).value();
  text[text.find("0 0") + 2] = '7';
  ASSERT_TRUE(WriteFileAtomically(path, text).ok());
  LogCheckReport report = CheckLog(dir.path() + "/log").value();
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.problems[0].find("g.offsets"), std::string::npos);
}

}  // namespace
}  // namespace eventlake::log
