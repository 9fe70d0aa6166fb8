#include "pipeline/sqs_event.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>
#include <unordered_map>

#include "ingest/cloudevent_json.h"
#include "ingest/event_decoder.h"

namespace eventlake::pipeline {
namespace {

using json = nlohmann::json;

constexpr size_t kExcerpt = 200;

std::string Md5Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_md5(), nullptr) != 1) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < size; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  return hex;
}

StepResult FailBatch(std::string_view function, std::string message) {
  return {.status =
              FailedPrecondition("function " + std::string(function) + ": " + std::move(message))};
}

std::string Excerpt(std::string_view text) {
  return text.size() <= kExcerpt ? std::string(text)
                                 : std::string(text.substr(0, kExcerpt)) + "...";
}

}  // namespace

std::string BuildSqsEvent(std::span<const BatchRecord> batch, const SqsEventContext& context,
                          TimestampMicros now) {
  const std::string arn = "arn:aws:sqs:" + context.region + ":000000000000:" + context.stream;
  const std::string received = std::to_string(now / 1000);
  json records = json::array();
  for (const BatchRecord& r : batch) {
    std::string body = ingest::ToStructuredJson(r.event);
    std::string md5 = Md5Hex(body);
    records.push_back({{"messageId", r.event.id},
                       {"receiptHandle", context.stream + ":" + std::to_string(r.offset)},
                       {"body", std::move(body)},
                       {"attributes",
                        {{"ApproximateReceiveCount", "1"},
                         {"SentTimestamp", std::to_string(r.appended_micros / 1000)},
                         {"SenderId", "eventlake"},
                         {"ApproximateFirstReceiveTimestamp", received}}},
                       {"messageAttributes", json::object()},
                       {"md5OfBody", std::move(md5)},
                       {"eventSource", "aws:sqs"},
                       {"eventSourceARN", arn},
                       {"awsRegion", context.region}});
  }
  return json{{"Records", std::move(records)}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

StepResult ApplyBatchResponse(std::span<const BatchRecord> batch, std::string_view response,
                              std::string_view function) {
  StepResult result;
  const size_t first = response.find_first_not_of(" \t\r\n");
  auto pass_all = [&] {
    for (size_t i = 0; i < batch.size(); ++i) result.Keep(i);
    return std::move(result);
  };
  if (first == std::string_view::npos) return pass_all();
  if (Status limits = ingest::CheckJsonLimits(response, {}); !limits.ok()) {
    return FailBatch(function, "its response: " + limits.message());
  }
  json doc = json::parse(response, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded())
    return FailBatch(function, "its response is not JSON: " + Excerpt(response));
  if (!doc.is_object()) return pass_all();  // null, or a value Lambda would ignore
  std::unordered_multimap<std::string_view, size_t> by_id;
  for (size_t i = 0; i < batch.size(); ++i) by_id.emplace(batch[i].event.id, i);
  std::vector<bool> failed(batch.size(), false);
  if (auto it = doc.find("batchItemFailures"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) return FailBatch(function, "batchItemFailures is not an array");
    for (size_t k = 0; k < it->size(); ++k) {
      const json& item = (*it)[k];
      const std::string where = "batchItemFailures[" + std::to_string(k) + "]";
      auto id = item.is_object() ? item.find("itemIdentifier") : item.end();
      if (id == item.end() || !id->is_string() || id->get_ref<const std::string&>().empty()) {
        return FailBatch(function, where + ": no itemIdentifier");
      }
      auto [lo, hi] = by_id.equal_range(id->get_ref<const std::string&>());
      if (lo == hi) {
        return FailBatch(function, where + ": itemIdentifier " + Excerpt(id->get<std::string>()) +
                                       " is not a messageId of the batch");
      }
      for (auto m = lo; m != hi; ++m) failed[m->second] = true;
    }
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    if (failed[i]) {
      result.failed.push_back({i, FailedPrecondition("function " + std::string(function) +
                                                     " reported it in batchItemFailures")});
    }
  }
  auto events = doc.find("events");
  if (events == doc.end() || events->is_null()) {
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!failed[i]) result.Keep(i);
    }
    return result;
  }
  if (!events->is_array()) return FailBatch(function, "events is not an array");
  ingest::EventDecoder decoder;
  auto decoded = decoder.DecodeBatch(events->dump());
  if (!decoded.has_value()) return FailBatch(function, "events: " + decoded.error().ToString());
  for (size_t k = 0; k < decoded->items.size(); ++k) {
    auto& item = decoded->items[k];
    if (!item.result.has_value()) {
      return FailBatch(function,
                       "events[" + std::to_string(k) + "]: " + item.result.error().ToString());
    }
    result.out.push_back(std::move(*item.result));
  }
  return result;
}

}  // namespace eventlake::pipeline
