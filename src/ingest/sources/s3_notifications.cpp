// S3 and MinIO bucket notifications to CloudEvents. Bodies are small and
// rare next to event traffic, so they are parsed with nlohmann (ordered, so
// that each record's JSON keeps its key order) after the cheap limit checks.
#include "ingest/sources/s3_notifications.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "ingest/cloudevent_json.h"
#include "ingest/json_text.h"
#include "security/api_key.h"

namespace eventlake::ingest {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kTypePrefix = "com.amazonaws.s3.";

std::string HexPrefix(std::string_view data, size_t hex_chars) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t byte : security::Sha256(data)) {
    if (out.size() >= hex_chars) break;
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 15]);
  }
  return out;
}

Status Bad(const std::string& pointer, std::string_view problem) {
  return InvalidArgument(pointer + ": " + std::string(problem));
}

// The member `key` of `object` as a string: nullopt when absent or null,
// an error when it is something else or when required and absent.
Result<std::optional<std::string>> StringAt(const Json& object, const char* key,
                                            const std::string& pointer, bool required) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (required) return Err(Bad(pointer + "/" + key, "missing"));
    return std::optional<std::string>();
  }
  if (!it->is_string()) return Err(Bad(pointer + "/" + key, "expected a string"));
  std::string value = it->get<std::string>();
  if (required && value.empty()) return Err(Bad(pointer + "/" + key, "must not be empty"));
  return std::optional<std::string>(std::move(value));
}

Result<const Json*> ObjectAt(const Json& object, const char* key, const std::string& pointer) {
  auto it = object.find(key);
  if (it == object.end()) return Err(Bad(pointer + "/" + key, "missing"));
  if (!it->is_object()) return Err(Bad(pointer + "/" + key, "expected an object"));
  return &*it;
}

// The adapter's id, or the fallbacks described in the header.
Result<std::string> EventId(const Json& record, const std::string& pointer,
                            const std::string& bucket, const std::string& key, const Json& object) {
  auto elements = record.find("responseElements");
  if (elements != record.end() && elements->is_object()) {
    const std::string p = pointer + "/responseElements";
    EL_ASSIGN_OR_RETURN(auto request_id, StringAt(*elements, "x-amz-request-id", p, false));
    EL_ASSIGN_OR_RETURN(auto host_id, StringAt(*elements, "x-amz-id-2", p, false));
    if (request_id && host_id && !request_id->empty() && !host_id->empty()) {
      return *request_id + "." + *host_id;
    }
  }
  EL_ASSIGN_OR_RETURN(auto sequencer, StringAt(object, "sequencer", pointer + "/s3/object", false));
  if (sequencer && !sequencer->empty()) return *sequencer + "-" + HexPrefix(bucket + "/" + key, 16);
  return "s3-" + HexPrefix(record.dump(), 32);
}

Result<CloudEvent> MapRecord(const Json& record, const std::string& pointer) {
  if (!record.is_object()) return Err(Bad(pointer, "expected an object"));
  EL_ASSIGN_OR_RETURN(auto event_name, StringAt(record, "eventName", pointer, true));
  EL_ASSIGN_OR_RETURN(auto event_time, StringAt(record, "eventTime", pointer, true));
  // Any store's eventSource ("aws:s3", "minio:s3", "ceph:s3") is accepted.
  EL_RETURN_IF_ERROR(StringAt(record, "eventSource", pointer, false));
  EL_ASSIGN_OR_RETURN(const Json* s3, ObjectAt(record, "s3", pointer));
  EL_ASSIGN_OR_RETURN(const Json* bucket, ObjectAt(*s3, "bucket", pointer + "/s3"));
  EL_ASSIGN_OR_RETURN(const Json* object, ObjectAt(*s3, "object", pointer + "/s3"));
  EL_ASSIGN_OR_RETURN(auto bucket_name, StringAt(*bucket, "name", pointer + "/s3/bucket", true));
  EL_ASSIGN_OR_RETURN(auto arn, StringAt(*bucket, "arn", pointer + "/s3/bucket", false));
  EL_ASSIGN_OR_RETURN(auto raw_key, StringAt(*object, "key", pointer + "/s3/object", true));
  Result<std::string> key = DecodeS3Key(*raw_key);
  if (!key.has_value()) return Err(key.error().WithContext(pointer + "/s3/object/key"));
  Result<TimestampMicros> time = ParseRfc3339(*event_time);
  if (!time.has_value()) return Err(Bad(pointer + "/eventTime", "not an RFC 3339 time"));

  std::string_view name = *event_name;
  if (name.starts_with("s3:")) name.remove_prefix(3);  // MinIO: "s3:ObjectCreated:Put"
  if (name.empty()) return Err(Bad(pointer + "/eventName", "must not be empty"));
  CloudEvent event;
  EL_ASSIGN_OR_RETURN(event.id, EventId(record, pointer, *bucket_name, *key, *object));
  event.source = arn && !arn->empty() ? *arn : "arn:aws:s3:::" + *bucket_name;
  event.type = std::string(kTypePrefix) + std::string(name);
  event.subject = std::move(*key);
  event.time = *time;
  event.data_content_type = "application/json";
  event.data = record.dump();
  return event;
}

// The s3:TestEvent body: {"Service":"Amazon S3","Event":"s3:TestEvent",...}.
bool IsTestEvent(const Json& body) {
  auto it = body.find("Event");
  return !body.contains("Records") && it != body.end() && it->is_string() &&
         it->get<std::string>() == "s3:TestEvent";
}

Result<std::vector<CloudEvent>> MapBody(const Json& body, const S3NotificationOptions& options) {
  if (!body.is_object()) return Err(InvalidArgument("the body is not a JSON object"));
  if (IsTestEvent(body)) return std::vector<CloudEvent>{};
  for (const char* minio_key : {"EventName", "Key"}) {  // MinIO's summary of the records
    EL_RETURN_IF_ERROR(StringAt(body, minio_key, "", false));
  }
  auto records = body.find("Records");
  if (records == body.end()) {
    return Err(Bad("/Records", "missing: not an S3 event notification"));
  }
  if (!records->is_array()) return Err(Bad("/Records", "expected an array"));
  if (records->size() > options.max_records) {
    return Err(Bad("/Records", std::to_string(records->size()) + " records, more than " +
                                   "max_records (" + std::to_string(options.max_records) + ")"));
  }
  std::vector<CloudEvent> events;
  events.reserve(records->size());
  for (size_t i = 0; i < records->size(); ++i) {
    EL_ASSIGN_OR_RETURN(CloudEvent event,
                        MapRecord((*records)[i], "/Records/" + std::to_string(i)));
    events.push_back(std::move(event));
  }
  return events;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

const config::Table<S3NotificationOptions>& S3NotificationOptionsTable() {
  using O = S3NotificationOptions;
  static const auto& table =
      (new config::Table<O>("s3_notifications",
                            "Bucket notifications from AWS S3 or MinIO, posted to "
                            "`/v1/sources/<name>/s3`: one event per record."))
          ->Field("name", &O::name, "Name of the source, used in its URL.", {.required = true})
          .Field("stream", &O::stream, "The stream its events are appended to.")
          .Field("max_body_bytes", &O::max_body_bytes, "Largest notification body.",
                 {.min = 1024, .max = 64.0 * (1 << 20), .bytes = true})
          .Field("max_records", &O::max_records, "Most records in one notification body.",
                 {.min = 1, .max = 10'000});
  return table;
}

Result<std::string> DecodeS3Key(std::string_view encoded) {
  std::string key;
  key.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    char c = encoded[i];
    if (c == '+') {
      key.push_back(' ');
    } else if (c != '%') {
      key.push_back(c);
    } else {
      int high = i + 2 < encoded.size() ? HexValue(encoded[i + 1]) : -1;
      int low = high >= 0 ? HexValue(encoded[i + 2]) : -1;
      if (low < 0) {
        return Err(InvalidArgument("bad percent-encoding at byte " + std::to_string(i)));
      }
      key.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    }
  }
  if (key.empty()) return Err(InvalidArgument("must not be empty"));
  if (!IsValidUtf8(key)) return Err(InvalidArgument("not valid UTF-8 once decoded"));
  return key;
}

Result<std::vector<CloudEvent>> ParseS3Notification(std::string_view body,
                                                    const S3NotificationOptions& options) {
  if (body.size() > options.max_body_bytes) {
    return Err(InvalidArgument("the body is " + std::to_string(body.size()) +
                               " bytes, more than max_body_bytes (" +
                               std::to_string(options.max_body_bytes) + ")"));
  }
  EL_RETURN_IF_ERROR(CheckJsonLimits(body, JsonLimits{.max_depth = 32, .max_string = 64u << 10}));
  Json parsed;
  try {
    parsed = Json::parse(body);
  } catch (const nlohmann::json::exception& e) {
    std::string what = e.what();
    size_t end = what.find("] ");
    return Err(InvalidArgument("malformed JSON: " +
                               (end == std::string::npos ? what : what.substr(end + 2))));
  }
  try {
    return MapBody(parsed, options);
  } catch (const nlohmann::json::exception& e) {  // dump() of a value it parsed: a bug
    return Err(Internal(std::string("mapping an S3 notification: ") + e.what()));
  }
}

}  // namespace eventlake::ingest
