// The sinks' option tables and their readers. A spec arrives as JSON (the
// pipelines section keeps steps and sinks as JSON); it goes back to YAML
// so that the typed tables parse it with their usual errors and bounds.
#include "pipeline/sink_options.h"

#include <set>

#include "pipeline/json_path.h"

namespace eventlake::pipeline {
namespace {

using nlohmann::json;

template <typename S>
Result<S> ParseWithTable(const json& spec, const std::string& path, const config::Table<S>& table) {
  if (!spec.is_object()) return Err(InvalidArgument(path + ": expected a map"));
  YAML::Node node;
  try {
    node = YAML::Load(spec.dump());
  } catch (const std::exception& e) {
    return Err(InvalidArgument(path + ": " + e.what()));
  }
  S options;
  EL_RETURN_IF_ERROR(table.Parse(node, path, &options));
  return options;
}

Status CheckScalarMap(const json& map, const std::string& path) {
  if (!map.is_object()) return InvalidArgument(path + ": expected a map of names to values");
  for (const auto& [name, value] : map.items()) {
    if (name.empty()) return InvalidArgument(path + ": an empty name");
    if (!value.is_string() && !value.is_number() && !value.is_boolean()) {
      return InvalidArgument(path + "." + name + ": expected a string, a number or a boolean");
    }
  }
  return Status::Ok();
}

// Set by the sink itself: the delivery guarantee and the other keys.
const std::set<std::string, std::less<>>& ReservedKafkaProperties() {
  static const std::set<std::string, std::less<>> reserved = {
      "enable.idempotence",    "acks",
      "request.required.acks", "bootstrap.servers",
      "metadata.broker.list",  "message.timeout.ms",
      "delivery.timeout.ms"};
  return reserved;
}

}  // namespace

const config::Table<WebhookSinkOptions>& WebhookSinkOptionsTable() {
  static const auto& table =
      (new config::Table<WebhookSinkOptions>("pipelines[].sinks[].webhook",
                                             "A webhook sink: each batch's events POSTed to a URL "
                                             "(`- webhook: <url>` takes the defaults)."))
          ->Field("url", &WebhookSinkOptions::url, "The http:// or https:// URL.",
                  {.required = true})
          .Yaml("headers", &WebhookSinkOptions::headers,
                "Request headers, a map of names to values.")
          .Field("timeout", &WebhookSinkOptions::timeout,
                 "Per request; a request that takes longer fails the batch.",
                 {.min = 1, .max = 600'000})
          .Field(
              "allow_private", &WebhookSinkOptions::allow_private,
              "Lets the URL reach loopback, link-local and private addresses (refused otherwise).")
          .Enum("format", &WebhookSinkOptions::format, "How the body holds the events.",
                {{"cloudevents-batch", WebhookFormat::kCloudEventsBatch},
                 {"json", WebhookFormat::kJson},
                 {"ndjson", WebhookFormat::kNdjson}})
          .Field("max_batch", &WebhookSinkOptions::max_batch, "Events per request at most.",
                 {.min = 1, .max = 100'000});
  return table;
}

const config::Table<KafkaSinkOptions>& KafkaSinkOptionsTable() {
  static const auto& table =
      (new config::Table<KafkaSinkOptions>("pipelines[].sinks[].kafka",
                                           "A Kafka sink: each batch produced to a topic "
                                           "(idempotent producer, acks=all), delivered once "
                                           "every record is acknowledged."))
          ->Field("brokers", &KafkaSinkOptions::brokers,
                  "Bootstrap servers, comma-separated host:port.")
          .Field("topic", &KafkaSinkOptions::topic, "The topic.", {.required = true})
          .Field("key", &KafkaSinkOptions::key,
                 "The record key: `partitionkey`, `subject`, `id`, or a member path into the data "
                 "(`user.id`); "
                 "an event without one gets a null key.")
          .Enum("format", &KafkaSinkOptions::format,
                "`json`: the structured CloudEvent as the value; `binary`: the data as the value "
                "and the "
                "attributes as `ce_` headers.",
                {{"json", KafkaSinkFormat::kJson}, {"binary", KafkaSinkFormat::kBinary}})
          .Field("delivery_timeout", &KafkaSinkOptions::delivery_timeout,
                 "How long a batch waits for its records to be acknowledged before it fails (and "
                 "runs again).",
                 {.min = 1'000, .max = 3'600'000})
          .Yaml("properties", &KafkaSinkOptions::properties,
                "librdkafka producer properties (`linger.ms`, `compression.type`, "
                "`security.protocol`, ...).");
  return table;
}

Result<WebhookSinkOptions> ParseWebhookSinkOptions(const json& spec, const std::string& path) {
  EL_ASSIGN_OR_RETURN(WebhookSinkOptions options,
                      spec.is_string()
                          ? ParseWithTable(json{{"url", spec}}, path, WebhookSinkOptionsTable())
                          : ParseWithTable(spec, path, WebhookSinkOptionsTable()));
  if (!options.url.starts_with("http://") && !options.url.starts_with("https://")) {
    return Err(InvalidArgument(path + ".url: expected an http:// or https:// URL"));
  }
  EL_RETURN_IF_ERROR(CheckScalarMap(options.headers, path + ".headers"));
  for (const auto& [name, value] : options.headers.items()) {
    const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    if (name.find_first_of("\r\n:") != std::string::npos ||
        text.find_first_of("\r\n") != std::string::npos) {
      return Err(
          InvalidArgument(path + ".headers." + name + ": a line break or a colon in a header"));
    }
  }
  return options;
}

Result<KafkaSinkOptions> ParseKafkaSinkOptions(const json& spec, const std::string& path) {
  EL_ASSIGN_OR_RETURN(KafkaSinkOptions options,
                      ParseWithTable(spec, path, KafkaSinkOptionsTable()));
  if (options.brokers.empty()) return Err(InvalidArgument(path + ".brokers: required"));
  if (options.topic.empty()) return Err(InvalidArgument(path + ".topic: required"));
  if (options.key != "partitionkey" && options.key != "subject" && options.key != "id") {
    Status member = CheckMemberPath("kafka sink", options.key);
    if (!member.ok()) return Err(member.WithContext(path + ".key"));
  }
  EL_RETURN_IF_ERROR(CheckScalarMap(options.properties, path + ".properties"));
  for (const auto& [name, value] : options.properties.items()) {
    if (ReservedKafkaProperties().contains(name)) {
      return Err(InvalidArgument(
          path + ".properties." + name +
          ": set by the sink (idempotent, acks=all; brokers and delivery_timeout are keys)"));
    }
  }
  return options;
}

std::vector<std::pair<std::string, std::string>> ScalarPairs(const json& map) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!map.is_object()) return out;
  for (const auto& [name, value] : map.items()) {
    out.emplace_back(name, value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out;
}

}  // namespace eventlake::pipeline
