// The SQS event shape a `function` or `http` step gives its function, and
// how the function's answer becomes the step's result (Lambda's SQS event
// source mapping, with one eventlake extension).
//
// In: {"Records": [one per record, in batch order:
//   {"messageId": <the event's id>, "receiptHandle": "<stream>:<offset>",
//    "body": <the CloudEvent in structured JSON, as a string>,
//    "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": <appended, epoch ms>,
//                   "SenderId": "eventlake", "ApproximateFirstReceiveTimestamp": <now, epoch ms>},
//    "messageAttributes": {}, "md5OfBody": <MD5 of body, hex>, "eventSource": "aws:sqs",
//    "eventSourceARN": "arn:aws:sqs:<region>:000000000000:<stream>", "awsRegion": <region>}]}
//
// Out (the function's response body):
//   - empty, `null`, or JSON that is not an object: every record succeeded
//     and its event passes on unchanged (a consumer with side effects);
//   - an object: "batchItemFailures": [{"itemIdentifier": <messageId>}]
//     fails those records (each a FailedItem; a messageId shared by
//     several records fails them all); an itemIdentifier that is missing,
//     empty, not a string or not a messageId of the batch fails the whole
//     batch, as Lambda does. "events" (eventlake's extension): an array of
//     CloudEvents in structured JSON that replace the batch's output (what
//     the records that did not fail became: any number, in any order);
//     without it the events of the records that did not fail pass on.
//     An event that is not a valid CloudEvent fails the whole batch;
//   - text that is not JSON fails the whole batch.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/cloud_event.h"
#include "pipeline/batch_runner.h"

namespace eventlake::pipeline {

// The shape a function's batch has: SQS (a stream's or a schedule's
// records), or S3 for the object-created trigger's events (s3_event.h; the
// response contract is the same, itemIdentifier naming the record's
// responseElements.x-amz-request-id).
enum class EventShape { kSqs, kS3 };

struct SqsEventContext {
  std::string region = "us-east-1";
  std::string stream;  // the batch's stream: eventSourceARN, receiptHandle
  EventShape shape = EventShape::kSqs;
};

std::string BuildSqsEvent(std::span<const BatchRecord> batch, const SqsEventContext& context,
                          TimestampMicros now);

// The function's response applied to `batch`; `function` names it in errors.
StepResult ApplyBatchResponse(std::span<const BatchRecord> batch, std::string_view response,
                              std::string_view function);

}  // namespace eventlake::pipeline
