// Rendering ingest outcomes as HTTP answers.
#include "server/ingest_answer.h"

#include "ingest/json_text.h"
#include "server/problem.h"

namespace eventlake::server {
namespace {

using ingest::AppendJsonString;
using ingest::Outcome;
using ingest::OutcomeKind;

void AppendHead(const Outcome& outcome, std::string* out) {
  out->append("{\"index\":" + std::to_string(outcome.index));
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
  out->append(",\"partition\":" + std::to_string(outcome.position.partition) +
              ",\"offset\":" + std::to_string(outcome.position.offset));
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

// "accepted":[...],"rejected":[...] and, when any failed, ,"failed":[...].
std::string Members(const std::vector<Outcome>& outcomes, std::string_view dead_letter_stream,
                    const Outcome** first_failure) {
  std::string accepted, rejected, failed;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const Outcome& outcome = outcomes[i];
    if (IsAccepted(outcome.kind)) {
      if (!accepted.empty()) accepted.push_back(',');
      AppendAccepted(outcome, dead_letter_stream, &accepted);
    } else if (outcome.kind == OutcomeKind::kRejected) {
      if (!rejected.empty()) rejected.push_back(',');
      AppendRejected(outcome, &rejected);
    } else {
      if (*first_failure == nullptr) *first_failure = &outcome;
      if (!failed.empty()) failed.push_back(',');
      AppendFailed(outcome, &failed);
    }
  }
  std::string members = "\"accepted\":[" + accepted + "],\"rejected\":[" + rejected + "]";
  if (*first_failure != nullptr) members += ",\"failed\":[" + failed + "]";
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
  if (first_failure != nullptr) return ProblemResponse(first_failure->error, members);
  return JsonResponse("{" + members + "}");
}

}  // namespace eventlake::server
