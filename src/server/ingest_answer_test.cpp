// Tests of how ingest outcomes are answered: the exact body of an all-accepted
// batch, and the members a failure's problem+json carries beside its own.
#include "server/ingest_answer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace eventlake::server {
namespace {

using ingest::Outcome;
using ingest::OutcomeKind;

Outcome Accepted(OutcomeKind kind, size_t index, std::string id, uint64_t offset) {
  Outcome outcome;
  outcome.kind = kind;
  outcome.index = index;
  outcome.id = std::move(id);
  outcome.position = {.partition = 3, .offset = offset};
  return outcome;
}

TEST(AnswerOutcomes, AnAcceptedBatchListsEveryEntryInOrder) {
  std::vector<Outcome> outcomes = {Accepted(OutcomeKind::kStored, 0, "a\"1", 18446744073709551615u),
                                   Accepted(OutcomeKind::kDuplicate, 1, "b", 7)};
  HttpResponse response = AnswerOutcomes(outcomes, true, "web.dlq");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.body,
            R"({"accepted":[{"index":0,"id":"a\"1","partition":3,"offset":18446744073709551615},)"
            R"({"index":1,"id":"b","partition":3,"offset":7,"duplicate":true}],"rejected":[]})");
}

TEST(AnswerOutcomes, AFailureCarriesTheAcceptedRejectedAndFailedItems) {
  Outcome letter = Accepted(OutcomeKind::kDeadLettered, 0, "d", 4);
  letter.problem = {ingest::ProblemType::kSchemaViolation, "bad", "/data/x"};
  Outcome rejected;
  rejected.kind = OutcomeKind::kRejected;
  rejected.index = 1;
  rejected.problem = {ingest::ProblemType::kInvalidEvent, "no id", "/1/id"};
  Outcome failed;
  failed.kind = OutcomeKind::kFailed;
  failed.index = 2;
  failed.id = "f";
  failed.error = Unavailable("partition is closing");
  HttpResponse response = AnswerOutcomes({letter, rejected, failed}, true, "web.dlq");
  EXPECT_EQ(response.status, 503u);
  auto body = nlohmann::json::parse(response.body);
  ASSERT_EQ(body["accepted"].size(), 1u);
  EXPECT_EQ(body["accepted"][0]["stream"], "web.dlq");
  EXPECT_EQ(body["accepted"][0]["offset"], 4);
  EXPECT_EQ(body["accepted"][0]["dead_letter"]["pointer"], "/data/x");
  ASSERT_EQ(body["rejected"].size(), 1u);
  EXPECT_EQ(body["rejected"][0]["pointer"], "/1/id");
  EXPECT_EQ(body["rejected"][0]["status"], 400);
  ASSERT_EQ(body["failed"].size(), 1u);
  EXPECT_EQ(body["failed"][0]["id"], "f");
  EXPECT_EQ(body["failed"][0]["detail"], "partition is closing");
}

}  // namespace
}  // namespace eventlake::server
