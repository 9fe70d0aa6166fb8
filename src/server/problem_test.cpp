// Tests of the StatusCode -> HTTP table and the problem+json body.
#include "server/problem.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace eventlake::server {
namespace {

TEST(HttpStatusFor, MapsEveryCodeAsAgreed) {
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400u);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnauthenticated), 401u);
  EXPECT_EQ(HttpStatusFor(StatusCode::kPermissionDenied), 403u);
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404u);
  EXPECT_EQ(HttpStatusFor(StatusCode::kAlreadyExists), 409u);
  EXPECT_EQ(HttpStatusFor(StatusCode::kConflict), 409u);
  EXPECT_EQ(HttpStatusFor(StatusCode::kFailedPrecondition), 409u);
  EXPECT_EQ(HttpStatusFor(StatusCode::kResourceExhausted), 429u);
  EXPECT_EQ(HttpStatusFor(StatusCode::kDeadlineExceeded), 504u);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnavailable), 503u);
  EXPECT_EQ(HttpStatusFor(StatusCode::kIOError), 500u);
  EXPECT_EQ(HttpStatusFor(StatusCode::kCorruption), 500u);
  EXPECT_EQ(HttpStatusFor(StatusCode::kInternal), 500u);
}

TEST(ProblemResponse, WritesRfc9457Body) {
  HttpResponse response = ProblemResponse(NotFound("no stream \"x\"\n"));
  EXPECT_EQ(response.status, 404u);
  EXPECT_EQ(response.content_type, "application/problem+json");
  auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["type"], "https://eventlake.dev/problems/not_found");
  EXPECT_EQ(body["status"], 404);
  EXPECT_EQ(body["detail"], "no stream \"x\"\n");
  EXPECT_TRUE(body["title"].is_string());
  EXPECT_TRUE(response.headers.empty());
}

TEST(ProblemResponse, AddsRetryAfterToRetryableCodes) {
  for (Status s : {ResourceExhausted("full"), Unavailable("later")}) {
    HttpResponse response = ProblemResponse(s);
    ASSERT_EQ(response.headers.size(), 1u) << s.ToString();
    EXPECT_EQ(response.headers[0].first, "Retry-After");
    EXPECT_EQ(response.headers[0].second, "1");
  }
}

TEST(ProblemResponse, AppendsExtensionMembers) {
  HttpResponse response = ProblemResponse(IOError("disk"), R"("accepted":[])");
  auto body = nlohmann::json::parse(response.body);
  EXPECT_TRUE(body["accepted"].is_array());
  EXPECT_EQ(body["status"], 500);
}

TEST(ProblemResponse, NamesHttpLevelProblems) {
  HttpResponse response = ProblemResponse(413, "payload_too_large", "too big");
  auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["type"], "https://eventlake.dev/problems/payload_too_large");
  EXPECT_EQ(body["title"], "Payload Too Large");
}

}  // namespace
}  // namespace eventlake::server
