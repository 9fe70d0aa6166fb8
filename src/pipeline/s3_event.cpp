// The S3 event shape: records built from object-created events.
#include "pipeline/s3_event.h"

#include <cctype>
#include <cstdio>
#include <vector>
#include <nlohmann/json.hpp>

namespace eventlake::pipeline {
namespace {

// As S3 notifications encode keys: form encoding, spaces as '+'.
std::string EncodeKey(std::string_view key) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : key) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// S3 writes eventTime with milliseconds: "2026-12-02T18:00:00.123Z".
std::string EventTime(TimestampMicros micros) {
  std::string t = FormatRfc3339(micros);  // six fraction digits and 'Z'
  return t.size() > 4 ? t.substr(0, t.size() - 4) + "Z" : t;
}

}  // namespace

std::string BuildS3Event(std::span<const S3ObjectCreated> objects, const std::string& region) {
  using json = nlohmann::json;
  json records = json::array();
  for (const S3ObjectCreated& o : objects) {
    records.push_back({{"eventVersion", "2.1"},
                       {"eventSource", "aws:s3"},
                       {"awsRegion", region},
                       {"eventTime", EventTime(o.event_time)},
                       {"eventName", o.event_name},
                       {"userIdentity", {{"principalId", "eventlake"}}},
                       {"requestParameters", {{"sourceIPAddress", "127.0.0.1"}}},
                       {"responseElements", o.request_id.empty()
                                                ? json::object()
                                                : json{{"x-amz-request-id", o.request_id}}},
                       {"s3",
                        {{"s3SchemaVersion", "1.0"},
                         {"configurationId", "eventlake"},
                         {"bucket",
                          {{"name", o.bucket},
                           {"ownerIdentity", {{"principalId", "eventlake"}}},
                           {"arn", "arn:aws:s3:::" + o.bucket}}},
                         {"object",
                          {{"key", EncodeKey(o.key)},
                           {"size", o.size},
                           {"eTag", o.etag},
                           {"sequencer", o.sequencer}}}}}});
  }
  return json{{"Records", std::move(records)}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<std::string> BuildS3EventOfBatch(std::span<const BatchRecord> batch, const std::string& region) {
  using json = nlohmann::json;
  std::vector<S3ObjectCreated> objects;
  objects.reserve(batch.size());
  for (const BatchRecord& r : batch) {
    const json data = json::parse(r.event.data, nullptr, false);
    if (!data.is_object() || !data["bucket"].is_string() || !data["key"].is_string() ||
        !data["size"].is_number_unsigned()) {
      return Err(InvalidArgument("event " + r.event.id +
                                 ": not an object-created event ({bucket, key, size, etag, time})"));
    }
    auto time = ParseRfc3339(data.value("time", std::string()));
    const TimestampMicros when = time.has_value() ? *time : r.event.time.value_or(r.appended_micros);
    char sequencer[17];
    std::snprintf(sequencer, sizeof sequencer, "%016llX", static_cast<unsigned long long>(when));
    objects.push_back({.bucket = data["bucket"].get<std::string>(),
                       .key = data["key"].get<std::string>(),
                       .size = data["size"].get<uint64_t>(),
                       .etag = data.value("etag", std::string()),
                       .sequencer = sequencer,
                       .event_time = when,
                       .request_id = r.event.id});
  }
  return BuildS3Event(objects, region);
}

}  // namespace eventlake::pipeline
