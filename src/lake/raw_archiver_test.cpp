#include "lake/raw_archiver.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <filesystem>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "lake/local_object_store.h"

namespace eventlake::lake {
namespace {

constexpr int64_t kHour = 3'600'000'000;
constexpr int64_t kStart = 1'764'633'600'000'000 + 23 * kHour + 59 * 60'000'000LL;  // 23:59 UTC

class RawArchiverTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::TempDir() + "/raw-" +
            testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(root_);
    clock_.SetNowMicros(kStart);
    store_ = std::move(LocalObjectStore::Open(root_ + "/lake").value());
    stream_ = std::move(log::Stream::Open(root_ + "/log/events",
                                          {.name = "events", .partitions = 2,
                                           .durability = log::Durability::kNone},
                                          &clock_, nullptr)
                            .value());
  }

  std::unique_ptr<RawArchiver> Open() {
    return std::move(RawArchiver::Create({.name = "events", .stream = stream_.get(),
                                          .store = store_.get(), .clock = &clock_})
                         .value());
  }

  void Send(int from, int to) {
    std::vector<CloudEvent> events;
    for (int i = from; i < to; ++i) {
      CloudEvent e;
      e.id = "e" + std::to_string(i);
      e.source = "/t";
      e.type = "t";
      e.data = R"({"n":)" + std::to_string(i) + "}";
      e.data_content_type = "application/json";
      events.push_back(std::move(e));
    }
    for (const auto& r : stream_->AppendAndWait(events)) ASSERT_TRUE(r.has_value());
  }

  // id -> how often it is in the raw files, and the files' keys.
  std::map<std::string, int> Archived(std::vector<std::string>* keys = nullptr) {
    std::map<std::string, int> ids;
    auto files = store_->List("raw/events/");
    EXPECT_TRUE(files.has_value());
    for (const ObjectInfo& f : *files) {
      if (keys != nullptr) keys->push_back(f.key);
      std::string compressed = store_->Get(f.key).value();
      std::string text(ZSTD_getFrameContentSize(compressed.data(), compressed.size()), '\0');
      text.resize(ZSTD_decompress(text.data(), text.size(), compressed.data(), compressed.size()));
      size_t start = 0;
      for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
        ++ids[nlohmann::json::parse(text.substr(start, end - start))["id"].get<std::string>()];
      }
    }
    return ids;
  }

  std::string root_;
  ManualClock clock_;
  std::unique_ptr<LocalObjectStore> store_;
  std::unique_ptr<log::Stream> stream_;
};

TEST_F(RawArchiverTest, EventsAsReceivedInFilesNamedByHourAndOffsets) {
  auto raw = Open();
  Send(0, 10);
  clock_.SetNowMicros(kStart + 2 * 60'000'000LL);  // 00:01 the next day: a new hour and day
  Send(10, 20);
  ASSERT_EQ(raw->RunOnce(true).value(), 20u);
  std::vector<std::string> keys;
  auto ids = Archived(&keys);
  ASSERT_EQ(ids.size(), 20u);
  for (const auto& [id, n] : ids) EXPECT_EQ(n, 1) << id;
  std::set<std::string> dirs;
  for (const std::string& k : keys) {
    dirs.insert(k.substr(0, k.rfind('/')));
    auto parsed = ParseRawFileKey(k);
    ASSERT_TRUE(parsed.has_value()) << k;
    EXPECT_LE(parsed->first, parsed->last);
  }
  EXPECT_EQ(dirs, (std::set<std::string>{"raw/events/dt=2025-12-02/hour=23",
                                         "raw/events/dt=2025-12-03/hour=00"}));
}

TEST_F(RawArchiverTest, ARestartResumesAfterWhatIsArchivedAndLosesNothingBuffered) {
  auto raw = Open();
  Send(0, 10);
  ASSERT_TRUE(raw->RunOnce(true).has_value());
  Send(10, 25);
  ASSERT_EQ(raw->RunOnce(false).value(), 15u);  // buffered, not written
  raw.reset();  // as after a crash, unless Stop() wrote them: here it did not run
  auto again = Open();
  EXPECT_EQ(again->RunOnce(true).value(), 15u);
  auto ids = Archived();
  EXPECT_EQ(ids.size(), 25u);
  for (const auto& [id, n] : ids) EXPECT_EQ(n, 1) << id;
}

TEST(RawFileKey, RoundTripsAndRefusesOtherNames) {
  const std::string key = RawFileKey("web", 3, 17, 99, 0);
  EXPECT_EQ(key, "raw/web/dt=1970-01-01/hour=00/part-p3-00000000000000000017-00000000000000000099.ndjson.zst");
  auto parsed = ParseRawFileKey(key);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->partition, 3u);
  EXPECT_EQ(parsed->first, 17u);
  EXPECT_EQ(parsed->last, 99u);
  EXPECT_FALSE(ParseRawFileKey("raw/web/x.ndjson.zst").has_value());
  EXPECT_FALSE(ParseRawFileKey("part-p3-9-1.ndjson.zst").has_value());  // last < first
  EXPECT_FALSE(ParseRawFileKey("part-px-1-2.ndjson.zst").has_value());
}

}  // namespace
}  // namespace eventlake::lake
