// The batching, retrying sender of `eventlake send` (see send_sender.h).
//
// Accepted events are counted once per batch, as the union of the ids the
// server listed over all attempts: a 429 that stored part of a batch (one
// partition's queue full, others not) lists what it stored, and the retry
// that follows may list the same ids again.
#include "cli/send_sender.h"

#include <set>

namespace eventlake::cli {
namespace {

constexpr std::string_view kCloudEventsBatch = "application/cloudevents-batch+json";
constexpr std::string_view kPlainJson = "application/json";

}  // namespace

std::string CeHeaderValue(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (c > 0x20 && c < 0x7F && c != '"' && c != '%') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

Sender::Sender(SendOptions options, SendEnvironment environment)
    : options_(std::move(options)),
      env_(std::move(environment)),
      path_("/v1/sources/" + UrlEncode(options_.source) + "/events"),
      batcher_(options_.batch_size, options_.batch_bytes) {}

Status Sender::SendAll(RecordReader& reader, std::string_view name) {
  auto input = static_cast<uint32_t>(names_.size());
  names_.emplace_back(name);
  InputRecord record;
  for (;;) {
    auto more = reader.Next(&record);
    if (!more.has_value()) {
      EL_RETURN_IF_ERROR(Finish());  // what came before the bad record
      return Status(more.error().code(), names_[input] + ": " + more.error().message());
    }
    if (!*more) return Status::Ok();
    for (const Batch& batch : batcher_.Add(record, input)) EL_RETURN_IF_ERROR(SendBatch(batch));
  }
}

Status Sender::Finish() {
  if (auto batch = batcher_.Flush()) return SendBatch(*batch);
  return Status::Ok();
}

Status Sender::SendBatch(const Batch& batch) {
  std::set<std::string> accepted;  // over all attempts
  Status status = PostUntilAnswered(batch, &accepted);
  stats_.accepted += accepted.size();
  if (env_.progress != nullptr) env_.progress->Update(stats_);
  return status;
}

Status Sender::PostUntilAnswered(const Batch& batch, std::set<std::string>* accepted) {
  HttpHeaders headers;
  if (!batch.cloudevents) {
    headers.emplace_back("Idempotency-Key", env_.new_key());  // the same for every attempt
    if (options_.type) headers.emplace_back("ce-type", CeHeaderValue(*options_.type));
  }
  std::string_view content_type = batch.cloudevents ? kCloudEventsBatch : kPlainJson;
  for (int retry = 0;; ++retry) {
    auto response = env_.post(path_, batch.body, content_type, headers);
    if (!response.has_value()) return response.error();
    stats_.bytes_sent += batch.body.size();
    BatchAnswer answer = ParseBatchAnswer(*response);
    accepted->insert(answer.accepted_ids.begin(), answer.accepted_ids.end());
    if (response->status / 100 == 2 || !answer.rejected.empty()) {
      stats_.events_sent += batch.size();
      ReportRejected(batch, answer.rejected);
      return Status::Ok();
    }
    bool retryable = IsRetryableHttpStatus(response->status);
    if (!retryable || retry >= options_.max_retries) return Refused(batch, *response, retryable);
    if (!WaitBeforeRetry(retry, *response)) return Unavailable("interrupted");
  }
}

Status Sender::Refused(const Batch& batch, const HttpResponse& response, bool gave_up) const {
  Status refused = StatusFromHttpError(response.status, response.content_type, response.body);
  std::string message = refused.message() + " (sending " + DescribeItems(batch) + ")";
  if (gave_up) {
    message = "the server still refused after " + std::to_string(options_.max_retries) +
              " retries (HTTP " + std::to_string(response.status) + "): " + message;
  }
  return Status(refused.code(), std::move(message));
}

bool Sender::WaitBeforeRetry(int retry, const HttpResponse& response) {
  auto retry_after = ParseRetryAfter(response.retry_after, env_.now());
  auto delay = RetryDelay(retry, retry_after, env_.random(), options_.backoff);
  ++stats_.retries;
  if (env_.progress != nullptr) env_.progress->Update(stats_);
  return env_.sleep(delay);
}

void Sender::ReportRejected(const Batch& batch, const std::vector<RejectedItem>& rejected) {
  if (rejected.empty()) return;
  stats_.rejected += rejected.size();
  if (env_.progress != nullptr) env_.progress->Clear();
  std::string out;
  for (const RejectedItem& item : rejected) {
    if (item.index && *item.index < batch.size()) {
      const BatchItem& where = batch.items[*item.index];
      out += names_[where.input] + ":" + std::to_string(where.line) + ": item " +
             std::to_string(where.index);
    } else {
      out += DescribeItems(batch) + ": an event";
    }
    if (!item.id.empty()) out += " (id " + item.id + ")";
    out += " rejected: " + item.reason + "\n";
  }
  *env_.messages << out << std::flush;
}

std::string Sender::DescribeItems(const Batch& batch) const {
  if (batch.items.empty()) return "nothing";
  const BatchItem& first = batch.items.front();
  const BatchItem& last = batch.items.back();
  if (first.input != last.input) {
    return names_[first.input] + " line " + std::to_string(first.line) + " to " +
           names_[last.input] + " line " + std::to_string(last.line);
  }
  if (first.line == last.line) return names_[first.input] + " line " + std::to_string(first.line);
  return names_[first.input] + " lines " + std::to_string(first.line) + "-" +
         std::to_string(last.line);
}

}  // namespace eventlake::cli
