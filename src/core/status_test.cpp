// Tests for Status, Result<T> and the propagation macros.
#include "core/status.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <set>
#include <string>

namespace eventlake {
namespace {

Status FailWith(StatusCode code) { return {code, "boom"}; }

Result<int> ResultOf(bool ok) {
  if (!ok) return Err(NotFound("no such thing"));
  return 42;
}

// EL_RETURN_IF_ERROR inside a function returning Status.
Status PropagatesStatus(bool ok, int* reached) {
  EL_RETURN_IF_ERROR(ok ? Status::Ok() : Unavailable("later"));
  ++*reached;
  return Status::Ok();
}

// EL_RETURN_IF_ERROR inside a function returning Result<T>, given a Result.
Result<std::string> PropagatesIntoResult(bool ok) {
  EL_RETURN_IF_ERROR(ResultOf(ok));
  return std::string("reached");
}

// EL_ASSIGN_OR_RETURN in both kinds of functions.
Result<int> DoublesResult(bool ok) {
  EL_ASSIGN_OR_RETURN(int value, ResultOf(ok));
  return value * 2;
}

Status AssignsInStatusFunction(bool ok, int* out) {
  EL_ASSIGN_OR_RETURN(*out, ResultOf(ok));
  return Status::Ok();
}

TEST(Status, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.ToString(), "ok");
  EXPECT_EQ(s, Status::Ok());
}

TEST(Status, ToStringJoinsCodeNameAndMessage) {
  EXPECT_EQ(IOError("fsync failed").ToString(), "io_error: fsync failed");
  EXPECT_EQ(InvalidArgument("bad").ToString(), "invalid_argument: bad");
}

TEST(Status, EqualityComparesCodeAndMessage) {
  EXPECT_EQ(NotFound("x"), NotFound("x"));
  EXPECT_NE(NotFound("x"), NotFound("y"));
  EXPECT_NE(NotFound("x"), Conflict("x"));
}

TEST(Status, WithContextPrefixesMessageAndKeepsCode) {
  Status s = Corruption("bad crc").WithContext("opening segment 7");
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_EQ(s.message(), "opening segment 7: bad crc");
}

TEST(Status, WithContextLeavesOkUntouched) {
  Status s = Status::Ok().WithContext("ignored");
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.message(), "");
}

TEST(Status, OnlyUnavailableAndResourceExhaustedAreRetryable) {
  for (int c = 0; c <= static_cast<int>(StatusCode::kInternal); ++c) {
    auto code = static_cast<StatusCode>(c);
    bool expected = code == StatusCode::kUnavailable || code == StatusCode::kResourceExhausted;
    EXPECT_EQ(FailWith(code).IsRetryable(), expected) << StatusCodeName(code);
  }
}

TEST(Status, EveryCodeHasADistinctStableName) {
  const std::pair<StatusCode, std::string_view> kNames[] = {
      {StatusCode::kOk, "ok"},
      {StatusCode::kInvalidArgument, "invalid_argument"},
      {StatusCode::kNotFound, "not_found"},
      {StatusCode::kAlreadyExists, "already_exists"},
      {StatusCode::kConflict, "conflict"},
      {StatusCode::kFailedPrecondition, "failed_precondition"},
      {StatusCode::kPermissionDenied, "permission_denied"},
      {StatusCode::kUnauthenticated, "unauthenticated"},
      {StatusCode::kResourceExhausted, "resource_exhausted"},
      {StatusCode::kUnavailable, "unavailable"},
      {StatusCode::kDeadlineExceeded, "deadline_exceeded"},
      {StatusCode::kIOError, "io_error"},
      {StatusCode::kCorruption, "corruption"},
      {StatusCode::kInternal, "internal"},
  };
  std::set<std::string_view> seen;
  for (const auto& [code, name] : kNames) {
    EXPECT_EQ(StatusCodeName(code), name);
    EXPECT_TRUE(seen.insert(name).second) << name;
  }
  EXPECT_EQ(std::size(kNames), static_cast<size_t>(StatusCode::kInternal) + 1);
  EXPECT_EQ(StatusCodeName(static_cast<StatusCode>(999)), "unknown");
}

TEST(Status, ShorthandsCarryTheirCodes) {
  EXPECT_EQ(InvalidArgument("").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(NotFound("").code(), StatusCode::kNotFound);
  EXPECT_EQ(AlreadyExists("").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Conflict("").code(), StatusCode::kConflict);
  EXPECT_EQ(FailedPrecondition("").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(PermissionDenied("").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Unauthenticated("").code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(ResourceExhausted("").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(Unavailable("").code(), StatusCode::kUnavailable);
  EXPECT_EQ(DeadlineExceeded("").code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(IOError("").code(), StatusCode::kIOError);
  EXPECT_EQ(Corruption("").code(), StatusCode::kCorruption);
  EXPECT_EQ(Internal("").code(), StatusCode::kInternal);
}

TEST(Status, ErrnoErrorIsIOErrorNamingTheCall) {
  Status s = ErrnoError("open /x", ENOENT);
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_EQ(s.message(), "open /x: No such file or directory");
}

TEST(Status, ReturnIfErrorStopsAFunctionReturningStatus) {
  int reached = 0;
  Status s = PropagatesStatus(false, &reached);
  EXPECT_EQ(s, Unavailable("later"));
  EXPECT_EQ(reached, 0);
  EXPECT_TRUE(PropagatesStatus(true, &reached).ok());
  EXPECT_EQ(reached, 1);
}

TEST(Status, ReturnIfErrorStopsAFunctionReturningResult) {
  Result<std::string> failed = PropagatesIntoResult(false);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error(), NotFound("no such thing"));
  Result<std::string> passed = PropagatesIntoResult(true);
  ASSERT_TRUE(passed.has_value());
  EXPECT_EQ(*passed, "reached");
}

TEST(Status, AssignOrReturnPropagatesErrorFromResult) {
  Result<int> failed = DoublesResult(false);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(DoublesResult(true).value(), 84);
}

TEST(Status, AssignOrReturnWorksInAFunctionReturningStatus) {
  int out = 0;
  EXPECT_EQ(AssignsInStatusFunction(false, &out).code(), StatusCode::kNotFound);
  EXPECT_EQ(out, 0);
  EXPECT_TRUE(AssignsInStatusFunction(true, &out).ok());
  EXPECT_EQ(out, 42);
}

TEST(Status, AssignOrReturnCanBeUsedTwiceInOneScope) {
  auto twice = []() -> Result<int> {
    EL_ASSIGN_OR_RETURN(int a, ResultOf(true));
    EL_ASSIGN_OR_RETURN(int b, ResultOf(true));
    return a + b;
  };
  EXPECT_EQ(twice().value(), 84);
}

TEST(Status, StatusConvertsFromUnexpected) {
  Status s = Err(Conflict("lost the race"));
  EXPECT_EQ(s, Conflict("lost the race"));
}

}  // namespace
}  // namespace eventlake
