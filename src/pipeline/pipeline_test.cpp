// Pipeline over real streams: a batch of 100 with one poison record (99
// delivered once, one dead letter after max_attempts), fan-out to two
// sinks, resuming from the group after a restart, and a failing sink that
// holds the group back until it heals; a dedup step behind another step
// across a re-cut batch.
#include "pipeline/pipeline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <nlohmann/json.hpp>

#include "pipeline/dedup_step.h"
#include "pipeline/route_step.h"
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
  Result<std::vector<FailedItem>> Deliver(const SinkBatch& batch) override {
    if (failing) return Err(Unavailable("the webhook is down"));
    delivered += batch.events.size();
    return std::vector<FailedItem>{};
  }
  bool failing = false;
  size_t delivered = 0;
};

// A sink that keeps what it is given until Tick (or Flush) makes it
// durable, skips batches it already has, and refuses events whose data
// says so: the table sink's contract, in memory.
class BufferingSink : public Sink {
 public:
  std::string_view name() const override { return "buffering"; }
  Result<std::vector<FailedItem>> Deliver(const SinkBatch& batch) override {
    batch_ends.push_back(batch.next_offset);
    if (batch.next_offset <= durable) {
      skipped += batch.events.size();
      return std::vector<FailedItem>{};
    }
    std::vector<FailedItem> refused;
    for (size_t i = 0; i < batch.events.size(); ++i) {
      if (batch.events[i].data.find("refuse") != std::string::npos) {
        refused.push_back({i, InvalidArgument("column refuse cannot take it")});
      } else {
        buffered.push_back(batch.events[i].id);
      }
    }
    pending = batch.next_offset;
    return refused;
  }
  std::optional<uint64_t> DurableOffset(std::string_view, uint32_t) override { return durable; }
  Status Tick() override { return flush_on_tick ? Flush() : Status::Ok(); }
  Status Flush() override {
    durable = pending;
    kept.insert(kept.end(), buffered.begin(), buffered.end());
    buffered.clear();
    return Status::Ok();
  }
  bool flush_on_tick = false;
  uint64_t durable = 0, pending = 0;
  size_t skipped = 0;
  std::vector<std::string> buffered, kept;
  std::vector<uint64_t> batch_ends;
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

  std::unique_ptr<Pipeline> Make(std::vector<Sink*> sinks, uint32_t max_records = 100) {
    auto p = Pipeline::Create({.name = "doubler",
                               .trigger = clicks_.get(),
                               .batch = {.max_records = max_records, .max_wait = std::chrono::milliseconds(0)},
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

TEST_F(PipelineTest, RoutedSinksGetTheirEventsAndTheOthersAllWithoutTheRoute) {
  Send(0, 10);
  auto route = RouteStep::Create({.rules = {{.when = "CAST(price AS INTEGER) >= 5", .to = {"enriched"}}},
                                  .otherwise = {"buffering"}});
  ASSERT_TRUE(route.has_value()) << route.error().ToString();
  std::shared_ptr<RouteStep> step = std::move(*route);
  StreamSink expensive(enriched_.get());
  BufferingSink cheap;
  FlakySink everything;
  auto pipeline = Pipeline::Create({.name = "router",
                                    .trigger = clicks_.get(),
                                    .batch = {.max_records = 100, .max_wait = std::chrono::milliseconds(0)},
                                    .steps = {{.name = "route", .run = [step](auto b) { return step->Run(b); }}},
                                    .sinks = {&expensive, &cheap, &everything},
                                    .routed_sinks = {"enriched", "buffering"}});
  ASSERT_TRUE(pipeline.has_value()) << pipeline.error().ToString();
  EXPECT_EQ((*pipeline)->RunOnce(0).value().records, 10u);
  const auto out = ReadAll(*enriched_);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0].event.id, "c5");
  EXPECT_TRUE(out[0].event.extensions.empty());  // the route came off
  EXPECT_EQ(cheap.buffered, (std::vector<std::string>{"c0", "c1", "c2", "c3", "c4"}));
  EXPECT_EQ(everything.delivered, 10u);
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

TEST_F(PipelineTest, TheGroupMovesOnlyAsFarAsABufferingSinkHasMadeDurable) {
  Send(0, 30);
  BufferingSink sink;
  auto pipeline = Make({&sink}, 10);
  EXPECT_EQ(pipeline->RunOnce(0).value().delivered, 10u);
  EXPECT_EQ(pipeline->RunOnce(0).value().delivered, 10u);
  EXPECT_EQ(clicks_->GroupOffsets("pipeline-doubler").value(), (std::vector<uint64_t>{0}));
  ASSERT_TRUE(sink.Flush().ok());
  ASSERT_TRUE(pipeline->CommitDurable(0).ok());
  EXPECT_EQ(clicks_->GroupOffsets("pipeline-doubler").value(), (std::vector<uint64_t>{20}));
  EXPECT_EQ(sink.kept.size(), 20u);
}

TEST_F(PipelineTest, AfterARestartBatchesAreCutAtTheSinksDurableOffsetAndNotDeliveredTwice) {
  Send(0, 30);
  BufferingSink sink;
  {
    auto pipeline = Make({&sink}, 7);
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(pipeline->RunOnce(0).has_value());
    ASSERT_TRUE(sink.Flush().ok());  // the sink has 0..13; the group still says 0 (a crash here)
  }
  EXPECT_EQ(clicks_->GroupOffsets("pipeline-doubler").value(), (std::vector<uint64_t>{0}));
  sink.batch_ends.clear();
  auto again = Make({&sink}, 10);  // other batch sizes than before
  while (again->RunOnce(0).value().records > 0) {
  }
  // 10..19 would have straddled 14, where the sink's durable records end:
  // the batch stops there.
  EXPECT_EQ(sink.batch_ends, (std::vector<uint64_t>{10, 14, 24, 30}));
  EXPECT_EQ(sink.skipped, 14u);
  ASSERT_TRUE(again->FlushSinks().ok());
  EXPECT_EQ(sink.kept.size(), 30u);
  std::set<std::string> unique(sink.kept.begin(), sink.kept.end());
  EXPECT_EQ(unique.size(), 30u);
  EXPECT_EQ(clicks_->GroupOffsets("pipeline-doubler").value(), (std::vector<uint64_t>{30}));
}

// Without StepResult::sources the dedup step saw the second batch's events
// as offset 7 (the batch's first), claimed them for it, and dropped 7..9 as
// duplicates when they came again in a batch from 0: 23 of 30 arrived.
TEST_F(PipelineTest, ADedupStepBehindAnotherStepLosesNothingWhenABatchIsCutDifferentlyOnARerun) {
  Send(0, 30);
  BufferingSink sink;
  const std::string journal = root_ + "/state/dedup-1.journal";
  auto make = [&](uint32_t max_records) {
    auto dedup = DedupStep::Create({.journal_path = journal});  // by source and id
    EXPECT_TRUE(dedup.has_value()) << dedup.error().ToString();
    std::shared_ptr<DedupStep> step = std::move(*dedup);
    const RetryPolicy once{.max_attempts = 1};
    auto p = Pipeline::Create(
        {.name = "doubler",
         .trigger = clicks_.get(),
         .batch = {.max_records = max_records, .max_wait = std::chrono::milliseconds(0)},
         .idle_wait = std::chrono::milliseconds(10),
         .steps = {{.name = "pass",
                    .run =
                        [](std::span<const BatchRecord> batch) {
                          StepResult r;
                          for (size_t i = 0; i < batch.size(); ++i) r.Emit(i, batch[i].event);
                          return r;
                        },
                    .retry = once},
                   {.name = "dedup", .run = [step](auto batch) { return step->Run(batch); }, .retry = once}},
         .sinks = {&sink}});
    EXPECT_TRUE(p.has_value()) << p.error().ToString();
    return std::move(*p);
  };
  {
    auto pipeline = make(7);
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(pipeline->RunOnce(0).has_value());
  }  // a crash: the sink made nothing durable, the dedup journal has 0..13 claimed
  sink.buffered.clear();
  auto again = make(10);  // 0..9, 10..19: 7..9 were claimed in the batch from 7
  while (again->RunOnce(0).value().records > 0) {
  }
  ASSERT_TRUE(again->FlushSinks().ok());
  EXPECT_EQ(sink.kept.size(), 30u);
  EXPECT_EQ(std::set<std::string>(sink.kept.begin(), sink.kept.end()).size(), 30u);
}

TEST_F(PipelineTest, EventsASinkRefusesAreDeadLetteredAndTheBatchMovesOn) {
  std::vector<CloudEvent> events(3);
  for (int i = 0; i < 3; ++i) {
    events[i].id = "r" + std::to_string(i);
    events[i].source = "/web";
    events[i].type = "click";
    events[i].data = i == 1 ? R"({"refuse": true})" : R"({"ok": true})";
  }
  for (auto& r : clicks_->AppendAndWait(events)) ASSERT_TRUE(r.has_value());
  BufferingSink sink;
  sink.flush_on_tick = true;
  auto p = Pipeline::Create({.name = "keeper", .trigger = clicks_.get(), .sinks = {&sink},
                             .open_dead_letter = [this]() -> Result<log::Stream*> { return dlq_.get(); }});
  ASSERT_TRUE(p.has_value());
  BatchReport report = (*p)->RunOnce(0).value();
  EXPECT_EQ(report.dead_letters, 1u);
  ASSERT_TRUE((*p)->CommitDurable(0).ok());
  EXPECT_EQ(sink.kept, (std::vector<std::string>{"r0", "r2"}));
  const auto letters = ReadAll(*dlq_);
  ASSERT_EQ(letters.size(), 1u);
  const json letter = json::parse(letters[0].event.data);
  EXPECT_EQ(letter["step"], "sink buffering");
  EXPECT_EQ(letter["event"]["id"], "r1");
  EXPECT_EQ(clicks_->GroupOffsets("pipeline-keeper").value(), (std::vector<uint64_t>{3}));
}

TEST_F(PipelineTest, ARedriveRunsTheDeadLettersThroughTheFixedPipelineOnce) {
  Send(0, 10, /*poison=*/4);
  StreamSink sink(enriched_.get());
  EXPECT_EQ(Make({&sink})->RunOnce(0).value().dead_letters, 1u);
  ASSERT_EQ(ReadAll(*dlq_).size(), 1u);

  // Still broken: the letter fails again and becomes a new one, after the end.
  auto broken = Make({&sink});
  RedriveReport again = broken->Redrive({.dead_letters = dlq_.get()}).value();
  EXPECT_EQ(again.redriven, 1u);
  EXPECT_EQ(again.dead_letters, 1u);
  ASSERT_EQ(ReadAll(*dlq_).size(), 2u);
  EXPECT_EQ(json::parse(ReadAll(*dlq_)[1].event.data)["stream"], "clicks-dlq");

  // Fixed: "free" is 0 now.
  sql_ = std::move(SqlStep::Create({.sql = "SELECT id, coalesce(TRY_CAST(price AS INTEGER), 0) * 2 AS doubled FROM batch"})
                       .value());
  auto fixed = Make({&sink});
  RedriveReport report = fixed->Redrive({.dead_letters = dlq_.get(), .rate = 1000}).value();
  EXPECT_EQ(report.read, 1u);  // the letter after the first redrive's end
  EXPECT_EQ(report.redriven, 1u);
  EXPECT_EQ(report.delivered, 1u);
  EXPECT_EQ(report.dead_letters, 0u);
  const auto out = ReadAll(*enriched_);
  ASSERT_EQ(out.size(), 10u);
  EXPECT_EQ(out.back().event.id, "c4");
  EXPECT_EQ(json::parse(out.back().event.data)["doubled"], 0);
  EXPECT_EQ(fixed->Redrive({.dead_letters = dlq_.get()}).value().read, 0u);  // nothing new
}

TEST_F(PipelineTest, ARewindReadsAgainFromTheGivenOffsets) {
  Send(0, 10);
  StreamSink sink(enriched_.get());
  auto pipeline = Make({&sink});
  EXPECT_EQ(pipeline->RunOnce(0).value().delivered, 10u);
  ASSERT_TRUE(pipeline->Rewind({4}).ok());
  EXPECT_EQ(clicks_->GroupOffsets("pipeline-doubler").value(), (std::vector<uint64_t>{4}));
  EXPECT_EQ(pipeline->RunOnce(0).value().delivered, 6u);
  EXPECT_EQ(ReadAll(*enriched_).size(), 16u);  // a stream sink is at least once: replayed records again
  EXPECT_FALSE(pipeline->Rewind({1, 2}).ok());
  ASSERT_TRUE(pipeline->Rewind({1000}).ok());  // clamped to the end
  EXPECT_EQ(clicks_->GroupOffsets("pipeline-doubler").value(), (std::vector<uint64_t>{10}));
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
