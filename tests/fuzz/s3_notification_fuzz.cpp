// Fuzzes the S3 / MinIO bucket notification parser
// (src/ingest/sources/s3_notifications.h). Any bytes must either fail with an
// InvalidArgument, or give events whose attributes are what the mapping
// promises: non-empty id and source, the com.amazonaws.s3. type prefix, a
// decoded UTF-8 subject, and JSON object data.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "ingest/json_text.h"
#include "ingest/sources/s3_notifications.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  eventlake::ingest::S3NotificationOptions options;
  options.max_records = 64;
  auto events = eventlake::ingest::ParseS3Notification(body, options);
  if (!events.has_value()) {
    if (events.error().code() != eventlake::StatusCode::kInvalidArgument) __builtin_trap();
    if (events.error().message().empty()) __builtin_trap();
    return 0;
  }
  if (events->size() > options.max_records) __builtin_trap();
  for (const eventlake::CloudEvent& event : *events) {
    if (event.id.empty() || event.source.empty() || !event.time.has_value()) __builtin_trap();
    if (!event.type.starts_with("com.amazonaws.s3.") || event.type.size() <= 17) __builtin_trap();
    if (!event.subject || event.subject->empty()) __builtin_trap();
    if (!eventlake::ingest::IsValidUtf8(*event.subject)) __builtin_trap();
    if (!nlohmann::json::accept(event.data)) __builtin_trap();
    if (event.data.front() != '{') __builtin_trap();
  }
  return 0;
}
