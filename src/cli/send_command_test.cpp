// Tests of `eventlake send`'s Sender against a scripted fake server (no
// network, no sleeping): content types and headers, retries on 429/503 with
// the backoff schedule, giving up, refused batches, per-item rejections
// mapped back to input lines; and the progress and summary texts.
#include <gtest/gtest.h>

#include <deque>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/progress.h"
#include "cli/send_input.h"
#include "cli/send_sender.h"

namespace eventlake::cli {
namespace {

using std::chrono::milliseconds;

struct Request {
  std::string path, body, content_type;
  HttpHeaders headers;
  std::string Header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return "";
  }
};

HttpResponse Answer(int status, std::string body, std::string retry_after = "") {
  HttpResponse response;
  response.status = status;
  response.content_type = status / 100 == 2 ? "application/json" : "application/problem+json";
  response.body = std::move(body);
  response.retry_after = std::move(retry_after);
  return response;
}

std::string Problem(int status, const char* name, const char* detail) {
  return std::string(R"({"type":"https://eventlake.dev/problems/)") + name + R"(","status":)" +
         std::to_string(status) + R"(,"detail":")" + detail + R"("})";
}

// Answers requests from a script; when the script runs out, accepts
// everything with ids "<n>".
class FakeServer {
 public:
  std::deque<HttpResponse> script;
  std::vector<Request> requests;
  std::vector<milliseconds> sleeps;
  std::ostringstream messages;

  SendEnvironment Environment() {
    SendEnvironment env;
    env.post = [this](std::string_view path, std::string_view body, std::string_view type,
                      const HttpHeaders& headers) -> Result<HttpResponse> {
      requests.push_back({std::string(path), std::string(body), std::string(type), headers});
      if (script.empty()) return AcceptAll(body);
      HttpResponse next = script.front();
      script.pop_front();
      return next;
    };
    env.sleep = [this](milliseconds delay) {
      sleeps.push_back(delay);
      return true;
    };
    env.random = [] { return 1.0; };  // the top of the jitter range: the plain schedule
    env.new_key = [this] { return "key" + std::to_string(requests.size()); };
    env.now = [] { return std::chrono::system_clock::time_point(); };
    env.messages = &messages;
    return env;
  }

 private:
  HttpResponse AcceptAll(std::string_view body) {
    auto items = nlohmann::json::parse(body);
    nlohmann::json accepted = nlohmann::json::array();
    for (size_t i = 0; i < items.size(); ++i) {
      accepted.push_back({{"id", std::to_string(next_id_++)}, {"partition", 0}, {"offset", i}});
    }
    return Answer(200, nlohmann::json({{"accepted", accepted}}).dump());
  }
  uint64_t next_id_ = 0;
};

SendOptions Options(size_t batch_size = 500, int max_retries = 10) {
  SendOptions options;
  options.source = "web";
  options.batch_size = batch_size;
  options.max_retries = max_retries;
  options.backoff.initial = milliseconds(100);
  return options;
}

Status SendText(Sender& sender, const std::string& text, const char* name = "in.ndjson") {
  std::istringstream in(text);
  auto reader = OpenRecordReader(in, InputFormat::kAuto);
  Status status = sender.SendAll(*reader, name);
  return status.ok() ? sender.Finish() : status;
}

std::string Lines(int n) {
  std::string text;
  for (int i = 0; i < n; ++i) text += "{\"n\":" + std::to_string(i) + "}\n";
  return text;
}

TEST(Sender, PostsPlainObjectsAsJsonWithTypeAndOneKeyPerBatch) {
  FakeServer server;
  SendOptions options = Options(2);
  options.type = "page viewed";
  Sender sender(options, server.Environment());
  ASSERT_TRUE(SendText(sender, Lines(3)).ok());
  ASSERT_EQ(server.requests.size(), 2u);
  const Request& first = server.requests[0];
  EXPECT_EQ(first.path, "/v1/sources/web/events");
  EXPECT_EQ(first.content_type, "application/json");
  EXPECT_EQ(first.body, "[{\"n\":0},{\"n\":1}]");
  EXPECT_EQ(first.Header("ce-type"), "page%20viewed");
  EXPECT_NE(first.Header("Idempotency-Key"), server.requests[1].Header("Idempotency-Key"));
  EXPECT_EQ(sender.stats().accepted, 3u);
  EXPECT_EQ(sender.stats().events_sent, 3u);
  EXPECT_EQ(sender.stats().retries, 0u);
}

TEST(Sender, PostsCloudEventsAsABatchWithoutWrappingHeaders) {
  FakeServer server;
  SendOptions options = Options();
  options.type = "ignored";
  Sender sender(options, server.Environment());
  ASSERT_TRUE(SendText(sender, R"({"specversion":"1.0","id":"a","source":"/s","type":"t"})"
                               "\n")
                  .ok());
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(server.requests[0].content_type, "application/cloudevents-batch+json");
  EXPECT_TRUE(server.requests[0].headers.empty());
}

TEST(Sender, RetriesTheSameBatchOn429And503WithBackoffHonouringRetryAfter) {
  FakeServer server;
  server.script = {Answer(429, Problem(429, "resource_exhausted", "over quota"), "1"),
                   Answer(503, Problem(503, "unavailable", "busy")),
                   Answer(429, Problem(429, "resource_exhausted", "over quota"), "0")};
  Sender sender(Options(), server.Environment());
  ASSERT_TRUE(SendText(sender, Lines(2)).ok());
  ASSERT_EQ(server.requests.size(), 4u);
  for (const Request& r : server.requests) {
    EXPECT_EQ(r.body, server.requests[0].body);
    EXPECT_EQ(r.Header("Idempotency-Key"), server.requests[0].Header("Idempotency-Key"));
  }
  // Retry-After 1 s (x1.25 jitter at random 1.0), then 200 ms, then 400 ms.
  EXPECT_EQ(server.sleeps,
            (std::vector<milliseconds>{milliseconds(1250), milliseconds(200), milliseconds(400)}));
  EXPECT_EQ(sender.stats().retries, 3u);
  EXPECT_EQ(sender.stats().accepted, 2u);
}

TEST(Sender, GivesUpAfterMaxRetriesWithTheServersDetail) {
  FakeServer server;
  for (int i = 0; i < 3; ++i) {
    server.script.push_back(
        Answer(429, Problem(429, "resource_exhausted", "stream events is over its quota"), "1"));
  }
  Sender sender(Options(500, 2), server.Environment());
  Status status = SendText(sender, Lines(2));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(),
            "the server still refused after 2 retries (HTTP 429): stream events is over its "
            "quota (sending in.ndjson lines 1-2)");
  EXPECT_EQ(server.requests.size(), 3u);
  EXPECT_EQ(sender.stats().retries, 2u);
  EXPECT_EQ(sender.stats().accepted, 0u);
}

TEST(Sender, StopsAtARefusedBatchAfterCountingWhatWasAccepted) {
  FakeServer server;
  server.script = {Answer(200, R"({"accepted":[{"id":"a"},{"id":"b"}]})"),
                   Answer(404, Problem(404, "not_found", "no source named 'web'"))};
  Sender sender(Options(2), server.Environment());
  Status status = SendText(sender, Lines(5));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "no source named 'web' (sending in.ndjson lines 3-4)");
  EXPECT_EQ(server.requests.size(), 2u);
  EXPECT_EQ(sender.stats().accepted, 2u);
  EXPECT_TRUE(server.sleeps.empty());
}

TEST(Sender, CountsIdsStoredByAPartialFailureOnceAcrossTheRetry) {
  FakeServer server;
  server.script = {Answer(429, R"({"type":"x/resource_exhausted","accepted":[{"id":"k-0"}]})"),
                   Answer(200, R"({"accepted":[{"id":"k-0"},{"id":"k-1"}]})")};
  Sender sender(Options(), server.Environment());
  ASSERT_TRUE(SendText(sender, Lines(2)).ok());
  EXPECT_EQ(sender.stats().accepted, 2u);
  EXPECT_EQ(sender.stats().retries, 1u);
}

TEST(Sender, ReportsRejectedItemsByInputLineAndKeepsGoing) {
  FakeServer server;
  server.script = {Answer(200, R"({"accepted":[{"id":"a"}],"rejected":[)"
                               R"({"index":1,"detail":"missing type","pointer":"/1/type"}]})")};
  Sender sender(Options(2), server.Environment());
  ASSERT_TRUE(SendText(sender, "\n" + Lines(4), "x.ndjson").ok());
  EXPECT_EQ(server.messages.str(), "x.ndjson:3: item 1 rejected: missing type (at /type)\n");
  EXPECT_EQ(sender.stats().accepted, 3u);
  EXPECT_EQ(sender.stats().rejected, 1u);
  EXPECT_EQ(sender.stats().events_sent, 4u);
}

TEST(Sender, SendsTheRecordsBeforeAMalformedLineThenNamesIt) {
  FakeServer server;
  Sender sender(Options(), server.Environment());
  Status status = SendText(sender, Lines(2) + "{oops}\n" + Lines(1), "bad.ndjson");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(status.message().starts_with("bad.ndjson: line 3: not valid JSON"))
      << status.message();
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(sender.stats().accepted, 2u);
}

TEST(Sender, StopsWhenTheServerCannotBeReachedOrTheWaitIsInterrupted) {
  FakeServer server;
  SendEnvironment env = server.Environment();
  env.post = [](std::string_view, std::string_view, std::string_view, const HttpHeaders&) {
    return Result<HttpResponse>(Err(Unavailable("cannot reach eventlake")));
  };
  Sender unreachable(Options(), env);
  EXPECT_EQ(SendText(unreachable, Lines(1)).message(), "cannot reach eventlake");

  server.script = {Answer(503, Problem(503, "unavailable", "busy"))};
  env = server.Environment();
  env.sleep = [](milliseconds) { return false; };
  Sender interrupted(Options(), env);
  EXPECT_EQ(SendText(interrupted, Lines(1)).message(), "interrupted");
}

TEST(CeHeaderValue, PercentEncodesSpaceQuotesPercentAndNonAscii) {
  EXPECT_EQ(CeHeaderValue("order.created"), "order.created");
  EXPECT_EQ(CeHeaderValue("a b\"c%d\xC3\xA9\n"), "a%20b%22c%25d%C3%A9%0A");
}

TEST(FormatSummary, NamesAcceptedRejectedRetriesAndElapsedTime) {
  SendStats stats;
  stats.accepted = 2500;
  stats.retries = 1;
  EXPECT_EQ(FormatSummary(stats, milliseconds(420)),
            "2500 events accepted, 0 rejected, 1 retry in 0.42s");
  stats.accepted = 1;
  stats.rejected = 3;
  stats.retries = 0;
  EXPECT_EQ(FormatSummary(stats, std::chrono::seconds(125)),
            "1 event accepted, 3 rejected, 0 retries in 2m05s");
}

TEST(FormatProgress, ShowsEventsRateBytesAndRetriesWhenAny) {
  SendStats stats;
  stats.events_sent = 12000;
  stats.bytes_sent = 3 << 20;
  EXPECT_EQ(FormatProgress(stats, std::chrono::seconds(3)),
            "sent 12000 events (4000 events/s), 3.0 MiB");
  stats.retries = 2;
  EXPECT_EQ(FormatProgress(stats, std::chrono::seconds(0)),
            "sent 12000 events (0 events/s), 3.0 MiB, 2 retries");
}

TEST(ProgressLine, RedrawsAtMostTenTimesASecondAndClearsItsLine) {
  ManualClock clock;
  std::ostringstream out;
  ProgressLine progress(out, true, clock);
  const std::string line = "sent 0 events (0 events/s), 0 B";
  progress.Update(SendStats());
  clock.AdvanceMicros(50'000);
  progress.Update(SendStats());  // too soon: not drawn
  EXPECT_EQ(out.str(), "\r" + line);
  clock.AdvanceMicros(50'000);
  progress.Update(SendStats());
  EXPECT_EQ(out.str(), "\r" + line + "\r" + line);
  out.str("");
  progress.Clear();
  EXPECT_EQ(out.str(), "\r" + std::string(line.size(), ' ') + "\r");
}

TEST(ProgressLine, DrawsNothingWhenDisabled) {
  ManualClock clock;
  std::ostringstream out;
  ProgressLine progress(out, false, clock);
  progress.Update(SendStats());
  progress.Clear();
  EXPECT_EQ(out.str(), "");
}

}  // namespace
}  // namespace eventlake::cli
