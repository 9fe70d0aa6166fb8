// Segment files: names, headers, the sparse index, and the scanner.
#include "log/segment.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include "log/crc32c.h"
#include "log/log_test_util.h"
#include "log/record_format.h"

namespace eventlake::log {
namespace {

using testing::TempDir;

TEST(SegmentFileName, FormatsAndParsesTwentyDigits) {
  EXPECT_EQ(SegmentLogPath("/d", 42), "/d/00000000000000000042.log");
  uint64_t base = 0;
  EXPECT_TRUE(ParseSegmentFileName("00000000000000000042.log", "log", &base));
  EXPECT_EQ(base, 42u);
  EXPECT_FALSE(ParseSegmentFileName("0000000000000000042.log", "log", &base));
  EXPECT_FALSE(ParseSegmentFileName("00000000000000000042.idx", "log", &base));
  EXPECT_FALSE(ParseSegmentFileName("0000000000000000004x.log", "log", &base));
  EXPECT_FALSE(ParseSegmentFileName("99999999999999999999.log", "log", &base));  // > u64
}

TEST(SegmentHeader, RejectsBadMagicAndWrongBase) {
  std::string header = EncodeSegmentHeader(7);
  EXPECT_TRUE(CheckSegmentHeader(header, 7).ok());
  EXPECT_EQ(CheckSegmentHeader(header, 8).code(), StatusCode::kCorruption);
  header[0] = 'X';
  EXPECT_EQ(CheckSegmentHeader(header, 7).code(), StatusCode::kCorruption);
  EXPECT_EQ(CheckSegmentHeader("ELOG", 7).code(), StatusCode::kCorruption);
}

TEST(SegmentIndex, RoundTripsAndFindsPositions) {
  std::vector<IndexEntry> entries{{0, 16, 100}, {10, 5000, 200}, {20, 9000, 300}};
  std::string encoded = EncodeIndex(1000, entries);
  Result<std::vector<IndexEntry>> decoded = DecodeIndex(encoded, 1000, 10000);
  ASSERT_TRUE(decoded.has_value());
  ASSERT_EQ(decoded->size(), 3u);
  EXPECT_EQ((*decoded)[1].position, 5000u);
  EXPECT_EQ(IndexPositionForOffset(*decoded, 1000, 1000), 16u);
  EXPECT_EQ(IndexPositionForOffset(*decoded, 1000, 1015), 5000u);
  EXPECT_EQ(IndexPositionForOffset(*decoded, 1000, 1020), 9000u);
  EXPECT_EQ(IndexPositionForOffset(*decoded, 1000, 5000), 9000u);
  EXPECT_EQ(IndexPositionForTime(*decoded, 50), kSegmentHeaderSize);
  EXPECT_EQ(IndexPositionForTime(*decoded, 100), kSegmentHeaderSize);
  EXPECT_EQ(IndexPositionForTime(*decoded, 250), 5000u);
  EXPECT_EQ(IndexPositionForTime(*decoded, 301), 9000u);
}

TEST(SegmentIndex, RejectsEntriesOutOfOrderOrBounds) {
  EXPECT_FALSE(DecodeIndex(EncodeIndex(0, {{0, 16, 1}, {5, 16, 2}}), 0, 100).has_value());
  EXPECT_FALSE(DecodeIndex(EncodeIndex(0, {{0, 16, 5}, {5, 50, 2}}), 0, 100).has_value());
  EXPECT_FALSE(DecodeIndex(EncodeIndex(0, {{0, 200, 1}}), 0, 100).has_value());
  EXPECT_FALSE(DecodeIndex(EncodeIndex(0, {{0, 16, 1}}), 1, 100).has_value());
  std::string torn = EncodeIndex(0, {{0, 16, 1}});
  torn.pop_back();
  EXPECT_FALSE(DecodeIndex(torn, 0, 100).has_value());
}

// Writes a segment file with records of the given payload sizes.
std::string WriteSegment(const std::string& dir, const std::vector<size_t>& sizes) {
  std::string path = SegmentLogPath(dir, 0);
  std::string contents = EncodeSegmentHeader(0);
  for (size_t i = 0; i < sizes.size(); ++i) {
    std::string payload(sizes[i], static_cast<char>('a' + i % 26));
    std::string header(kRecordHeaderSize, '\0');
    EncodeRecordHeader(crc32c::Value(payload), static_cast<uint32_t>(payload.size()), i,
                       static_cast<int64_t>(i), header.data());
    contents += header + payload;
  }
  EXPECT_TRUE(WriteFileAtomically(path, contents).ok());
  return path;
}

TEST(SegmentScanner, ReadsRecordsLargerThanItsBuffer) {
  TempDir dir;
  std::vector<size_t> sizes{10, 600 * 1024, 3, 2 * 1024 * 1024, 7};
  std::string path = WriteSegment(dir.path(), sizes);
  Result<FileHandle> file = OpenFile(path, O_RDONLY);
  ASSERT_TRUE(file.has_value());
  Result<uint64_t> size = FileSize(file->fd(), path);
  SegmentScanner scanner(file->fd(), path, kSegmentHeaderSize, *size);
  ScannedRecord record;
  for (size_t i = 0; i < sizes.size(); ++i) {
    ASSERT_TRUE(scanner.Next(&record)) << scanner.error();
    EXPECT_EQ(record.offset, i);
    EXPECT_EQ(record.payload.size(), sizes[i]);
    EXPECT_EQ(record.payload.front(), static_cast<char>('a' + i % 26));
  }
  EXPECT_FALSE(scanner.Next(&record));
  EXPECT_EQ(scanner.stop(), SegmentScanner::Stop::kEnd);
}

TEST(SegmentScanner, StopsAtATornRecordAndSaysWhere) {
  TempDir dir;
  std::string path = WriteSegment(dir.path(), {10, 20, 30});
  uint64_t third = kSegmentHeaderSize + 2 * kRecordHeaderSize + 30;
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(third + 10)), 0);
  Result<FileHandle> file = OpenFile(path, O_RDONLY);
  SegmentScanner scanner(file->fd(), path, kSegmentHeaderSize, third + 10);
  ScannedRecord record;
  EXPECT_TRUE(scanner.Next(&record));
  EXPECT_TRUE(scanner.Next(&record));
  EXPECT_FALSE(scanner.Next(&record));
  EXPECT_EQ(scanner.stop(), SegmentScanner::Stop::kTruncated);
  EXPECT_EQ(scanner.position(), third);
}

}  // namespace
}  // namespace eventlake::log
