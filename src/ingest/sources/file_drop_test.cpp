// Tests for the file_drop source: real files in a temporary landing
// directory, a manual clock for settling, and a sink double that records
// what it was given and answers what each test tells it to.
#include "ingest/sources/file_drop.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/file.h"

namespace eventlake::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Records every delivery and answers each event with `answer` (default: stored).
class RecordingSink final : public EventSink {
 public:
  using Answer = std::function<Result<log::RecordPosition>(const CloudEvent&, int attempt)>;

  ~RecordingSink() override {
    for (std::thread& t : threads_) t.join();
  }

  void Deliver(std::vector<CloudEvent> events, std::function<void(DeliveryResults)> done) override {
    DeliveryResults results;
    {
      std::lock_guard lock(mu_);
      batch_sizes_.push_back(events.size());
      for (const CloudEvent& event : events) {
        int attempt = ++attempts_[event.id];
        Result<log::RecordPosition> r =
            answer ? answer(event, attempt) : Result<log::RecordPosition>(log::RecordPosition{});
        if (r.has_value()) stored_.push_back(event);
        results.push_back(std::move(r));
      }
    }
    if (!answer_on_another_thread) return done(std::move(results));
    std::lock_guard lock(mu_);
    threads_.emplace_back([done, results] { done(results); });
  }

  std::vector<CloudEvent> stored() {
    std::lock_guard lock(mu_);
    return stored_;
  }
  std::vector<size_t> batch_sizes() {
    std::lock_guard lock(mu_);
    return batch_sizes_;
  }
  size_t deliveries() { return batch_sizes().size(); }

  Answer answer;
  bool answer_on_another_thread = false;

 private:
  std::mutex mu_;
  std::vector<CloudEvent> stored_;
  std::vector<size_t> batch_sizes_;
  std::map<std::string, int> attempts_;
  std::vector<std::thread> threads_;
};

class FileDropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/eventlake-file-drop-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    root_ = templ;
    options_.name = "drops";
    options_.directory = root_ + "/landing";
    options_.retry_backoff = std::chrono::milliseconds(1);
    ASSERT_TRUE(CreateDirectories(options_.directory).ok());
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::unique_ptr<FileDrop> MakeSource() {
    Result<std::unique_ptr<FileDrop>> source = FileDrop::Create(options_, sink_, metrics_, clock_);
    EXPECT_TRUE(source.has_value()) << source.error().ToString();
    return std::move(source).value();
  }

  std::string Landing(const std::string& name) const { return options_.directory + "/" + name; }

  // Writes a file whose mtime is `age` before the clock's now.
  void Drop(const std::string& name, std::string_view content,
            std::chrono::milliseconds age = std::chrono::seconds(10)) {
    std::ofstream(Landing(name), std::ios::binary) << content;
    SetMtime(name, clock_.NowMicros() - age.count() * 1000);
  }

  void SetMtime(const std::string& name, int64_t micros) {
    timespec times[2] = {{micros / 1'000'000, (micros % 1'000'000) * 1000},
                         {micros / 1'000'000, (micros % 1'000'000) * 1000}};
    ASSERT_EQ(::utimensat(AT_FDCWD, Landing(name).c_str(), times, 0), 0);
  }

  // Two scans settle_time apart: what a file needs to be taken.
  size_t PollSettled(FileDrop& source) {
    EXPECT_TRUE(source.PollOnce().has_value());
    clock_.AdvanceMicros(options_.settle_time.count() * 1000);
    Result<size_t> moved = source.PollOnce();
    EXPECT_TRUE(moved.has_value()) << moved.error().ToString();
    return moved.value_or(0);
  }

  std::string Read(const std::string& path) { return ReadFile(path).value_or("<missing>"); }

  bool HasMetric(std::string_view line) {
    return metrics_.RenderPrometheus().find(line) != std::string::npos;
  }

  std::string root_;
  FileDropOptions options_;
  RecordingSink sink_;
  MetricsRegistry metrics_;
  ManualClock clock_{SystemClock().NowMicros()};
};

TEST_F(FileDropTest, NdjsonFileBecomesObjectEventThenOneEventPerRecord) {
  auto source = MakeSource();
  Drop("orders.ndjson", "{\"id\": 1}\n\n{\"id\": 2}\n");
  EXPECT_EQ(PollSettled(*source), 1u);

  std::vector<CloudEvent> events = sink_.stored();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, kObjectCreatedType);
  EXPECT_EQ(events[1].type, "eventlake.record");
  EXPECT_EQ(events[1].data, R"({"id":1})");
  EXPECT_EQ(events[2].data, R"({"id":2})");
  const std::string prefix = events[0].id.substr(0, 16);
  EXPECT_EQ(events[0].id, prefix + "-object");
  EXPECT_EQ(events[1].id, prefix + "-0");
  EXPECT_EQ(events[2].id, prefix + "-1");
  for (const CloudEvent& event : events) {
    EXPECT_EQ(event.source, "/eventlake/sources/drops");
    EXPECT_EQ(event.subject, "orders.ndjson");
    EXPECT_EQ(event.data_content_type, "application/json");
  }
  EXPECT_EQ(Read(Landing("processed/orders.ndjson")), "{\"id\": 1}\n\n{\"id\": 2}\n");
  EXPECT_FALSE(PathExists(Landing("orders.ndjson")));
  EXPECT_TRUE(HasMetric("eventlake_file_drop_files_processed_total{source=\"drops\"} 1"));
  EXPECT_TRUE(HasMetric("eventlake_file_drop_records_delivered_total{source=\"drops\"} 2"));
}

TEST_F(FileDropTest, ObjectCreatedEventDescribesTheFile) {
  auto source = MakeSource();
  Drop("a.json", "[{\"x\":1},{\"x\":2},{\"x\":3}]");
  ASSERT_EQ(PollSettled(*source), 1u);
  CloudEvent object = sink_.stored().at(0);
  nlohmann::json data = nlohmann::json::parse(object.data);
  EXPECT_EQ(data["name"], "a.json");
  EXPECT_EQ(data["size"], 25);
  EXPECT_EQ(data["records"], 3);
  EXPECT_EQ(data["sha256"].get<std::string>().substr(0, 16), object.id.substr(0, 16));
  EXPECT_EQ(data["modified"], FormatRfc3339(*object.time));
  EXPECT_EQ(*object.time, clock_.NowMicros() - 11'000'000);  // dropped 10 s before a 1 s settle
}

TEST_F(FileDropTest, CsvRowsBecomeObjectsOfStrings) {
  auto source = MakeSource();
  Drop("people.csv", "\xEF\xBB\xBFid,name\r\n007,\"Bond, James\"\r\n");
  ASSERT_EQ(PollSettled(*source), 1u);
  std::vector<CloudEvent> events = sink_.stored();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].data, R"({"id":"007","name":"Bond, James"})");
}

TEST_F(FileDropTest, FormatOptionOverridesTheExtension) {
  options_.format = FileFormat::kNdjson;
  auto source = MakeSource();
  Drop("feed.log", "{\"a\":1}\n");
  ASSERT_EQ(PollSettled(*source), 1u);
  EXPECT_EQ(sink_.stored().size(), 2u);
}

TEST_F(FileDropTest, SameBytesDroppedTwiceGetTheSameIds) {
  auto source = MakeSource();
  Drop("a.ndjson", "{\"k\":1}\n");
  ASSERT_EQ(PollSettled(*source), 1u);
  Drop("b.ndjson", "{\"k\":1}\n");
  ASSERT_EQ(PollSettled(*source), 1u);
  std::vector<CloudEvent> events = sink_.stored();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].id, events[2].id);
  EXPECT_EQ(events[1].id, events[3].id);
  Drop("c.ndjson", "{\"k\":2}\n");
  ASSERT_EQ(PollSettled(*source), 1u);
  EXPECT_NE(sink_.stored().at(5).id, events[1].id);
}

TEST_F(FileDropTest, FileChangedWithinSettleTimeIsNotTaken) {
  auto source = MakeSource();
  const int64_t t0 = clock_.NowMicros();
  Drop("big.ndjson", "{\"a\":1}\n", std::chrono::milliseconds(0));
  EXPECT_EQ(source->PollOnce().value(), 0u);
  clock_.AdvanceMicros(500'000);
  std::ofstream(Landing("big.ndjson"), std::ios::app) << "{\"a\":2}\n";  // still being written
  SetMtime("big.ndjson", t0 + 500'000);
  EXPECT_EQ(source->PollOnce().value(), 0u);
  clock_.AdvanceMicros(500'000);  // 1 s after the first write, 0.5 s after the last
  EXPECT_EQ(source->PollOnce().value(), 0u);
  EXPECT_EQ(sink_.deliveries(), 0u);
  clock_.AdvanceMicros(500'000);
  EXPECT_EQ(source->PollOnce().value(), 1u);
  EXPECT_EQ(sink_.stored().size(), 3u);
}

TEST_F(FileDropTest, FileGrowingUnderAnOldMtimeIsNotTakenUntilUnchanged) {
  auto source = MakeSource();
  const int64_t old_mtime = clock_.NowMicros() - 60'000'000;
  Drop("copy.ndjson", "{\"a\":1}\n");
  SetMtime("copy.ndjson", old_mtime);  // a copy that keeps the source's mtime
  EXPECT_EQ(source->PollOnce().value(), 0u);
  clock_.AdvanceMicros(500'000);
  std::ofstream(Landing("copy.ndjson"), std::ios::app) << "{\"a\":2}\n";
  SetMtime("copy.ndjson", old_mtime);
  EXPECT_EQ(source->PollOnce().value(), 0u);
  clock_.AdvanceMicros(500'000);  // unchanged for only 0.5 s
  EXPECT_EQ(source->PollOnce().value(), 0u);
  clock_.AdvanceMicros(500'000);
  EXPECT_EQ(source->PollOnce().value(), 1u);
  EXPECT_EQ(sink_.stored().size(), 3u);
}

TEST_F(FileDropTest, FileWithRecentMtimeIsNotTakenEvenWhenUnchanged) {
  auto source = MakeSource();
  Drop("late.ndjson", "{}\n", std::chrono::milliseconds(0));
  SetMtime("late.ndjson", clock_.NowMicros() + 5'000'000);  // written "in the future"
  EXPECT_EQ(PollSettled(*source), 0u);
  clock_.AdvanceMicros(5'000'000);
  EXPECT_EQ(source->PollOnce().value(), 1u);
}

TEST_F(FileDropTest, SkipsHiddenTemporaryUnmatchedAndUnknownFiles) {
  options_.pattern = "orders-*";
  auto source = MakeSource();
  for (const char* name :
       {".orders-1.json", "orders-2.json.tmp", "orders-3.csv.part", "orders-4.txt", "other.json"}) {
    Drop(name, "{}");
  }
  ASSERT_EQ(::symlink(Landing("other.json").c_str(), Landing("orders-5.json").c_str()), 0);
  EXPECT_EQ(PollSettled(*source), 0u);
  EXPECT_EQ(sink_.deliveries(), 0u);
  EXPECT_TRUE(PathExists(Landing("other.json")));
  Drop("orders-6.json", "{}");
  EXPECT_EQ(PollSettled(*source), 1u);
}

TEST_F(FileDropTest, ParseFailureMovesToFailedWithReasonAndDeliversNothing) {
  auto source = MakeSource();
  Drop("bad.ndjson", "{\"a\":1}\n{\"a\":2}\n[3]\n");
  EXPECT_EQ(PollSettled(*source), 1u);
  EXPECT_EQ(sink_.deliveries(), 0u);
  EXPECT_TRUE(PathExists(Landing("failed/bad.ndjson")));
  std::string reason = Read(Landing("failed/bad.ndjson.reason"));
  EXPECT_THAT(reason, HasSubstr("file: bad.ndjson\n"));
  EXPECT_THAT(reason, HasSubstr("nothing was delivered"));
  EXPECT_THAT(reason, HasSubstr("line 3: record 2: expected a JSON object, got an array"));
  EXPECT_TRUE(
      HasMetric("eventlake_file_drop_files_failed_total{reason=\"parse\",source=\"drops\"} 1"));
}

TEST_F(FileDropTest, FileLargerThanMaxFileBytesFailsUnread) {
  options_.max_file_bytes = 8;
  auto source = MakeSource();
  Drop("huge.json", "{\"a\":\"123456789\"}");
  EXPECT_EQ(PollSettled(*source), 1u);
  EXPECT_EQ(sink_.deliveries(), 0u);
  EXPECT_THAT(Read(Landing("failed/huge.json.reason")), HasSubstr("more than max_file_bytes (8)"));
}

TEST_F(FileDropTest, PartialRejectionMovesToFailedListingEachRejectedRecord) {
  sink_.answer = [](const CloudEvent& event, int) -> Result<log::RecordPosition> {
    if (event.data.find("bad") != std::string::npos) {
      return Err(InvalidArgument("/v: expected a number"));
    }
    return log::RecordPosition{};
  };
  auto source = MakeSource();
  Drop("mixed.ndjson", "{\"v\":1}\n{\"v\":\"bad\"}\n{\"v\":3}\n\n{\"v\":\"bad\"}\n");
  EXPECT_EQ(PollSettled(*source), 1u);
  EXPECT_EQ(sink_.stored().size(), 3u);  // the object event and records 0 and 2
  EXPECT_FALSE(PathExists(Landing("processed/mixed.ndjson")));
  EXPECT_TRUE(PathExists(Landing("failed/mixed.ndjson")));
  std::string reason = Read(Landing("failed/mixed.ndjson.reason"));
  EXPECT_THAT(reason, HasSubstr("2 of 5 events were rejected; the 3 accepted ones were appended"));
  EXPECT_THAT(reason, HasSubstr("record 1 (line 2): invalid_argument: /v: expected a number\n"));
  EXPECT_THAT(reason, HasSubstr("record 3 (line 5): invalid_argument: /v: expected a number\n"));
  EXPECT_THAT(reason, Not(HasSubstr("record 2")));
  EXPECT_TRUE(HasMetric("eventlake_file_drop_records_rejected_total{source=\"drops\"} 2"));
}

TEST_F(FileDropTest, RetryableAnswersAreDeliveredAgainNotFailed) {
  sink_.answer = [](const CloudEvent& event, int attempt) -> Result<log::RecordPosition> {
    if (event.id.ends_with("-1") && attempt <= 2) return Err(ResourceExhausted("over quota"));
    if (event.id.ends_with("-2") && attempt == 1) return Err(Unavailable("log busy"));
    return log::RecordPosition{};
  };
  auto source = MakeSource();
  Drop("r.ndjson", "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n");
  EXPECT_EQ(PollSettled(*source), 1u);
  EXPECT_TRUE(PathExists(Landing("processed/r.ndjson")));
  EXPECT_EQ(sink_.stored().size(), 4u);
  EXPECT_THAT(sink_.batch_sizes(), ElementsAre(4, 2, 1));
  EXPECT_TRUE(HasMetric("eventlake_file_drop_delivery_retries_total{source=\"drops\"} 3"));
}

TEST_F(FileDropTest, DeliversInBatchesOfBatchEvents) {
  options_.batch_events = 2;
  auto source = MakeSource();
  Drop("five.ndjson", "{}\n{}\n{}\n{}\n{}\n");
  EXPECT_EQ(PollSettled(*source), 1u);
  EXPECT_THAT(sink_.batch_sizes(), ElementsAre(2, 2, 2));
}

TEST_F(FileDropTest, EmptyNdjsonFileDeliversOnlyTheObjectEvent) {
  auto source = MakeSource();
  Drop("empty.ndjson", "");
  EXPECT_EQ(PollSettled(*source), 1u);
  ASSERT_EQ(sink_.stored().size(), 1u);
  EXPECT_THAT(sink_.stored()[0].data, HasSubstr("\"records\":0"));
}

TEST_F(FileDropTest, NameTakenInProcessedGetsASuffix) {
  auto source = MakeSource();
  Drop("a.json", "{\"v\":1}");
  ASSERT_EQ(PollSettled(*source), 1u);
  Drop("a.json", "{\"v\":2}");
  ASSERT_EQ(PollSettled(*source), 1u);
  EXPECT_EQ(Read(Landing("processed/a.json")), "{\"v\":1}");
  EXPECT_EQ(Read(Landing("processed/a.json.1")), "{\"v\":2}");
}

TEST_F(FileDropTest, SinkAnsweringOnAnotherThreadIsWaitedFor) {
  sink_.answer_on_another_thread = true;
  auto source = MakeSource();
  Drop("t.ndjson", "{}\n{}\n");
  EXPECT_EQ(PollSettled(*source), 1u);
  EXPECT_EQ(sink_.stored().size(), 3u);
}

TEST_F(FileDropTest, StopWhileRetryingLeavesTheFileForTheNextStart) {
  options_.settle_time = std::chrono::milliseconds(0);
  options_.poll_interval = std::chrono::milliseconds(10);
  sink_.answer = [](const CloudEvent&, int) -> Result<log::RecordPosition> {
    return Err(Unavailable("stream not ready"));
  };
  Drop("left.ndjson", "{\"a\":1}\n{\"a\":2}\n");
  {
    auto source = MakeSource();
    ASSERT_TRUE(source->Start().ok());
    while (sink_.deliveries() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    source->Stop();
  }
  EXPECT_TRUE(PathExists(Landing("left.ndjson")));
  EXPECT_FALSE(PathExists(Landing("failed/left.ndjson")));

  sink_.answer = nullptr;  // the restarted server's stream accepts
  auto restarted = MakeSource();
  EXPECT_EQ(restarted->PollOnce().value(), 1u);
  EXPECT_TRUE(PathExists(Landing("processed/left.ndjson")));
  EXPECT_EQ(sink_.stored().size(), 3u);
}

TEST_F(FileDropTest, StartCreatesDirectoriesAndRefusesASecondStart) {
  options_.directory = root_ + "/new/landing";
  auto source = MakeSource();
  ASSERT_TRUE(source->Start().ok());
  EXPECT_TRUE(PathExists(options_.directory + "/processed"));
  EXPECT_TRUE(PathExists(options_.directory + "/failed"));
  EXPECT_EQ(source->Start().code(), StatusCode::kFailedPrecondition);
  source->Stop();
  source->Stop();  // idempotent
}

TEST_F(FileDropTest, CreateRejectsOptionsWithoutDirectory) {
  options_.directory.clear();
  EXPECT_EQ(FileDrop::Create(options_, sink_, metrics_, clock_).error().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace eventlake::ingest
