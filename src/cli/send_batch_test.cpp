// Tests of `eventlake send`'s batching (by count, bytes and kind), the
// reading of per-item answers, the backoff schedule and Retry-After.
#include "cli/send_batch.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/send_retry.h"

namespace eventlake::cli {
namespace {

using std::chrono::milliseconds;

InputRecord Record(std::string json, uint64_t index, bool cloudevent = false) {
  return InputRecord{std::move(json), cloudevent, index + 1, index};
}

// Feeds `records` and returns every batch, the flushed last one included.
std::vector<Batch> BatchAll(Batcher& batcher, const std::vector<InputRecord>& records) {
  std::vector<Batch> out;
  for (const InputRecord& record : records) {
    for (Batch& batch : batcher.Add(record, 0)) out.push_back(std::move(batch));
  }
  if (auto last = batcher.Flush()) out.push_back(std::move(*last));
  return out;
}

TEST(Batcher, ClosesABatchAtTheEventCount) {
  Batcher batcher(2, 1 << 20);
  auto batches =
      BatchAll(batcher, {Record("{\"a\":0}", 0), Record("{\"a\":1}", 1), Record("{\"a\":2}", 2),
                         Record("{\"a\":3}", 3), Record("{\"a\":4}", 4)});
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].body, "[{\"a\":0},{\"a\":1}]");
  EXPECT_EQ(batches[1].body, "[{\"a\":2},{\"a\":3}]");
  EXPECT_EQ(batches[2].body, "[{\"a\":4}]");
  EXPECT_EQ(batches[2].items[0].index, 4u);
  EXPECT_EQ(batches[2].items[0].line, 5u);
}

TEST(Batcher, NeverLetsABodyGrowPastTheByteLimit) {
  // Each record is 7 bytes: "[r]" is 9, "[r,r]" 17, "[r,r,r]" 25.
  Batcher batcher(100, 20);
  std::vector<InputRecord> records;
  for (int i = 0; i < 5; ++i) records.push_back(Record("{\"a\":" + std::to_string(i) + "}", i));
  auto batches = BatchAll(batcher, records);
  ASSERT_EQ(batches.size(), 3u);
  for (const Batch& batch : batches) {
    EXPECT_LE(batch.body.size(), 20u) << batch.body;
    EXPECT_TRUE(nlohmann::json::accept(batch.body)) << batch.body;
  }
  EXPECT_EQ(batches[0].size(), 2u);
  EXPECT_EQ(batches[2].size(), 1u);
}

TEST(Batcher, ClosesExactlyAtTheByteLimit) {
  Batcher batcher(100, 17);  // two 7-byte records make exactly 17 bytes
  auto closed = batcher.Add(Record("{\"a\":0}", 0), 0);
  EXPECT_TRUE(closed.empty());
  closed = batcher.Add(Record("{\"a\":1}", 1), 0);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].body.size(), 17u);
  EXPECT_FALSE(batcher.Flush().has_value());
}

TEST(Batcher, ARecordLargerThanTheLimitTravelsAlone) {
  Batcher batcher(100, 10);
  auto batches = BatchAll(batcher, {Record("{\"a\":1}", 0), Record("{\"big\":\"xxxxxxxx\"}", 1),
                                    Record("{\"a\":2}", 2)});
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[1].body, "[{\"big\":\"xxxxxxxx\"}]");
}

TEST(Batcher, AChangeOfKindClosesTheBatch) {
  Batcher batcher(100, 1 << 20);
  auto batches =
      BatchAll(batcher, {Record("{\"a\":1}", 0), Record("{\"specversion\":\"1.0\"}", 1, true),
                         Record("{\"specversion\":\"1.0\"}", 2, true), Record("{\"a\":2}", 3)});
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_FALSE(batches[0].cloudevents);
  EXPECT_TRUE(batches[1].cloudevents);
  EXPECT_EQ(batches[1].size(), 2u);
  EXPECT_FALSE(batches[2].cloudevents);
}

TEST(Batcher, AnOversizedRecordOfAnotherKindClosesTwoBatchesInOrder) {
  Batcher batcher(10, 10);
  EXPECT_TRUE(batcher.Add(Record("{\"a\":1}", 0), 0).empty());
  auto closed = batcher.Add(Record("{\"specversion\":\"1.0\"}", 1, true), 0);
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_FALSE(closed[0].cloudevents);
  EXPECT_TRUE(closed[1].cloudevents);
  EXPECT_FALSE(batcher.Flush().has_value());
}

HttpResponse Answer(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.content_type = status / 100 == 2 ? "application/json" : "application/problem+json";
  response.body = std::move(body);
  return response;
}

TEST(ParseBatchAnswer, ReadsAcceptedIdsAndRejectedItemsWithReasons) {
  auto answer = ParseBatchAnswer(
      Answer(200, R"({"accepted":[{"id":"a","partition":0,"offset":1},{"partition":1}],)"
                  R"("rejected":[{"index":2,"detail":"missing type","pointer":"/2/type"},)"
                  R"({"index":3,"error":{"detail":"bad time"}},{"id":"e"}]})"));
  EXPECT_EQ(answer.accepted_ids, (std::vector<std::string>{"a", "#1"}));
  ASSERT_EQ(answer.rejected.size(), 3u);
  EXPECT_EQ(answer.rejected[0].index, 2u);
  EXPECT_EQ(answer.rejected[0].reason, "missing type (at /type)");
  EXPECT_EQ(answer.rejected[1].reason, "bad time");
  EXPECT_FALSE(answer.rejected[2].index.has_value());
  EXPECT_EQ(answer.rejected[2].id, "e");
  EXPECT_EQ(answer.rejected[2].reason, "rejected (the server gave no reason)");
}

TEST(ParseBatchAnswer, TakesTheIndexFromAPointerIntoTheBatch) {
  auto answer = ParseBatchAnswer(
      Answer(200, R"({"accepted":[],"rejected":[{"detail":"bad time","pointer":"/3/time"},)"
                  R"({"index":1,"detail":"x","pointer":"/7"},{"detail":"y","pointer":"/data"}]})"));
  ASSERT_EQ(answer.rejected.size(), 3u);
  EXPECT_EQ(answer.rejected[0].index, 3u);
  EXPECT_EQ(answer.rejected[0].reason, "bad time (at /time)");
  EXPECT_EQ(answer.rejected[1].index, 1u);  // an explicit index wins
  EXPECT_EQ(answer.rejected[1].reason, "x");
  EXPECT_FALSE(answer.rejected[2].index.has_value());
  EXPECT_EQ(answer.rejected[2].reason, "y (at /data)");
}

TEST(ParseBatchAnswer, ReadsAcceptedFromAProblemAndIgnoresOtherBodies) {
  auto partial = ParseBatchAnswer(Answer(
      503, R"({"type":"https://eventlake.dev/problems/unavailable","accepted":[{"id":"x"}]})"));
  EXPECT_EQ(partial.accepted_ids, std::vector<std::string>{"x"});
  EXPECT_TRUE(ParseBatchAnswer(Answer(502, "<html>bad gateway</html>")).accepted_ids.empty());
  EXPECT_TRUE(ParseBatchAnswer(Answer(200, "[1,2]")).rejected.empty());
}

TEST(RetryDelay, DoublesFromTheInitialDelayUpToTheMaximum) {
  BackoffOptions options;
  options.initial = milliseconds(100);
  options.max = milliseconds(1000);
  // random 1.0 is the top of the jitter range: exactly the exponential value.
  std::vector<int64_t> top, bottom;
  for (int retry = 0; retry < 6; ++retry) {
    top.push_back(RetryDelay(retry, std::nullopt, 1.0, options).count());
    bottom.push_back(RetryDelay(retry, std::nullopt, 0.0, options).count());
  }
  EXPECT_EQ(top, (std::vector<int64_t>{100, 200, 400, 800, 1000, 1000}));
  EXPECT_EQ(bottom, (std::vector<int64_t>{50, 100, 200, 400, 500, 500}));
  EXPECT_EQ(RetryDelay(2, std::nullopt, 0.5, options).count(), 300);
}

TEST(RetryDelay, NeverComesBackBeforeRetryAfter) {
  BackoffOptions options;
  options.initial = milliseconds(100);
  for (double random : {0.0, 0.3, 0.99}) {
    auto delay = RetryDelay(0, milliseconds(1000), random, options);
    EXPECT_GE(delay.count(), 1000) << random;
    EXPECT_LE(delay.count(), 1250) << random;
  }
  EXPECT_EQ(RetryDelay(0, milliseconds(1000), 0.4, options).count(), 1100);
  // A long backoff is kept when it is longer than Retry-After.
  EXPECT_EQ(RetryDelay(6, milliseconds(1000), 1.0, options).count(), 6400);
}

TEST(RetryDelay, CapsAnAbsurdRetryAfterAndSurvivesHugeRetryCounts) {
  BackoffOptions options;
  options.max_retry_after = milliseconds(60000);
  EXPECT_EQ(RetryDelay(0, milliseconds(86400000), 0.0, options).count(), 60000);
  EXPECT_EQ(RetryDelay(1000, std::nullopt, 1.0, options), options.max);
}

TEST(ParseRetryAfter, ReadsSecondsAndHttpDates) {
  auto now = std::chrono::sys_days(std::chrono::year(2026) / 10 / 21) + std::chrono::hours(7) +
             std::chrono::minutes(28);
  EXPECT_EQ(ParseRetryAfter("1", now), milliseconds(1000));
  EXPECT_EQ(ParseRetryAfter(" 120 ", now), milliseconds(120000));
  EXPECT_EQ(ParseRetryAfter("0", now), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2026 07:28:30 GMT", now), milliseconds(30000));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2026 07:00:00 GMT", now), milliseconds(0));  // past
}

TEST(ParseRetryAfter, RejectsMalformedValues) {
  auto now = std::chrono::system_clock::now();
  for (const char* value :
       {"", "-1", "1.5", "+3", "soon", "1s", "99999999999999", "Wed, 32 Oct 2026 07:28:00 GMT",
        "Wed, 21 Foo 2026 07:28:00 GMT", "Wed, 21 Oct 2026 25:28:00 GMT",
        "Wed, 21 Oct 2026 07:28:00 UTC", "Wednesday, 21-Oct-26 07:28:00 GMT"}) {
    EXPECT_FALSE(ParseRetryAfter(value, now).has_value()) << value;
  }
}

}  // namespace
}  // namespace eventlake::cli
