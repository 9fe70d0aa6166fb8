// Pipeline over real streams: a batch of 100 with one poison record (99
// delivered once, one dead letter after max_attempts), fan-out to two
// sinks, resuming from the group after a restart, and a failing sink that
// holds the group back until it heals.
#include "pipeline/pipeline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "pipeline/sql_step.h"

namespace eventlake::pipeline {
namespace {

using nlohmann::json;

std::vector<log::LogRecord> ReadAll(const log::Stream& stream) {
  std::vector<log::LogRecord> out;
  for (uint32_t p = 0; p < stream.partition_count(); ++p) {
    auto records = stream.partition(p).Read(0, {1u << 20, 1ull << 40}).value();
    out.insert(out.end(), records.begin(), records.end());
  }
  return out;
}

class FlakySink : public Sink {
 public:
  std::string_view name() const override { return "flaky"; }
  Status Deliver(uint32_t, uint64_t, std::span<const CloudEvent> events) override {
    if (failing) return Unavailable("the webhook is down");
    delivered += events.size();
    return Status::Ok();
  }
  bool failing = false;
  size_t delivered = 0;
};

class PipelineTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::TempDir() + "/pipeline-" + testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(root_);
    clicks_ = Open("clicks");
    enriched_ = Open("enriched");
    dlq_ = Open("clicks-dlq");
    auto sql = SqlStep::Create({.sql = "SELECT id, CAST(price AS INTEGER) * 2 AS doubled FROM batch"});
    ASSERT_TRUE(sql.has_value()) << sql.error().ToString();
    sql_ = std::move(*sql);
  }

  std::unique_ptr<log::Stream> Open(const std::string& name) {
    return std::move(log::Stream::Open(root_ + "/log/" + name,
                                       {.name = name, .partitions = 1, .durability = log::Durability::kNone},
                                       &SystemClock(), nullptr)
                         .value());
  }

  void Send(int from, int to, int poison = -1) {
    std::vector<CloudEvent> events;
    for (int i = from; i < to; ++i) {
      CloudEvent e;
      e.id = "c" + std::to_string(i);
      e.source = "/web";
      e.type = "click";
      e.data = i == poison ? R"({"price": "free"})" : R"({"price": ")" + std::to_string(i) + R"("})";
      events.push_back(std::move(e));
    }
    for (auto& r : clicks_->AppendAndWait(events)) ASSERT_TRUE(r.has_value());
  }

  std::unique_ptr<Pipeline> Make(std::vector<Sink*> sinks) {
    auto p = Pipeline::Create({.name = "doubler",
                               .trigger = clicks_.get(),
                               .batch = {.max_records = 100, .max_wait = std::chrono::milliseconds(0)},
                               .idle_wait = std::chrono::milliseconds(10),
                               .steps = {{.name = "sql",
                                          .run = [this](auto batch) { return sql_->Run(batch); },
                                          .retry = {.max_attempts = 3, .base_backoff = std::chrono::milliseconds(0),
                                                    .max_backoff = std::chrono::milliseconds(0)}}},
                               .sinks = std::move(sinks),
                               .open_dead_letter = [this]() -> Result<log::Stream*> { return dlq_.get(); }});
    EXPECT_TRUE(p.has_value()) << p.error().ToString();
    return std::move(*p);
  }

  std::string root_;
  std::unique_ptr<log::Stream> clicks_, enriched_, dlq_;
  std::unique_ptr<SqlStep> sql_;
};

TEST_F(PipelineTest, APoisonRecordIsDeadLetteredAndTheOther99AreDeliveredOnceToEverySink) {
  Send(0, 100, /*poison=*/42);
  StreamSink stream_sink(enriched_.get());
  FlakySink second;
  auto pipeline = Make({&stream_sink, &second});
  BatchReport report = pipeline->RunOnce(0).value();
  EXPECT_EQ(report.records, 100u);
  EXPECT_EQ(report.delivered, 99u);
  EXPECT_EQ(report.dead_letters, 1u);

  const auto out = ReadAll(*enriched_);
  ASSERT_EQ(out.size(), 99u);
  EXPECT_EQ(second.delivered, 99u);
  EXPECT_EQ(out[0].event.id, "c0");
  EXPECT_EQ(json::parse(out[5].event.data)["doubled"], 10);

  const auto letters = ReadAll(*dlq_);
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].event.type, "eventlake.deadletter");
  const json letter = json::parse(letters[0].event.data);
  EXPECT_EQ(letter["pipeline"], "doubler");
  EXPECT_EQ(letter["step"], "sql");
  EXPECT_EQ(letter["attempts"], 3);
  EXPECT_EQ(letter["offset"], 42);
  EXPECT_EQ(letter["event"]["id"], "c42");
  EXPECT_EQ(letter["event"]["data"], json::parse(R"({"price": "free"})"));
  EXPECT_THAT(letter["problem"]["detail"].get<std::string>(), testing::HasSubstr("free"));
  EXPECT_EQ(clicks_->GroupOffsets("pipeline-doubler").value(), (std::vector<uint64_t>{100}));
}

TEST_F(PipelineTest, ARestartedPipelineGoesOnFromItsGroup) {
  Send(0, 10);
  StreamSink sink(enriched_.get());
  EXPECT_EQ(Make({&sink})->RunOnce(0).value().delivered, 10u);
  Send(10, 15);
  auto again = Make({&sink});
  EXPECT_EQ(again->RunOnce(0).value().delivered, 5u);
  EXPECT_EQ(again->RunOnce(0).value().records, 0u);  // nothing new: an empty batch after idle_wait
  EXPECT_EQ(ReadAll(*enriched_).size(), 15u);
}

TEST_F(PipelineTest, AFailingSinkHoldsTheGroupBackUntilItHeals) {
  Send(0, 20);
  FlakySink sink;
  sink.failing = true;
  auto pipeline = Make({&sink});
  auto failed = pipeline->RunOnce(0);
  ASSERT_FALSE(failed.has_value());
  EXPECT_THAT(failed.error().message(), testing::HasSubstr("webhook is down"));
  EXPECT_EQ(clicks_->GroupOffsets("pipeline-doubler").value(), (std::vector<uint64_t>{0}));
  sink.failing = false;
  EXPECT_EQ(pipeline->RunOnce(0).value().delivered, 20u);
  EXPECT_EQ(sink.delivered, 20u);
  EXPECT_EQ(clicks_->GroupOffsets("pipeline-doubler").value(), (std::vector<uint64_t>{20}));
}

TEST_F(PipelineTest, StartRunsThePartitionsUntilStop) {
  StreamSink sink(enriched_.get());
  auto pipeline = Make({&sink});
  ASSERT_TRUE(pipeline->Start().ok());
  Send(0, 30);
  for (int i = 0; i < 500 && ReadAll(*enriched_).size() < 30; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pipeline->Stop();
  EXPECT_EQ(ReadAll(*enriched_).size(), 30u);
}

}  // namespace
}  // namespace eventlake::pipeline
