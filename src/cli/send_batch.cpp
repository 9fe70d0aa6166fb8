// Batching and per-item answers of `eventlake send` (see send_batch.h).
#include "cli/send_batch.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

namespace eventlake::cli {
namespace {

using Json = nlohmann::ordered_json;

// The size of the body "[a,b]" once `record` is appended ("[a]" -> "[a,b]").
uint64_t BodyBytesWith(const Batch& batch, const InputRecord& record) {
  return (batch.items.empty() ? 2 : batch.body.size() + 1) + record.json.size();
}

std::string StringMember(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string ReasonOf(const Json& entry) {
  std::string reason;
  for (const char* key : {"detail", "reason", "message", "error", "title"}) {
    auto it = entry.find(key);
    if (it == entry.end()) continue;
    if (it->is_string()) reason = it->get<std::string>();
    if (it->is_object()) reason = StringMember(*it, "detail");
    if (!reason.empty()) break;
  }
  return reason.empty() ? "rejected (the server gave no reason)" : reason;
}

// A pointer into the batch body starts with the item's index ("/3/time"):
// takes the index from it when *index is unset, and returns the rest ("/time").
std::string PointerWithinItem(std::string pointer, std::optional<size_t>* index) {
  if (pointer.size() < 2 || pointer[0] != '/') return pointer;
  size_t slash = pointer.find('/', 1);
  std::string_view segment = std::string_view(pointer).substr(1, slash - 1);
  size_t value = 0;
  auto [end, ec] = std::from_chars(segment.data(), segment.data() + segment.size(), value);
  if (ec != std::errc() || end != segment.data() + segment.size()) return pointer;
  if (!index->has_value()) *index = value;
  return slash == std::string::npos ? "" : pointer.substr(slash);
}

RejectedItem RejectedFrom(const Json& entry) {
  RejectedItem item;
  if (!entry.is_object()) {
    item.reason = entry.is_string() ? entry.get<std::string>() : entry.dump();
    return item;
  }
  auto index = entry.find("index");
  if (index != entry.end() && index->is_number_unsigned()) item.index = index->get<size_t>();
  item.id = StringMember(entry, "id");
  item.reason = ReasonOf(entry);
  std::string pointer = PointerWithinItem(StringMember(entry, "pointer"), &item.index);
  if (!pointer.empty()) item.reason += " (at " + pointer + ")";
  return item;
}

}  // namespace

Batcher::Batcher(size_t max_events, uint64_t max_bytes)
    : max_events_(std::max<size_t>(1, max_events)), max_bytes_(std::max<uint64_t>(1, max_bytes)) {}

std::vector<Batch> Batcher::Add(const InputRecord& record, uint32_t input) {
  std::vector<Batch> closed;
  if (!pending_.items.empty() &&
      (pending_.cloudevents != record.cloudevent || BodyBytesWith(pending_, record) > max_bytes_)) {
    closed.push_back(*Flush());
  }
  if (pending_.items.empty()) {
    pending_.cloudevents = record.cloudevent;
    pending_.body = "[";
  } else {
    pending_.body.back() = ',';  // the ']' that closed the body so far
  }
  pending_.body += record.json;
  pending_.body += ']';
  pending_.items.push_back({input, record.line, record.index});
  if (pending_.items.size() >= max_events_ || pending_.body.size() >= max_bytes_) {
    closed.push_back(*Flush());
  }
  return closed;
}

std::optional<Batch> Batcher::Flush() {
  if (pending_.items.empty()) return std::nullopt;
  Batch batch = std::move(pending_);
  pending_ = Batch();
  return batch;
}

BatchAnswer ParseBatchAnswer(const HttpResponse& response) {
  BatchAnswer answer;
  Json json = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return answer;
  auto accepted = json.find("accepted");
  if (accepted != json.end() && accepted->is_array()) {
    for (const Json& entry : *accepted) {
      std::string id = entry.is_object() ? StringMember(entry, "id") : std::string();
      if (id.empty()) id = "#" + std::to_string(answer.accepted_ids.size());
      answer.accepted_ids.push_back(std::move(id));
    }
  }
  auto rejected = json.find("rejected");
  if (rejected != json.end() && rejected->is_array()) {
    for (const Json& entry : *rejected) answer.rejected.push_back(RejectedFrom(entry));
  }
  return answer;
}

}  // namespace eventlake::cli
