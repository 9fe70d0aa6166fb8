// s3_notifications: bucket notification bodies from AWS S3 and MinIO (and
// other S3-compatible stores that send the same JSON) turned into
// CloudEvents, one per record. The server answers
// `POST /v1/sources/{source}/s3` with this parser and delivers the events to
// the source's sink.
//
// Accepted bodies (untrusted input: size, nesting, record count and UTF-8
// are checked before anything is mapped):
// - AWS: {"Records":[{ "eventVersion":"2.1", "eventSource":"aws:s3",
//   "awsRegion", "eventTime", "eventName":"ObjectCreated:Put",
//   "responseElements":{"x-amz-request-id","x-amz-id-2"},
//   "s3":{"bucket":{"name","arn"}, "object":{"key","size","eTag",
//   "versionId","sequencer"}} }]}.
// - MinIO: the same records (eventSource "minio:s3", eventName with an "s3:"
//   prefix) plus top-level "EventName" and "Key", which are ignored.
// - The s3:TestEvent body AWS sends when a notification is configured
//   ({"Service":"Amazon S3","Event":"s3:TestEvent",...}): zero events.
//
// Mapping, after the CloudEvents AWS S3 adapter:
//   id              responseElements "x-amz-request-id" + "." + "x-amz-id-2"
//                   when both are present; else s3.object.sequencer + "-" +
//                   16 hex of SHA-256("<bucket>/<decoded key>"); else "s3-" +
//                   32 hex of SHA-256 of the record's JSON. Redeliveries of a
//                   notification (S3 delivers at least once) keep their id.
//   source          s3.bucket.arn, or "arn:aws:s3:::<bucket>" (the adapter
//                   uses "<eventSource>.<awsRegion>.<bucket>"; MinIO leaves
//                   the region empty, and the ARN names the bucket the same
//                   way on every store)
//   type            "com.amazonaws.s3." + eventName without MinIO's "s3:"
//                   prefix: com.amazonaws.s3.ObjectCreated:Put on both
//   subject         s3.object.key, URL-decoded ('+' is a space)
//   time            eventTime
//   datacontenttype application/json
//   data            the record, as JSON
//
// Every error is an InvalidArgument that starts with the JSON pointer of the
// offending value ("/Records/2/s3/object/key: bad percent-encoding").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/cloud_event.h"
#include "core/config_table.h"
#include "core/status.h"

namespace eventlake::ingest {

struct S3NotificationOptions {
  std::string name;    // the source's name (routing: POST /v1/sources/<name>/s3)
  std::string stream;  // where the server routes the events (not used by the parser)
  uint64_t max_body_bytes = 1u << 20;
  uint32_t max_records = 1000;  // records in one body
};

// The table: keys name, stream, max_body_bytes, max_records.
const config::Table<S3NotificationOptions>& S3NotificationOptionsTable();

// The events of one notification body, in record order; none for a test event.
Result<std::vector<CloudEvent>> ParseS3Notification(std::string_view body,
                                                    const S3NotificationOptions& options = {});

// An S3 object key as it appears in a notification ('+' for space, %XX
// escapes) decoded; InvalidArgument on a bad escape or invalid UTF-8.
Result<std::string> DecodeS3Key(std::string_view encoded);

}  // namespace eventlake::ingest
