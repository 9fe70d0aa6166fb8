// The S3 event shape of object-created notifications, for functions
// triggered by new objects in a zone (the trigger itself comes later):
// {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion",
//   "eventTime", "eventName": "ObjectCreated:Put", "userIdentity",
//   "requestParameters", "responseElements",
//   "s3": {"s3SchemaVersion": "1.0", "configurationId",
//          "bucket": {"name", "ownerIdentity", "arn": "arn:aws:s3:::<bucket>"},
//          "object": {"key" (URL-encoded as S3 does), "size", "eTag", "sequencer"}}}]}
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/cloud_event.h"

namespace eventlake::pipeline {

struct S3ObjectCreated {
  std::string bucket;
  std::string key;  // as stored; encoded in the event
  uint64_t size = 0;
  std::string etag;
  std::string sequencer;  // hex, increasing per key
  TimestampMicros event_time = 0;
  std::string event_name = "ObjectCreated:Put";
};

std::string BuildS3Event(std::span<const S3ObjectCreated> objects, const std::string& region);

}  // namespace eventlake::pipeline
