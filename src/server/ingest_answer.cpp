// Rendering ingest outcomes as HTTP answers.
#include "server/ingest_answer.h"

#include <charconv>

#include "ingest/json_text.h"
#include "server/problem.h"

namespace eventlake::server {
namespace {

using ingest::AppendJsonString;
using ingest::Outcome;
using ingest::OutcomeKind;

// Appends `value` in decimal, without a temporary string.
void AppendNumber(uint64_t value, std::string* out) {
  char digits[20];
  char* end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
  out->append(digits, end);
}

void AppendHead(const Outcome& outcome, std::string* out) {
  out->append("{\"index\":");
  AppendNumber(outcome.index, out);
  if (!outcome.id.empty()) {
    out->append(",\"id\":");
    AppendJsonString(outcome.id, out);
  }
}

void AppendProblemFields(const ingest::IngestProblem& problem, std::string* out) {
  out->append("\"type\":");
  AppendJsonString(ingest::ProblemTypeName(problem.type), out);
  out->append(",\"detail\":");
  AppendJsonString(problem.detail, out);
  out->append(",\"pointer\":");
  AppendJsonString(problem.pointer, out);
}

void AppendAccepted(const Outcome& outcome, std::string_view dead_letter_stream, std::string* out) {
  AppendHead(outcome, out);
  if (outcome.kind == OutcomeKind::kDeadLettered) {
    out->append(",\"stream\":");
    AppendJsonString(dead_letter_stream, out);
  }
  out->append(",\"partition\":");
  AppendNumber(outcome.position.partition, out);
  out->append(",\"offset\":");
  AppendNumber(outcome.position.offset, out);
  if (outcome.kind == OutcomeKind::kDuplicate) out->append(",\"duplicate\":true");
  if (outcome.kind == OutcomeKind::kDeadLettered) {
    out->append(",\"dead_letter\":{");
    AppendProblemFields(outcome.problem, out);
    out->push_back('}');
  }
  out->push_back('}');
}

void AppendRejected(const Outcome& outcome, std::string* out) {
  AppendHead(outcome, out);
  out->append(",\"status\":" + std::to_string(ingest::ProblemHttpStatus(outcome.problem.type)) +
              ",");
  AppendProblemFields(outcome.problem, out);
  out->push_back('}');
}

void AppendFailed(const Outcome& outcome, std::string* out) {
  AppendHead(outcome, out);
  out->append(",\"type\":");
  AppendJsonString(StatusCodeName(outcome.error.code()), out);
  out->append(",\"status\":" + std::to_string(HttpStatusFor(outcome.error.code())) +
              ",\"detail\":");
  AppendJsonString(outcome.error.message(), out);
  out->push_back('}');
}

bool IsAccepted(OutcomeKind kind) {
  return kind == OutcomeKind::kStored || kind == OutcomeKind::kDuplicate ||
         kind == OutcomeKind::kDeadLettered;
}

// About what one accepted outcome takes, its id aside.
constexpr size_t kAcceptedBytes = 64;

// {"accepted":[...],"rejected":[...] and, when any failed, ,"failed":[...]:
// an object without its closing brace. Accepted outcomes, the common case,
// are written straight into it.
std::string Members(const std::vector<Outcome>& outcomes, std::string_view dead_letter_stream,
                    const Outcome** first_failure) {
  std::string members;
  size_t reserve = 40;
  for (const Outcome& outcome : outcomes) reserve += kAcceptedBytes + outcome.id.size();
  members.reserve(reserve);
  members.append("{\"accepted\":[");
  std::string rejected, failed;
  bool any_accepted = false;
  for (const Outcome& outcome : outcomes) {
    if (IsAccepted(outcome.kind)) {
      if (any_accepted) members.push_back(',');
      any_accepted = true;
      AppendAccepted(outcome, dead_letter_stream, &members);
    } else if (outcome.kind == OutcomeKind::kRejected) {
      if (!rejected.empty()) rejected.push_back(',');
      AppendRejected(outcome, &rejected);
    } else {
      if (*first_failure == nullptr) *first_failure = &outcome;
      if (!failed.empty()) failed.push_back(',');
      AppendFailed(outcome, &failed);
    }
  }
  members.append("],\"rejected\":[").append(rejected).push_back(']');
  if (*first_failure != nullptr) members.append(",\"failed\":[").append(failed).push_back(']');
  return members;
}

}  // namespace

HttpResponse AnswerOutcomes(const std::vector<Outcome>& outcomes, bool per_item,
                            std::string_view dead_letter_stream) {
  if (!per_item && outcomes.size() == 1) {
    const Outcome& outcome = outcomes[0];
    if (outcome.kind == OutcomeKind::kRejected) return ProblemResponse(outcome.problem);
    if (outcome.kind == OutcomeKind::kFailed) return ProblemResponse(outcome.error);
  }
  const Outcome* first_failure = nullptr;
  std::string members = Members(outcomes, dead_letter_stream, &first_failure);
  if (first_failure != nullptr) {
    return ProblemResponse(first_failure->error, std::string_view(members).substr(1));
  }
  members.push_back('}');
  return JsonResponse(std::move(members));
}

}  // namespace eventlake::server
