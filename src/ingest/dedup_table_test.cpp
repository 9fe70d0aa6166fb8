// The parts under the dedup window: the SipHash key, the ring-plus-index
// table (against a std::map model) and the journal file format.
#include "ingest/dedup_table.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>

#include "core/file.h"
#include "ingest/dedup_journal.h"
#include "ingest/dedup_key.h"
#include "log/log_test_util.h"

namespace eventlake::ingest {
namespace {

using log::testing::TempDir;

const HashSecret kReferenceSecret{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};

DedupKey KeyFromBytes(std::initializer_list<uint8_t> bytes) {
  uint8_t b[16];
  std::copy(bytes.begin(), bytes.end(), b);
  DedupKey k;
  std::memcpy(&k.w0, b, 8);
  std::memcpy(&k.w1, b + 8, 8);
  return k;
}

std::string Counting(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i));
  return s;
}

TEST(DedupKey, SipHashMatchesReferenceVectors) {
  EXPECT_EQ(SipHash24x128(kReferenceSecret, Counting(0)),
            KeyFromBytes({0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25, 0xa8, 0xe6, 0x6d, 0xf6, 0x72, 0x14,
                          0xc7, 0x55, 0x02, 0x93}));
  EXPECT_EQ(SipHash24x128(kReferenceSecret, Counting(1)),
            KeyFromBytes({0xda, 0x87, 0xc1, 0xd8, 0x6b, 0x99, 0xaf, 0x44, 0x34, 0x76, 0x59, 0x11,
                          0x9b, 0x22, 0xfc, 0x45}));
  EXPECT_EQ(SipHash24x128(kReferenceSecret, Counting(15)),
            KeyFromBytes({0x54, 0x93, 0xe9, 0x99, 0x33, 0xb0, 0xa8, 0x11, 0x7e, 0x08, 0xec, 0x0f,
                          0x97, 0xcf, 0xc3, 0xd9}));
}

TEST(DedupKey, PiecewiseInputEqualsConcatenation) {
  const HashSecret secret{11, 22};
  for (size_t s = 0; s < 20; ++s) {
    for (size_t i = 0; i < 20; ++i) {
      std::string source(s, 's'), id(i, 'i');
      std::string whole = std::string({static_cast<char>(s), 0, 0, 0}) + source + id;
      ASSERT_EQ(MakeDedupKey(secret, source, id), SipHash13x128(secret, whole)) << s << " " << i;
    }
  }
}

TEST(DedupKey, SourceIdBoundaryAndSecretMatter) {
  const HashSecret a{1, 2}, b{1, 3};
  EXPECT_NE(MakeDedupKey(a, "ab", "c"), MakeDedupKey(a, "a", "bc"));
  EXPECT_NE(MakeDedupKey(a, "src", "id"), MakeDedupKey(b, "src", "id"));
  EXPECT_EQ(MakeDedupKey(a, "src", "id"), MakeDedupKey(a, "src", "id"));
  Result<HashSecret> s1 = NewHashSecret(), s2 = NewHashSecret();
  ASSERT_TRUE(s1.has_value() && s2.has_value());
  EXPECT_NE(*s1, *s2);
}

DedupEntry Entry(uint64_t n, TimestampMicros time = 0) {
  return {MakeDedupKey({5, 6}, "s", std::to_string(n)), {static_cast<uint32_t>(n % 3), n}, time};
}

// Random inserts, expiries and evictions against a model; catches index
// corruption by backward-shift deletion and by growth.
TEST(DedupTable, AgreesWithModelUnderChurn) {
  const size_t kMax = 700;
  DedupTable table(kMax);
  std::map<uint64_t, TimestampMicros> model;  // n -> time, for live entries
  std::mt19937_64 rng(42);
  TimestampMicros now = 0;
  for (uint64_t step = 0; step < 20000; ++step) {
    now += 1;
    uint64_t n = rng() % 3000;
    size_t evicted = 0;
    bool inserted = table.Insert(Entry(n, now), &evicted);
    EXPECT_EQ(inserted, !model.contains(n));
    if (inserted) {
      while (model.size() >= kMax) {
        auto oldest = std::min_element(model.begin(), model.end(),
                                       [](auto& a, auto& b) { return a.second < b.second; });
        model.erase(oldest);
        --evicted;
      }
      model[n] = now;
    }
    ASSERT_EQ(evicted, 0u) << "evicted what the model did not at step " << step;
    if (step % 997 == 0) {
      const TimestampMicros cutoff = now - 300;
      table.ExpireBefore(cutoff);
      std::erase_if(model, [&](auto& kv) { return kv.second < cutoff; });
    }
    ASSERT_EQ(table.size(), model.size());
  }
  for (uint64_t n = 0; n < 3000; ++n) {
    const DedupEntry* e = table.Find(Entry(n).key);
    ASSERT_EQ(e != nullptr, model.contains(n)) << n;
    if (e != nullptr) {
      EXPECT_EQ(e->position, Entry(n).position);
    }
  }
}

TEST(DedupTable, KeepsFirstEntryOfAKey) {
  DedupTable table(10);
  DedupEntry first = Entry(1, 100), second = Entry(1, 200);
  second.position.offset = 99;
  EXPECT_TRUE(table.Insert(first, nullptr));
  EXPECT_FALSE(table.Insert(second, nullptr));
  EXPECT_EQ(table.Find(first.key)->position, first.position);
}

TEST(DedupTable, ForEachVisitsOldestFirst) {
  DedupTable table(3);
  for (uint64_t n = 0; n < 5; ++n) EXPECT_TRUE(table.Insert(Entry(n, n), nullptr));
  std::vector<uint64_t> offsets;
  table.ForEach([&](const DedupEntry& e) { offsets.push_back(e.position.offset); });
  EXPECT_EQ(offsets, (std::vector<uint64_t>{2, 3, 4}));
}

TEST(DedupJournal, MissingFileIsCreatedWithNewSecret) {
  TempDir dir;
  JournalContents contents;
  auto journal = DedupJournal::Open(dir.path() + "/s.journal", 1, &contents);
  ASSERT_TRUE(journal.has_value()) << journal.error().ToString();
  EXPECT_TRUE(contents.created);
  EXPECT_FALSE(contents.safe_time.has_value());
  EXPECT_EQ(*FileSize(OpenFile(dir.path() + "/s.journal", O_RDONLY)->fd(), ""), 32u);
}

TEST(DedupJournal, EntriesAndLastCheckpointSurviveReopen) {
  TempDir dir;
  const std::string path = dir.path() + "/s.journal";
  JournalContents contents;
  HashSecret secret;
  {
    auto journal = DedupJournal::Open(path, 1, &contents);
    ASSERT_TRUE(journal.has_value());
    secret = (*journal)->secret();
    std::vector<DedupEntry> a = {Entry(1, 10), Entry(2, 20)}, b = {Entry(3, 30)};
    ASSERT_TRUE((*journal)->Append(a, 15).ok());
    ASSERT_TRUE((*journal)->Append(b, 25).ok());
  }
  auto journal = DedupJournal::Open(path, 2, &contents);
  ASSERT_TRUE(journal.has_value());
  EXPECT_FALSE(contents.created);
  EXPECT_EQ((*journal)->secret(), secret);
  ASSERT_EQ(contents.entries.size(), 3u);
  EXPECT_EQ(contents.entries[2].key, Entry(3).key);
  EXPECT_EQ(contents.entries[2].position, Entry(3).position);
  EXPECT_EQ(contents.entries[2].time, 30);
  EXPECT_EQ(contents.safe_time, 25);
  EXPECT_EQ((*journal)->frames(), 5u);
}

TEST(DedupJournal, TornTailIsCutAndLaterAppendsAreReadable) {
  TempDir dir;
  const std::string path = dir.path() + "/s.journal";
  JournalContents contents;
  {
    auto journal = DedupJournal::Open(path, 1, &contents);
    std::vector<DedupEntry> a = {Entry(1, 10)};
    ASSERT_TRUE((*journal)->Append(a, 15).ok());
  }
  // Half a frame, then a frame of garbage: what a crash mid-write can leave.
  std::string tail(24, '\x7f');
  tail += std::string(48, '\x01');
  {
    auto f = OpenFile(path, O_WRONLY | O_APPEND);
    ASSERT_TRUE(WriteAll(f->fd(), tail, path).ok());
  }
  {
    auto journal = DedupJournal::Open(path, 2, &contents);
    ASSERT_TRUE(journal.has_value());
    EXPECT_EQ(contents.torn_bytes, tail.size());
    EXPECT_EQ(contents.entries.size(), 1u);
    std::vector<DedupEntry> b = {Entry(2, 20)};
    ASSERT_TRUE((*journal)->Append(b, 25).ok());
  }
  auto journal = DedupJournal::Open(path, 3, &contents);
  EXPECT_EQ(contents.torn_bytes, 0u);
  ASSERT_EQ(contents.entries.size(), 2u);
  EXPECT_EQ(contents.safe_time, 25);
}

TEST(DedupJournal, ZeroFilledTailEndsTheData) {
  TempDir dir;
  const std::string path = dir.path() + "/s.journal";
  JournalContents contents;
  {
    auto journal = DedupJournal::Open(path, 1, &contents);
    std::vector<DedupEntry> a = {Entry(1, 10)};
    ASSERT_TRUE((*journal)->Append(a, 15).ok());
  }
  std::string zeros(5 * kJournalFrameSize, '\0');
  ASSERT_TRUE(WriteAll(OpenFile(path, O_WRONLY | O_APPEND)->fd(), zeros, path).ok());
  auto journal = DedupJournal::Open(path, 2, &contents);
  ASSERT_TRUE(journal.has_value());
  EXPECT_EQ(contents.entries.size(), 1u);
  EXPECT_EQ(contents.torn_bytes, zeros.size());
}

TEST(DedupJournal, BadHeaderIsSetAsideAndReplaced) {
  TempDir dir;
  const std::string path = dir.path() + "/s.journal";
  ASSERT_TRUE(WriteFileAtomically(path, "not a journal at all, but long enough").ok());
  JournalContents contents;
  auto journal = DedupJournal::Open(path, 1234, &contents);
  ASSERT_TRUE(journal.has_value()) << journal.error().ToString();
  EXPECT_TRUE(contents.created);
  EXPECT_TRUE(PathExists(path + ".corrupt-1234"));
}

TEST(DedupJournal, RewriteKeepsSecretAndOnlyWhatWasAdded) {
  TempDir dir;
  const std::string path = dir.path() + "/s.journal";
  JournalContents contents;
  auto journal = DedupJournal::Open(path, 1, &contents);
  const HashSecret secret = (*journal)->secret();
  std::vector<DedupEntry> many;
  for (uint64_t n = 0; n < 100; ++n) many.push_back(Entry(n, n));
  ASSERT_TRUE((*journal)->Append(many, 50).ok());
  auto rewriter = (*journal)->StartRewrite();
  ASSERT_TRUE(rewriter.has_value());
  std::vector<DedupEntry> live = {Entry(98, 98), Entry(99, 99)};
  ASSERT_TRUE(rewriter->Add(live).ok());
  ASSERT_TRUE(rewriter->Finish(77).ok());
  EXPECT_EQ((*journal)->frames(), 3u);
  std::vector<DedupEntry> more = {Entry(100, 100)};
  ASSERT_TRUE((*journal)->Append(more, 88).ok());  // appends go to the new file
  journal->reset();
  auto reopened = DedupJournal::Open(path, 2, &contents);
  EXPECT_EQ((*reopened)->secret(), secret);
  ASSERT_EQ(contents.entries.size(), 3u);
  EXPECT_EQ(contents.entries[0].key, Entry(98).key);
  EXPECT_EQ(contents.entries[2].key, Entry(100).key);
  EXPECT_EQ(contents.safe_time, 88);
  EXPECT_FALSE(PathExists(path + ".tmp"));
}

}  // namespace
}  // namespace eventlake::ingest
