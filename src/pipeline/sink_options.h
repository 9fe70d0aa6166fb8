// The options of the `webhook` and `kafka` sinks, each in one typed table
// (config_table.h), read from the sink's spec (its YAML as JSON, see
// pipeline_config.h) with errors naming their path
// ("pipelines[0].sinks[1].webhook.timeout: ..."); unknown keys are errors.
//
//   - webhook: https://example.com/hook            # or:
//   - webhook: {url, headers: {X-Token: ...}, timeout: 5s, allow_private: false,
//               format: cloudevents-batch | json | ndjson, max_batch: 500}
//   - kafka: {brokers: host:9092, topic: clicks,
//             key: partitionkey | subject | id | <data member path>,
//             format: json | binary, delivery_timeout: 30s, properties: {linger.ms: 5}}
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config_table.h"
#include "core/status.h"

namespace eventlake::pipeline {

// How a webhook request's body holds its events.
enum class WebhookFormat {
  kCloudEventsBatch,  // a JSON array of structured CloudEvents, application/cloudevents-batch+json
  kJson,              // the same array as application/json
  kNdjson,            // one structured CloudEvent per line, application/x-ndjson
};

struct WebhookSinkOptions {
  std::string url;                                    // required, http:// or https://
  nlohmann::json headers = nlohmann::json::object();  // name -> value (a map of scalars)
  std::chrono::milliseconds timeout{5'000};           // per request
  bool allow_private = false;                         // loopback, link-local, private addresses too
  WebhookFormat format = WebhookFormat::kCloudEventsBatch;
  uint32_t max_batch = 500;  // events per request at most
};

// How a Kafka record holds its event (the CloudEvents Kafka binding).
enum class KafkaSinkFormat {
  kJson,    // structured mode: the event's JSON as the value, content-type
            // application/cloudevents+json
  kBinary,  // binary mode: the data as the value, attributes as ce_<name> headers, content-type
};

struct KafkaSinkOptions {
  std::string brokers = "127.0.0.1:9092";  // bootstrap servers
  std::string topic;                       // required
  // The record key: `partitionkey` (the extension), `subject`, `id`, or a
  // member path into the data ("user.id"); no value: a null key.
  std::string key = "partitionkey";
  KafkaSinkFormat format = KafkaSinkFormat::kJson;
  // How long a batch waits for its delivery reports (librdkafka's
  // message.timeout.ms); a record not acknowledged by then fails the batch.
  std::chrono::milliseconds delivery_timeout{30'000};
  nlohmann::json properties = nlohmann::json::object();  // librdkafka producer properties
};

const config::Table<WebhookSinkOptions>& WebhookSinkOptionsTable();
const config::Table<KafkaSinkOptions>& KafkaSinkOptionsTable();

// `spec` is what follows `webhook:` (a URL, or a map); `path` names it.
Result<WebhookSinkOptions> ParseWebhookSinkOptions(const nlohmann::json& spec,
                                                   const std::string& path);
// `spec` is what follows `kafka:` (a map). The properties that make the
// delivery guarantee (enable.idempotence, acks) and the ones set from the
// other keys are refused there.
Result<KafkaSinkOptions> ParseKafkaSinkOptions(const nlohmann::json& spec, const std::string& path);

// A map of scalars (headers, properties) as (name, text) pairs; numbers
// and booleans as their JSON text.
std::vector<std::pair<std::string, std::string>> ScalarPairs(const nlohmann::json& map);

}  // namespace eventlake::pipeline
