// SourceSink over a real log: stored, duplicate (across calls, within one
// call, across a reopen of the dedup window), rejected and dead-lettered
// items, schema checks on the Deliver path, and failed appends that leave the
// id free for a retry.
#include "ingest/source_sink.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>

#include "log/log.h"
#include "log/log_test_util.h"

namespace eventlake::ingest {
namespace {

using log::testing::TempDir;
using ::testing::HasSubstr;

CloudEvent Event(const std::string& id, std::string data = R"({"n":1})",
                 std::string type = "test.event") {
  CloudEvent e;
  e.id = id;
  e.source = "/tests/sink";
  e.type = std::move(type);
  e.data_content_type = "application/json";
  e.data = std::move(data);
  return e;
}

Submission Valid(CloudEvent event) { return {std::move(event), {}, false}; }

Submission Invalid(std::string detail, std::string_view body) {
  return {std::unexpected(IngestProblem{ProblemType::kInvalidEvent, std::move(detail), "/0/id"}),
          body, false};
}

class SourceSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = std::move(log::Log::Open({dir_.path() + "/log", &clock_}).value());
    stream_ = log_->CreateStream(Stream("events")).value();
    dead_letter_ = log_->CreateStream(Stream("events.dlq")).value();
    OpenDedup();
    schemas_ = SchemaSet::Load(
                   std::vector<SchemaOptions>{{"test.event", R"({"type":"object","required":["n"],
                                      "properties":{"n":{"type":"integer","minimum":0}}})",
                                               ""}})
                   .value();
  }

  static log::StreamOptions Stream(std::string name) {
    log::StreamOptions options;
    options.name = std::move(name);
    options.partitions = 2;
    options.durability = log::Durability::kNone;
    return options;
  }

  void OpenDedup() {
    dedup_.reset();
    DedupOptions options;
    options.dir = dir_.path() + "/dedup";
    options.stream = stream_;
    options.background_flush = false;
    options.clock = &clock_;
    dedup_ = std::move(DedupWindow::Open(options).value());
  }

  std::unique_ptr<SourceSink> Sink(InvalidEventPolicy policy, bool with_dedup = true) {
    SourceSinkOptions options;
    options.name = "web";
    options.stream = stream_;
    options.on_invalid = policy;
    options.dead_letter = dead_letter_;
    options.dedup = with_dedup ? dedup_.get() : nullptr;
    options.schemas = &schemas_;
    options.clock = &clock_;
    options.metrics = &metrics_;
    return std::move(SourceSink::Create(options).value());
  }

  static std::vector<Outcome> SubmitAndWait(SourceSink& sink, std::vector<Submission> items) {
    std::promise<std::vector<Outcome>> promise;
    sink.Submit(std::move(items), [&](std::vector<Outcome> o) { promise.set_value(std::move(o)); });
    return promise.get_future().get();
  }

  static uint64_t Records(const log::Stream& stream) {
    uint64_t n = 0;
    for (uint32_t p = 0; p < stream.options().partitions; ++p) {
      log::PartitionStats stats = stream.partition(p).Stats();
      n += stats.end_offset - stats.start_offset;
    }
    return n;
  }

  TempDir dir_;
  ManualClock clock_{1'700'000'000'000'000};
  MetricsRegistry metrics_;
  std::unique_ptr<log::Log> log_;
  log::Stream* stream_ = nullptr;
  log::Stream* dead_letter_ = nullptr;
  std::unique_ptr<DedupWindow> dedup_;
  SchemaSet schemas_;
};

TEST_F(SourceSinkTest, StoresValidEventsAndAnswersInOrder) {
  auto sink = Sink(InvalidEventPolicy::kReject);
  std::vector<Submission> items;
  items.push_back(Valid(Event("a")));
  items.push_back(Valid(Event("b")));
  auto outcomes = SubmitAndWait(*sink, std::move(items));
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].kind, OutcomeKind::kStored);
  EXPECT_EQ(outcomes[0].id, "a");
  EXPECT_EQ(outcomes[1].kind, OutcomeKind::kStored);
  EXPECT_EQ(outcomes[1].id, "b");
  EXPECT_EQ(Records(*stream_), 2u);
}

TEST_F(SourceSinkTest, ARetriedEventIsAnsweredWithTheFirstPositionAndNotStoredTwice) {
  auto sink = Sink(InvalidEventPolicy::kReject);
  std::vector<Submission> first;
  first.push_back(Valid(Event("a")));
  auto stored = SubmitAndWait(*sink, std::move(first));
  std::vector<Submission> retry;
  retry.push_back(Valid(Event("a")));
  auto again = SubmitAndWait(*sink, std::move(retry));
  EXPECT_EQ(again[0].kind, OutcomeKind::kDuplicate);
  EXPECT_EQ(again[0].position.partition, stored[0].position.partition);
  EXPECT_EQ(again[0].position.offset, stored[0].position.offset);
  EXPECT_EQ(Records(*stream_), 1u);
}

TEST_F(SourceSinkTest, DuplicatesAcrossAReopenOfTheWindowAreCaught) {
  auto sink = Sink(InvalidEventPolicy::kReject);
  std::vector<Submission> first;
  first.push_back(Valid(Event("a")));
  SubmitAndWait(*sink, std::move(first));
  sink.reset();
  OpenDedup();  // not flushed: the window rebuilds the id from the stream
  sink = Sink(InvalidEventPolicy::kReject);
  std::vector<Submission> retry;
  retry.push_back(Valid(Event("a")));
  EXPECT_EQ(SubmitAndWait(*sink, std::move(retry))[0].kind, OutcomeKind::kDuplicate);
  EXPECT_EQ(Records(*stream_), 1u);
}

TEST_F(SourceSinkTest, TheSameIdTwiceInOneCallIsStoredOnce) {
  auto sink = Sink(InvalidEventPolicy::kReject);
  std::vector<Submission> items;
  items.push_back(Valid(Event("a")));
  items.push_back(Valid(Event("a")));
  auto outcomes = SubmitAndWait(*sink, std::move(items));
  EXPECT_EQ(outcomes[0].kind, OutcomeKind::kStored);
  EXPECT_EQ(outcomes[1].kind, OutcomeKind::kDuplicate);
  EXPECT_EQ(outcomes[1].position.offset, outcomes[0].position.offset);
  EXPECT_EQ(Records(*stream_), 1u);
}

TEST_F(SourceSinkTest, WithoutDedupEveryCopyIsStored) {
  auto sink = Sink(InvalidEventPolicy::kReject, /*with_dedup=*/false);
  std::vector<Submission> items;
  items.push_back(Valid(Event("a")));
  items.push_back(Valid(Event("a")));
  SubmitAndWait(*sink, std::move(items));
  EXPECT_EQ(Records(*stream_), 2u);
}

TEST_F(SourceSinkTest, RejectsInvalidItemsAndStoresTheRest) {
  auto sink = Sink(InvalidEventPolicy::kReject);
  std::vector<Submission> items;
  items.push_back(Valid(Event("a")));
  items.push_back(Invalid("attribute 'id' is missing", R"({"x":1})"));
  items.push_back(Valid(Event("c", R"({"n":-1})")));
  auto outcomes = SubmitAndWait(*sink, std::move(items));
  EXPECT_EQ(outcomes[0].kind, OutcomeKind::kStored);
  EXPECT_EQ(outcomes[1].kind, OutcomeKind::kRejected);
  EXPECT_EQ(outcomes[1].problem.pointer, "/0/id");
  EXPECT_EQ(outcomes[2].kind, OutcomeKind::kRejected);
  EXPECT_EQ(outcomes[2].problem.type, ProblemType::kSchemaViolation);
  EXPECT_EQ(outcomes[2].problem.pointer, "/data/n");
  EXPECT_EQ(Records(*stream_), 1u);
  EXPECT_EQ(Records(*dead_letter_), 0u);
}

TEST_F(SourceSinkTest, DeadLettersInvalidItemsWithTheReasonAndTheBody) {
  auto sink = Sink(InvalidEventPolicy::kDeadLetter);
  std::vector<Submission> items;
  items.push_back(Invalid("attribute 'id' is missing", R"({"x":1})"));
  items.push_back(Valid(Event("c", R"({"n":"many"})")));
  auto outcomes = SubmitAndWait(*sink, std::move(items));
  ASSERT_EQ(outcomes[0].kind, OutcomeKind::kDeadLettered);
  ASSERT_EQ(outcomes[1].kind, OutcomeKind::kDeadLettered);
  EXPECT_EQ(Records(*stream_), 0u);
  ASSERT_EQ(Records(*dead_letter_), 2u);
  const log::Partition& p = dead_letter_->partition(outcomes[1].position.partition);
  auto records = p.Read(outcomes[1].position.offset, {}).value();
  ASSERT_FALSE(records.empty());
  const CloudEvent& letter = records[0].event;
  EXPECT_EQ(letter.type, "eventlake.deadletter");
  EXPECT_EQ(letter.source, "/eventlake/sources/web");
  EXPECT_THAT(letter.data, HasSubstr(R"("type":"schema_violation")"));
  EXPECT_THAT(letter.data, HasSubstr(R"("pointer":"/data/n")"));
  EXPECT_THAT(letter.data, HasSubstr(R"("event_id":"c")"));
}

TEST_F(SourceSinkTest, AViolationFoundWhileDecodingKeepsTheEventsIdAndIndex) {
  auto sink = Sink(InvalidEventPolicy::kDeadLetter);
  std::vector<Submission> items;
  items.push_back({.event = Event("v"),
                   .body = R"({"id":"v"})",
                   .schema_checked = true,
                   .violation = IngestProblem{ProblemType::kSchemaViolation, "bad", "/3/data/n"},
                   .index = 3});
  auto outcomes = SubmitAndWait(*sink, std::move(items));
  ASSERT_EQ(outcomes[0].kind, OutcomeKind::kDeadLettered);
  EXPECT_EQ(outcomes[0].id, "v");
  EXPECT_EQ(outcomes[0].index, 3u);
  auto records = dead_letter_->partition(outcomes[0].position.partition)
                     .Read(outcomes[0].position.offset, {})
                     .value();
  ASSERT_FALSE(records.empty());
  EXPECT_THAT(records[0].event.data, HasSubstr(R"("event_id":"v","event_type":"test.event")"));
}

TEST_F(SourceSinkTest, DeliverChecksSchemasAndMapsOutcomesToResults) {
  auto sink = Sink(InvalidEventPolicy::kReject);
  std::promise<DeliveryResults> promise;
  std::vector<CloudEvent> events = {Event("a"), Event("b", R"({"n":2.5})"),
                                    Event("c", "not json at all"), Event("d", "{}", "other")};
  sink->Deliver(std::move(events), [&](DeliveryResults r) { promise.set_value(std::move(r)); });
  DeliveryResults results = promise.get_future().get();
  ASSERT_EQ(results.size(), 4u);
  EXPECT_TRUE(results[0].has_value());
  ASSERT_FALSE(results[1].has_value());
  EXPECT_EQ(results[1].error().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(results[1].error().message(), HasSubstr("/data/n"));
  ASSERT_FALSE(results[2].has_value());
  EXPECT_THAT(results[2].error().message(), HasSubstr("not valid JSON"));
  EXPECT_TRUE(results[3].has_value()) << "a type without a schema is not checked";
}

TEST_F(SourceSinkTest, AFailedAppendLeavesTheIdFreeForARetry) {
  log::StreamOptions tiny = Stream("tiny");
  tiny.partitions = 1;
  tiny.quota_bytes = 1;
  log::Stream* full = log_->CreateStream(tiny).value();
  std::vector<CloudEvent> filler = {Event("filler")};
  full->AppendAndWait(filler);  // the segment header alone is over a 1-byte quota
  DedupOptions dedup_options;
  dedup_options.dir = dir_.path() + "/dedup-tiny";
  dedup_options.stream = full;
  dedup_options.background_flush = false;
  dedup_options.clock = &clock_;
  auto dedup = std::move(DedupWindow::Open(dedup_options).value());
  SourceSinkOptions options;
  options.name = "tiny";
  options.stream = full;
  options.dedup = dedup.get();
  auto sink = std::move(SourceSink::Create(options).value());
  std::vector<Submission> items;
  items.push_back(Valid(Event("a")));
  auto outcomes = SubmitAndWait(*sink, std::move(items));
  ASSERT_EQ(outcomes[0].kind, OutcomeKind::kFailed);
  EXPECT_EQ(outcomes[0].error.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(dedup->Claim("/tests/sink", "a").verdict, DedupVerdict::kNew);
}

TEST_F(SourceSinkTest, CountsOutcomesPerSource) {
  auto sink = Sink(InvalidEventPolicy::kReject);
  std::vector<Submission> items;
  items.push_back(Valid(Event("a")));
  items.push_back(Valid(Event("a")));
  items.push_back(Invalid("bad", "{}"));
  SubmitAndWait(*sink, std::move(items));
  std::string text = metrics_.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr(R"(eventlake_ingest_events_total{outcome="stored",source="web"} 1)"));
  EXPECT_THAT(text,
              HasSubstr(R"(eventlake_ingest_events_total{outcome="duplicate",source="web"} 1)"));
  EXPECT_THAT(text,
              HasSubstr(R"(eventlake_ingest_events_total{outcome="rejected",source="web"} 1)"));
}

TEST(SourceSinkCreate, RefusesDeadLetterPolicyWithoutAStream) {
  TempDir dir;
  auto log = std::move(log::Log::Open({dir.path() + "/log"}).value());
  log::StreamOptions options;
  options.name = "s";
  SourceSinkOptions sink;
  sink.stream = log->CreateStream(options).value();
  sink.on_invalid = InvalidEventPolicy::kDeadLetter;
  EXPECT_FALSE(SourceSink::Create(sink).has_value());
}

}  // namespace
}  // namespace eventlake::ingest
