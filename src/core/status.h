// Status and Result<T>: how every fallible call in eventlake reports failure.
//
// A Status is a code plus a human message. Codes are chosen so that a caller
// can decide what to do without parsing text: retry (kUnavailable,
// kResourceExhausted), report bad input (kInvalidArgument), or stop and alert
// (kIOError, kCorruption). Result<T> is std::expected<T, Status>. Both are
// [[nodiscard]]; exceptions never cross a room's boundary.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace eventlake {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument,    // the caller's input is wrong; retrying will not help
  kNotFound,           // the named thing does not exist
  kAlreadyExists,      // create of something that exists
  kConflict,           // a concurrent change won (e.g. a commit race)
  kFailedPrecondition, // the system is not in a state to do this (e.g. partition failed)
  kPermissionDenied,   // authenticated, but not allowed
  kUnauthenticated,    // no or bad credentials
  kResourceExhausted,  // over a quota or a bounded queue: retry later (HTTP 429)
  kUnavailable,        // transiently unable: retry later (HTTP 503)
  kDeadlineExceeded,   // took too long
  kIOError,            // the operating system refused a read, write or sync
  kCorruption,         // stored data failed a checksum or a structural check
  kInternal,           // a bug: an invariant did not hold
};

// The stable lower_snake name of a code ("invalid_argument"), used in logs,
// metrics labels and problem+json types.
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  // So that EL_RETURN_IF_ERROR can `return Err(s)` from a function returning Status.
  Status(std::unexpected<Status> error) : Status(std::move(error.error())) {}  // NOLINT

  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // True for codes where the same call may succeed later.
  bool IsRetryable() const {
    return code_ == StatusCode::kUnavailable || code_ == StatusCode::kResourceExhausted;
  }

  // "io_error: fsync failed: No space left on device".
  std::string ToString() const;

  // A copy whose message is prefixed with context: "opening segment x: <message>".
  Status WithContext(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename T>
using Result = std::expected<T, Status>;

// Shorthands that read well at the call site: `return InvalidArgument("...")`.
inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
inline Status FailedPrecondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status PermissionDenied(std::string m) {
  return {StatusCode::kPermissionDenied, std::move(m)};
}
inline Status Unauthenticated(std::string m) { return {StatusCode::kUnauthenticated, std::move(m)}; }
inline Status ResourceExhausted(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status DeadlineExceeded(std::string m) {
  return {StatusCode::kDeadlineExceeded, std::move(m)};
}
inline Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
inline Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// IOError for a failed system call: "<what>: <strerror(errnum)>".
Status ErrnoError(std::string_view what, int errnum);

// Lets `return SomeStatus;` work in a function returning Result<T>.
inline std::unexpected<Status> Err(Status s) { return std::unexpected<Status>(std::move(s)); }

namespace internal {
inline Status ToStatus(Status s) { return s; }
template <typename T>
Status ToStatus(const Result<T>& r) {
  return r.has_value() ? Status() : r.error();
}
}  // namespace internal

}  // namespace eventlake

#define EL_CONCAT_INNER(a, b) a##b
#define EL_CONCAT(a, b) EL_CONCAT_INNER(a, b)

// Returns the Status of `expr` (a Status or Result) from the enclosing function
// when it is not OK. Works in functions returning Status or Result<T>.
#define EL_RETURN_IF_ERROR(expr)                                               \
  do {                                                                         \
    ::eventlake::Status el_status_ = ::eventlake::internal::ToStatus((expr));  \
    if (!el_status_.ok()) return ::eventlake::Err(std::move(el_status_));      \
  } while (false)

// `EL_ASSIGN_OR_RETURN(auto x, Compute());` declares x from a Result's value, or
// returns its error from the enclosing function.
#define EL_ASSIGN_OR_RETURN(lhs, expr) \
  EL_ASSIGN_OR_RETURN_IMPL(EL_CONCAT(el_result_, __LINE__), lhs, expr)
// `tmp` is an identifier and `lhs` may be a declaration: neither can be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define EL_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)                         \
  auto tmp = (expr);                                                     \
  if (!tmp.has_value()) return ::eventlake::Err(std::move(tmp).error()); \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
