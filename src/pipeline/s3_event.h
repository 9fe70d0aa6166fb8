// The S3 event shape of object-created notifications, for the `function`
// and `http` steps of a pipeline triggered by new objects (object_lister.h):
// {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion",
//   "eventTime", "eventName": "ObjectCreated:Put", "userIdentity",
//   "requestParameters", "responseElements": {"x-amz-request-id": <the event's id>},
//   "s3": {"s3SchemaVersion": "1.0", "configurationId",
//          "bucket": {"name", "ownerIdentity", "arn": "arn:aws:s3:::<bucket>"},
//          "object": {"key" (URL-encoded as S3 does), "size", "eTag", "sequencer"}}}]}
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/cloud_event.h"
#include "core/status.h"
#include "pipeline/batch_runner.h"

namespace eventlake::pipeline {

struct S3ObjectCreated {
  std::string bucket;
  std::string key;  // as stored; encoded in the event
  uint64_t size = 0;
  std::string etag;
  std::string sequencer;  // hex, increasing per key
  TimestampMicros event_time = 0;
  std::string event_name = "ObjectCreated:Put";
  // The object-created event's id, as responseElements' x-amz-request-id:
  // what batchItemFailures' itemIdentifier names (sqs_event.h's contract).
  std::string request_id;
};

std::string BuildS3Event(std::span<const S3ObjectCreated> objects, const std::string& region);

// The S3 event of a batch of object-created events (object_lister.h's data
// {bucket, key, size, etag, time}), one record each, in batch order;
// InvalidArgument naming the event whose data is not of that shape.
Result<std::string> BuildS3EventOfBatch(std::span<const BatchRecord> batch, const std::string& region);

}  // namespace eventlake::pipeline
