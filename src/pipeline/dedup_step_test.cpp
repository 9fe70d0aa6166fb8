// DedupStep: duplicates dropped across and within batches, a record run
// again passing as its own claimant, the window, keys from attributes and
// data members, events without a key failing alone, and claims that
// survive a restart (and a torn journal).
#include "pipeline/dedup_step.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "log/log_test_util.h"
#include "pipeline/batch_test_util.h"

namespace eventlake::pipeline {
namespace {

using log::testing::TempDir;
using testing::HasSubstr;

BatchRecord Record(uint64_t offset, std::string data, std::string id = "", uint32_t partition = 0) {
  BatchRecord r;
  r.event.id = id.empty() ? "e" + std::to_string(offset) : std::move(id);
  r.event.source = "/tests";
  r.event.type = "t";
  r.event.data = std::move(data);
  r.offset = offset;
  r.partition = partition;
  return r;
}

std::vector<std::string> Ids(const StepResult& r, std::span<const BatchRecord> batch) {
  std::vector<std::string> ids;
  for (const CloudEvent& e : OutEvents(r, batch)) ids.push_back(e.id);
  return ids;
}

class DedupStepTest : public testing::Test {
 protected:
  std::unique_ptr<DedupStep> Make(std::vector<std::string> key, std::chrono::microseconds window = std::chrono::minutes(10)) {
    auto step = DedupStep::Create(
        {.key = std::move(key), .window = window, .journal_path = dir_.path() + "/p/dedup-0.journal", .clock = &clock_});
    EXPECT_TRUE(step.has_value()) << step.error().ToString();
    return step.has_value() ? std::move(*step) : nullptr;
  }

  TempDir dir_;
  ManualClock clock_;
};

TEST_F(DedupStepTest, DropsALaterEventOfAKeyAcrossAndWithinBatches) {
  auto step = Make({"data.order"});
  std::vector<BatchRecord> first = {Record(0, R"({"order": 1})"), Record(1, R"({"order": 2})"),
                                    Record(2, R"({"order": 1})")};
  StepResult a = step->Run(first);
  ASSERT_TRUE(a.status.ok()) << a.status.ToString();
  EXPECT_EQ(Ids(a, first), (std::vector<std::string>{"e0", "e1"}));
  std::vector<BatchRecord> second = {Record(3, R"({"order": 2})"), Record(4, R"({"order": 3})")};
  EXPECT_EQ(Ids(step->Run(second), second), (std::vector<std::string>{"e4"}));
  EXPECT_EQ(step->entries(), 3u);
}

TEST_F(DedupStepTest, JsonTextIsTheValueSoAStringAndANumberDiffer) {
  auto step = Make({"data.order"});
  std::vector<BatchRecord> batch = {Record(0, R"({"order": 7})"), Record(1, R"({"order": "7"})")};
  EXPECT_EQ(Ids(step->Run(batch), batch), (std::vector<std::string>{"e0", "e1"}));
}

TEST_F(DedupStepTest, ABatchThatRunsAgainPassesAsItsOwnClaimant) {
  auto step = Make({"data.order"});
  std::vector<BatchRecord> batch = {Record(10, R"({"order": 1})"), Record(11, R"({"order": 1})"),
                                    Record(12, R"({"order": 2})")};
  EXPECT_EQ(Ids(step->Run(batch), batch), (std::vector<std::string>{"e10", "e12"}));
  // The same records again (a crash before the group moved, a replay):
  // the same events pass, the in-batch duplicate is still dropped.
  EXPECT_EQ(Ids(step->Run(batch), batch), (std::vector<std::string>{"e10", "e12"}));
  // The same keys from another partition are duplicates.
  std::vector<BatchRecord> other = {Record(10, R"({"order": 1})", "x", /*partition=*/1)};
  EXPECT_TRUE(step->Run(other).out.empty());
}

TEST_F(DedupStepTest, ARedrivenDeadLetterIsNotADuplicateOfItsFirstRun) {
  auto step = Make({"data.order"});
  std::vector<BatchRecord> batch = {Record(5, R"({"order": 1})")};
  EXPECT_EQ(step->Run(batch).out.size(), 1u);
  std::vector<BatchRecord> redrive = {Record(0, R"({"order": 1})", "e5")};
  redrive[0].redriven = true;
  EXPECT_EQ(Ids(step->Run(redrive), redrive), (std::vector<std::string>{"e5"}));
}

TEST_F(DedupStepTest, AKeyPassesAgainOnceTheWindowIsOver) {
  auto step = Make({"data.order"}, std::chrono::seconds(60));
  std::vector<BatchRecord> first = {Record(0, R"({"order": 1})")};
  EXPECT_EQ(step->Run(first).out.size(), 1u);
  clock_.AdvanceMicros(59'000'000);
  std::vector<BatchRecord> second = {Record(1, R"({"order": 1})")};
  EXPECT_TRUE(step->Run(second).out.empty());
  clock_.AdvanceMicros(2'000'000);
  std::vector<BatchRecord> third = {Record(2, R"({"order": 1})")};
  EXPECT_EQ(Ids(step->Run(third), third), (std::vector<std::string>{"e2"}));
}

TEST_F(DedupStepTest, TheDefaultKeyIsTheCloudEventsIdentity) {
  auto step = Make({"source", "id"});
  std::vector<BatchRecord> batch = {Record(0, "{}", "a"), Record(1, "{}", "a"), Record(2, "{}", "b")};
  batch[2].event.source = "/elsewhere";
  std::vector<BatchRecord> again = {Record(3, "{}", "b")};  // b from /tests: not seen yet
  EXPECT_EQ(Ids(step->Run(batch), batch), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Ids(step->Run(again), again), (std::vector<std::string>{"b"}));
}

TEST_F(DedupStepTest, AnEventWithoutItsKeyFailsAloneWithTheReason) {
  auto step = Make({"data.user.id", "type"});
  std::vector<BatchRecord> batch = {Record(0, R"({"user": {"id": 1}})"), Record(1, R"({"user": {}})"),
                                    Record(2, "[1]"), Record(3, R"({"user": {"id": null}})")};
  StepResult r = step->Run(batch);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(Ids(r, batch), (std::vector<std::string>{"e0"}));
  ASSERT_EQ(r.failed.size(), 3u);
  EXPECT_EQ(r.failed[0].index, 1u);
  EXPECT_THAT(r.failed[0].error.ToString(), HasSubstr("no key field data.user.id"));
  EXPECT_EQ(r.failed[1].index, 2u);
  EXPECT_EQ(r.failed[2].index, 3u);
}

TEST_F(DedupStepTest, ClaimsSurviveARestart) {
  std::vector<BatchRecord> first = {Record(0, R"({"order": 1})"), Record(1, R"({"order": 2})")};
  EXPECT_EQ(Make({"data.order"})->Run(first).out.size(), 2u);
  auto step = Make({"data.order"});  // the journal read back
  EXPECT_EQ(step->entries(), 2u);
  std::vector<BatchRecord> second = {Record(2, R"({"order": 2})"), Record(3, R"({"order": 3})")};
  EXPECT_EQ(Ids(step->Run(second), second), (std::vector<std::string>{"e3"}));
  EXPECT_EQ(Ids(step->Run(first), first), (std::vector<std::string>{"e0", "e1"}));  // still their own
}

TEST_F(DedupStepTest, ClaimsOlderThanTheWindowAreNotLoaded) {
  std::vector<BatchRecord> first = {Record(0, R"({"order": 1})")};
  EXPECT_EQ(Make({"data.order"}, std::chrono::seconds(60))->Run(first).out.size(), 1u);
  clock_.AdvanceMicros(61'000'000);
  auto step = Make({"data.order"}, std::chrono::seconds(60));
  EXPECT_EQ(step->entries(), 0u);
}

TEST_F(DedupStepTest, ATornJournalTailLosesOnlyTheTornClaim) {
  const std::string path = dir_.path() + "/p/dedup-0.journal";
  {
    auto step = Make({"data.order"});
    std::vector<BatchRecord> a = {Record(0, R"({"order": 1})")};
    std::vector<BatchRecord> b = {Record(1, R"({"order": 2})")};
    step->Run(a);
    step->Run(b);
  }
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 48 - 10);  // into the second claim
  auto step = Make({"data.order"});
  EXPECT_EQ(step->entries(), 1u);
  std::vector<BatchRecord> again = {Record(9, R"({"order": 1})")};
  EXPECT_TRUE(step->Run(again).out.empty());
}

TEST(DedupStepConfig, RefusesKeysThatNameNothing) {
  EXPECT_FALSE(CheckDedupKeyField("price").ok());
  EXPECT_FALSE(CheckDedupKeyField("data.").ok());
  EXPECT_TRUE(CheckDedupKeyField("data.user.id").ok());
  EXPECT_TRUE(CheckDedupKeyField("subject").ok());
  auto none = DedupStep::Create({.key = {}, .journal_path = "/tmp/x"});
  EXPECT_FALSE(none.has_value());
}

}  // namespace
}  // namespace eventlake::pipeline
