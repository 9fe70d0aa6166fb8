// Tests of consumer group offsets files: the documented text format, strict
// decoding (every damaged byte is caught), and the store's file operations.
#include "log/offset_store.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "log/crc32c.h"

namespace eventlake::log {
namespace {

// `body` followed by its correct checksum line, so that a test reaches the
// structural check it is about.
std::string WithCrc(const std::string& body) {
  char hex[9];
  std::snprintf(hex, sizeof(hex), "%08x", crc32c::Value(body));
  return body + "crc32c " + hex + "\n";
}

void ExpectCorruption(const std::string& text, std::string_view message_part) {
  Result<std::vector<uint64_t>> decoded = OffsetStore::Decode(text);
  ASSERT_FALSE(decoded.has_value()) << "decoded text that must be rejected:\n" << text;
  EXPECT_EQ(decoded.error().code(), StatusCode::kCorruption);
  EXPECT_NE(decoded.error().message().find(message_part), std::string::npos)
      << decoded.error().message();
}

TEST(OffsetStoreFormat, EncodesDocumentedExample) {
  // The checksum was computed independently (Python, bitwise CRC32C).
  EXPECT_EQ(OffsetStore::Encode({1234, 0, 77, 9000}),
            "eventlake-offsets 1\npartitions 4\n0 1234\n1 0\n2 77\n3 9000\ncrc32c e087a30f\n");
}

TEST(OffsetStoreFormat, RoundTrips) {
  std::vector<std::vector<uint64_t>> cases = {
      {}, {0}, {1234, 0, 77, 9000}, {std::numeric_limits<uint64_t>::max(), 1, 10}};
  for (const auto& offsets : cases) {
    Result<std::vector<uint64_t>> decoded = OffsetStore::Decode(OffsetStore::Encode(offsets));
    ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
    EXPECT_EQ(*decoded, offsets);
  }
}

TEST(OffsetStoreFormat, RoundTripsLargestAllowedFile) {
  std::vector<uint64_t> offsets(65536, std::numeric_limits<uint64_t>::max());
  Result<std::vector<uint64_t>> decoded = OffsetStore::Decode(OffsetStore::Encode(offsets));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
  EXPECT_EQ(*decoded, offsets);
}

TEST(OffsetStoreFormat, AcceptsMissingFinalNewline) {
  std::string text = OffsetStore::Encode({5, 6});
  text.pop_back();
  Result<std::vector<uint64_t>> decoded = OffsetStore::Decode(text);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
  EXPECT_EQ(*decoded, (std::vector<uint64_t>{5, 6}));
}

TEST(OffsetStoreFormat, DetectsEveryFlippedBit) {
  const std::string text = OffsetStore::Encode({1234, 0, 77, 9000});
  for (size_t i = 0; i < text.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = text;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      Result<std::vector<uint64_t>> decoded = OffsetStore::Decode(damaged);
      ASSERT_FALSE(decoded.has_value()) << "flip of bit " << bit << " of byte " << i;
      EXPECT_EQ(decoded.error().code(), StatusCode::kCorruption);
    }
  }
}

TEST(OffsetStoreFormat, DetectsEveryTruncation) {
  const std::string text = OffsetStore::Encode({1234, 0, 77, 9000});
  for (size_t length = 0; length + 1 < text.size(); ++length) {
    EXPECT_FALSE(OffsetStore::Decode(text.substr(0, length)).has_value()) << length;
  }
}

TEST(OffsetStoreFormat, RejectsChecksumMismatch) {
  std::string text = OffsetStore::Encode({1, 2});
  text[text.find("\n1 2\n") + 3] = '3';
  ExpectCorruption(text, "checksum mismatch");
}

TEST(OffsetStoreFormat, RejectsUpperCaseChecksum) {
  std::string text = OffsetStore::Encode({1, 2, 3});
  for (size_t i = text.find("crc32c ") + 7; i < text.size(); ++i) text[i] = std::toupper(text[i]);
  if (text == OffsetStore::Encode({1, 2, 3})) GTEST_SKIP() << "checksum has no letters";
  ExpectCorruption(text, "lower-case hex");
}

TEST(OffsetStoreFormat, RejectsWrongHeader) {
  ExpectCorruption(WithCrc("eventlake-offset 1\npartitions 0\n"), "line 1");
  ExpectCorruption(WithCrc("eventlake-offsets 2\npartitions 0\n"), "unsupported");
  ExpectCorruption("", "line 1");
}

TEST(OffsetStoreFormat, RejectsSignsAndLeadingZeros) {
  ExpectCorruption(WithCrc("eventlake-offsets 1\npartitions 1\n0 +5\n"), "line 3");
  ExpectCorruption(WithCrc("eventlake-offsets 1\npartitions 1\n0 -5\n"), "line 3");
  ExpectCorruption(WithCrc("eventlake-offsets 1\npartitions 1\n0 05\n"), "line 3");
  ExpectCorruption(WithCrc("eventlake-offsets 1\npartitions +1\n0 5\n"), "line 2");
  ExpectCorruption(WithCrc("eventlake-offsets 1\npartitions 01\n0 5\n"), "line 2");
  ExpectCorruption(WithCrc("eventlake-offsets 1\npartitions 1\n0  5\n"), "line 3");
  ExpectCorruption(WithCrc("eventlake-offsets 1\npartitions 1\n0 5 \n"), "line 3");
}

TEST(OffsetStoreFormat, RejectsOffsetOverflowingU64) {
  ExpectCorruption(WithCrc("eventlake-offsets 1\npartitions 1\n0 18446744073709551616\n"),
                   "not a decimal u64");
}

TEST(OffsetStoreFormat, RejectsPartitionsOutOfOrder) {
  ExpectCorruption(WithCrc("eventlake-offsets 1\npartitions 2\n1 5\n0 5\n"), "expected '0 ");
  ExpectCorruption(WithCrc("eventlake-offsets 1\npartitions 2\n0 5\n0 5\n"), "expected '1 ");
}

TEST(OffsetStoreFormat, RejectsMorePartitionLinesThanCounted) {
  ExpectCorruption(WithCrc("eventlake-offsets 1\npartitions 1\n0 5\n1 5\n"),
                   "line 4: expected 'crc32c");
}

TEST(OffsetStoreFormat, RejectsFewerPartitionLinesThanCounted) {
  ExpectCorruption(WithCrc("eventlake-offsets 1\npartitions 3\n0 5\n1 5\n"), "line 5");
}

TEST(OffsetStoreFormat, RejectsPartitionCountOverLimit) {
  ExpectCorruption(WithCrc("eventlake-offsets 1\npartitions 65537\n"), "exceeds the limit");
}

TEST(OffsetStoreFormat, RejectsCarriageReturns) {
  ExpectCorruption(WithCrc("eventlake-offsets 1\r\npartitions 0\r\n"), "line 1");
}

TEST(OffsetStoreFormat, RejectsTrailingBytes) {
  ExpectCorruption(OffsetStore::Encode({1}) + "\n", "unexpected bytes after the checksum");
  ExpectCorruption(OffsetStore::Encode({1}) + "0 1\n", "unexpected bytes after the checksum");
}

TEST(OffsetStoreFormat, RejectsOversizedText) {
  std::string text = OffsetStore::Encode({1});
  text.resize(3 << 20, '\n');
  ExpectCorruption(text, "exceeds the limit");
}

TEST(ValidateGroupName, AcceptsStreamStyleNames) {
  for (const std::string& name :
       std::vector<std::string>{"a", "billing", "web-clicks_v2.0", "..x", std::string(128, 'z')}) {
    EXPECT_TRUE(ValidateGroupName(name).ok()) << name;
  }
}

TEST(ValidateGroupName, RejectsBadNames) {
  for (const std::string& name :
       std::vector<std::string>{"", ".", "..", "Upper", "has space", "a/b", "../x", "tab\t", "é",
                                std::string(129, 'z'), std::string("nul\0", 4)}) {
    Status status = ValidateGroupName(name);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << name;
  }
}

// ---- the store on disk ----

class OffsetStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::path(::testing::TempDir()) /
            ("offset_store_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    dir_ = (root_ / "log" / "clicks" / "groups").string();
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::filesystem::path root_;
  std::string dir_;
};

TEST_F(OffsetStoreTest, LoadOfGroupThatNeverCommittedIsNullopt) {
  OffsetStore store(dir_);
  Result<std::optional<std::vector<uint64_t>>> loaded = store.Load("reader");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().ToString();
  EXPECT_FALSE(loaded->has_value());
}

TEST_F(OffsetStoreTest, SaveCreatesDirectoryAndLoadReturnsOffsets) {
  OffsetStore store(dir_);
  ASSERT_TRUE(store.Save("reader", {3, 1, 4}).ok());
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/reader.offsets"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/reader.offsets.tmp"));
  Result<std::optional<std::vector<uint64_t>>> loaded = OffsetStore(dir_).Load("reader");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().ToString();
  EXPECT_EQ(*loaded, (std::vector<uint64_t>{3, 1, 4}));
}

TEST_F(OffsetStoreTest, SaveReplacesPreviousOffsets) {
  OffsetStore store(dir_);
  ASSERT_TRUE(store.Save("reader", {3, 1, 4}).ok());
  ASSERT_TRUE(store.Save("reader", {5, 9}).ok());
  Result<std::optional<std::vector<uint64_t>>> loaded = store.Load("reader");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().ToString();
  EXPECT_EQ(*loaded, (std::vector<uint64_t>{5, 9}));
}

TEST_F(OffsetStoreTest, LoadOfDamagedFileIsCorruptionNotReset) {
  OffsetStore store(dir_);
  ASSERT_TRUE(store.Save("reader", {3, 1, 4}).ok());
  std::ofstream(dir_ + "/reader.offsets", std::ios::binary)
      << "eventlake-offsets 1\npartitions 1\n0 7\ncrc32c 00000000\n";
  Result<std::optional<std::vector<uint64_t>>> loaded = store.Load("reader");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code(), StatusCode::kCorruption);
  EXPECT_NE(loaded.error().message().find("reader.offsets"), std::string::npos);
}

TEST_F(OffsetStoreTest, ListReturnsSortedGroupsAndIgnoresOtherFiles) {
  OffsetStore store(dir_);
  for (std::string group : {"b", "a.x", "a", "a-b"}) ASSERT_TRUE(store.Save(group, {1}).ok());
  std::ofstream(dir_ + "/c.offsets.tmp") << "partial";
  std::ofstream(dir_ + "/Bad.offsets") << "not a group";
  std::ofstream(dir_ + "/notes.txt") << "hello";
  Result<std::vector<std::string>> groups = store.List();
  ASSERT_TRUE(groups.has_value()) << groups.error().ToString();
  EXPECT_EQ(*groups, (std::vector<std::string>{"a", "a-b", "a.x", "b"}));
}

TEST_F(OffsetStoreTest, ListOfMissingDirectoryIsEmpty) {
  Result<std::vector<std::string>> groups = OffsetStore(dir_).List();
  ASSERT_TRUE(groups.has_value()) << groups.error().ToString();
  EXPECT_TRUE(groups->empty());
}

TEST_F(OffsetStoreTest, RemoveDeletesCommittedOffsets) {
  OffsetStore store(dir_);
  ASSERT_TRUE(store.Save("reader", {1}).ok());
  ASSERT_TRUE(store.Remove("reader").ok());
  Result<std::optional<std::vector<uint64_t>>> loaded = store.Load("reader");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().ToString();
  EXPECT_FALSE(loaded->has_value());
  EXPECT_EQ(store.Remove("reader").code(), StatusCode::kNotFound);
}

TEST_F(OffsetStoreTest, RejectsBadGroupNamesBeforeTouchingDisk) {
  OffsetStore store(dir_);
  for (std::string group : {"../escape", "", "UPPER"}) {
    EXPECT_EQ(store.Save(group, {1}).code(), StatusCode::kInvalidArgument) << group;
    EXPECT_EQ(store.Load(group).error().code(), StatusCode::kInvalidArgument) << group;
    EXPECT_EQ(store.Remove(group).code(), StatusCode::kInvalidArgument) << group;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_));
}

TEST_F(OffsetStoreTest, RejectsSavingMorePartitionsThanTheFormatAllows) {
  OffsetStore store(dir_);
  EXPECT_EQ(store.Save("reader", std::vector<uint64_t>(65537, 0)).code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace eventlake::log
