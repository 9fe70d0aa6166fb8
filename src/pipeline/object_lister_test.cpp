// The object-created trigger: each new object once (across restarts, and
// a crash between the append and the state), rewritten objects new again,
// the first listing's baseline (again when the prefix changes), the per-poll limit, and the S3
// event shape of a batch of its events.
#include "pipeline/object_lister.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "core/file.h"
#include "pipeline/s3_event.h"

namespace eventlake::pipeline {
namespace {

using nlohmann::json;

class ObjectListerTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::TempDir() + "/objects-" +
            testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(root_);
    OpenStream();
  }

  void OpenStream() {
    stream_.reset();
    stream_ =
        std::move(log::Stream::Open(
                      root_ + "/log/up.objects",
                      {.name = "up.objects", .partitions = 1, .durability = log::Durability::kNone},
                      &SystemClock(), nullptr)
                      .value());
  }

  // An object put (or rewritten) in the fake store.
  void Put(const std::string& key, uint64_t size, const std::string& etag) {
    store_[key] = {
        .key = key, .size = size, .etag = etag, .modified = 1'700'000'000'000'000 + clock_++};
  }

  std::unique_ptr<ObjectLister> Open(bool existing = false, uint32_t max_objects = 1000) {
    auto lister =
        ObjectLister::Open({.pipeline = "up",
                            .bucket = "lake",
                            .prefix = prefix_,
                            .existing = existing,
                            .max_objects = max_objects,
                            .max_key_length = 64,
                            .state_path = root_ + "/state/up/objects.json",
                            .list =
                                [this](std::string_view prefix) {
                                  std::vector<ListedObject> out;
                                  for (const auto& [key, o] : store_) {
                                    if (key.starts_with(prefix)) out.push_back(o);
                                  }
                                  return Result<std::vector<ListedObject>>(std::move(out));
                                },
                            .stream = stream_.get()});
    EXPECT_TRUE(lister.has_value()) << lister.error().ToString();
    return lister.has_value() ? std::move(*lister) : nullptr;
  }

  // The keys of the stream's events, in order.
  std::vector<std::string> EmittedKeys() const {
    std::vector<std::string> keys;
    const std::vector<log::LogRecord> records =
        stream_->partition(0).Read(0, {1u << 20, 1ull << 40}).value();
    for (const log::LogRecord& r : records) {
      EXPECT_EQ(r.event.type, kObjectCreatedType);
      keys.push_back(json::parse(r.event.data)["key"].get<std::string>());
    }
    return keys;
  }

  size_t Poll(ObjectLister& lister) {
    Result<size_t> n = lister.PollOnce();
    EXPECT_TRUE(n.has_value()) << n.error().ToString();
    return n.value_or(0);
  }

  std::string root_;
  std::unique_ptr<log::Stream> stream_;
  std::map<std::string, ListedObject> store_;
  int64_t clock_ = 0;
  std::string prefix_ = "landing/";
};

TEST_F(ObjectListerTest, EmitsEachNewObjectOnce) {
  auto lister = Open();
  Put("landing/a.csv", 10, "e1");
  Put("landing/b.csv", 20, "e2");
  Put("other/c.csv", 30, "e3");  // not under the prefix
  EXPECT_EQ(Poll(*lister), 2u);
  EXPECT_EQ(Poll(*lister), 0u);
  Put("landing/c.csv", 5, "e4");
  EXPECT_EQ(Poll(*lister), 1u);
  EXPECT_EQ(EmittedKeys(),
            (std::vector<std::string>{"landing/a.csv", "landing/b.csv", "landing/c.csv"}));
}

TEST_F(ObjectListerTest, RestartWithPersistedStateDoesNotEmitAgain) {
  Put("landing/a.csv", 10, "e1");
  {
    auto lister = Open(/*existing=*/true);
    EXPECT_EQ(Poll(*lister), 1u);
  }
  OpenStream();
  Put("landing/b.csv", 20, "e2");
  auto lister = Open(/*existing=*/true);  // state exists: `existing` no longer matters
  EXPECT_EQ(Poll(*lister), 1u);
  EXPECT_EQ(Poll(*lister), 0u);
  EXPECT_EQ(EmittedKeys(), (std::vector<std::string>{"landing/a.csv", "landing/b.csv"}));
}

TEST_F(ObjectListerTest, CrashBetweenAppendAndStateIsRecoveredFromTheStream) {
  Put("landing/a.csv", 10, "e1");
  const std::string state = root_ + "/state/up/objects.json";
  std::string before;
  {
    auto lister = Open(/*existing=*/true);  // writes the empty state
    before = ReadFile(state).value();
    EXPECT_EQ(Poll(*lister), 1u);
  }
  ASSERT_TRUE(WriteFileAtomically(state, before).ok());  // the state as if the crash came before it
  OpenStream();
  auto lister = Open(/*existing=*/true);
  EXPECT_EQ(Poll(*lister), 0u);
  EXPECT_EQ(EmittedKeys(), (std::vector<std::string>{"landing/a.csv"}));
}

TEST_F(ObjectListerTest, RewrittenObjectIsNewAgain) {
  auto lister = Open();
  Put("landing/a.csv", 10, "e1");
  EXPECT_EQ(Poll(*lister), 1u);
  Put("landing/a.csv", 10, "e2");  // new etag
  EXPECT_EQ(Poll(*lister), 1u);
  Put("landing/a.csv", 11, "e2");  // new size
  EXPECT_EQ(Poll(*lister), 1u);
  EXPECT_EQ(Poll(*lister), 0u);
  const auto records = stream_->partition(0).Read(0, {}).value();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_NE(records[0].event.id, records[1].event.id);
  EXPECT_NE(records[1].event.id, records[2].event.id);
}

TEST_F(ObjectListerTest, DeletedThenCreatedAgainIsNew) {
  auto lister = Open();
  Put("landing/a.csv", 10, "e1");
  EXPECT_EQ(Poll(*lister), 1u);
  store_.clear();
  EXPECT_EQ(Poll(*lister), 0u);
  Put("landing/a.csv", 10, "e1");
  EXPECT_EQ(Poll(*lister), 1u);
}

TEST_F(ObjectListerTest, ObjectsThereAtTheFirstStartAreTheBaseline) {
  Put("landing/old.csv", 10, "e1");
  auto lister = Open(/*existing=*/false);
  EXPECT_EQ(Poll(*lister), 0u);
  Put("landing/new.csv", 10, "e2");
  EXPECT_EQ(Poll(*lister), 1u);
  EXPECT_EQ(EmittedKeys(), (std::vector<std::string>{"landing/new.csv"}));
}

TEST_F(ObjectListerTest, MaxObjectsDefersTheRestAndLongKeysAreSkipped) {
  auto lister = Open(/*existing=*/false, /*max_objects=*/2);
  for (int i = 0; i < 5; ++i) Put("landing/" + std::to_string(i), 1, "e");
  Put("landing/" + std::string(100, 'x'), 1, "e");
  EXPECT_EQ(Poll(*lister), 2u);
  EXPECT_EQ(Poll(*lister), 2u);
  EXPECT_EQ(Poll(*lister), 1u);
  EXPECT_EQ(Poll(*lister), 0u);
  EXPECT_EQ(EmittedKeys().size(), 5u);
}

TEST_F(ObjectListerTest, AnotherPrefixStartsFromAFirstListing) {
  Put("landing/a.csv", 10, "e1");
  Put("landing/sub/b.csv", 10, "e2");
  { auto lister = Open(); }
  OpenStream();
  prefix_ = "landing/sub/";
  auto lister = Open();  // landing/sub/b.csv is the new prefix's baseline
  EXPECT_EQ(Poll(*lister), 0u);
  Put("landing/sub/c.csv", 10, "e3");
  EXPECT_EQ(Poll(*lister), 1u);
  EXPECT_EQ(EmittedKeys(), (std::vector<std::string>{"landing/sub/c.csv"}));
}

TEST(ObjectS3Event, BatchOfObjectCreatedEventsInTheS3Shape) {
  std::vector<BatchRecord> batch;
  for (const char* key : {"landing/a b.csv", "landing/c.csv"}) {
    batch.push_back(
        {.event = ObjectCreatedEvent(
             {.key = key, .size = 42, .etag = "abc", .modified = 1'780'000'000'123'000}, "lake")});
  }
  Result<std::string> text = BuildS3EventOfBatch(batch, "eu-west-1");
  ASSERT_TRUE(text.has_value()) << text.error().ToString();
  const json event = json::parse(*text);
  ASSERT_EQ(event["Records"].size(), 2u);
  const json& r = event["Records"][0];
  EXPECT_EQ(r["eventName"], "ObjectCreated:Put");
  EXPECT_EQ(r["eventSource"], "aws:s3");
  EXPECT_EQ(r["awsRegion"], "eu-west-1");
  EXPECT_EQ(r["eventTime"], "2026-05-28T20:26:40.123Z");
  EXPECT_EQ(r["s3"]["bucket"]["name"], "lake");
  EXPECT_EQ(r["s3"]["bucket"]["arn"], "arn:aws:s3:::lake");
  EXPECT_EQ(r["s3"]["object"]["key"], "landing/a+b.csv");
  EXPECT_EQ(r["s3"]["object"]["size"], 42);
  EXPECT_EQ(r["s3"]["object"]["eTag"], "abc");
  EXPECT_EQ(r["responseElements"]["x-amz-request-id"], batch[0].event.id);
  EXPECT_EQ(event["Records"][1]["s3"]["object"]["key"], "landing/c.csv");
}

TEST(ObjectS3Event, OtherEventsFailTheBatch) {
  BatchRecord record;
  record.event.id = "x1";
  record.event.data = R"({"price": 3})";
  std::vector<BatchRecord> batch{record};
  Result<std::string> text = BuildS3EventOfBatch(batch, "us-east-1");
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace eventlake::pipeline
