// Sink specs checked and built: one reader per kind (sink_options.h).
#include "pipeline/sink_factory.h"

#include "pipeline/http_post.h"
#include "pipeline/kafka_sink.h"
#include "pipeline/sink_options.h"
#include "pipeline/webhook_sink.h"

namespace eventlake::pipeline {
namespace {

bool MayHoldCredentials(const std::string& property) {
  return property.starts_with("sasl.") || property.find("password") != std::string::npos ||
         property.find("secret") != std::string::npos ||
         (property.starts_with("ssl.") && property.find("key") != std::string::npos);
}

}  // namespace

Status CheckSinkSpec(const SinkSpec& s) {
  auto status = [](const auto& result) {
    return result.has_value() ? Status::Ok() : result.error();
  };
  if (s.kind == SinkKind::kWebhook) return status(ParseWebhookSinkOptions(s.spec, s.path));
  if (s.kind == SinkKind::kKafka) return status(ParseKafkaSinkOptions(s.spec, s.path));
  return Status::Ok();
}

Result<std::string> SinkName(const SinkSpec& s) {
  if (s.kind == SinkKind::kWebhook) {
    EL_ASSIGN_OR_RETURN(WebhookSinkOptions options, ParseWebhookSinkOptions(s.spec, s.path));
    EL_ASSIGN_OR_RETURN(HttpTarget target, ParseHttpTarget(options.url, {}, options.timeout, true, s.path));
    return "webhook " + target.host;
  }
  if (s.kind == SinkKind::kKafka) {
    EL_ASSIGN_OR_RETURN(KafkaSinkOptions options, ParseKafkaSinkOptions(s.spec, s.path));
    return "kafka " + options.topic;
  }
  return s.target;
}

Result<std::unique_ptr<Sink>> BuildSink(const SinkSpec& s, const SinkContext& context) {
  auto at = [&s](Status error) { return Err(error.WithContext(s.path)); };
  if (s.kind == SinkKind::kWebhook) {
    EL_ASSIGN_OR_RETURN(WebhookSinkOptions options, ParseWebhookSinkOptions(s.spec, s.path));
    auto sink = WebhookSink::Create(std::move(options), context.pipeline, context.metrics);
    if (!sink.has_value()) return at(sink.error());
    return std::unique_ptr<Sink>(std::move(*sink));
  }
  if (s.kind == SinkKind::kKafka) {
    EL_ASSIGN_OR_RETURN(KafkaSinkOptions options, ParseKafkaSinkOptions(s.spec, s.path));
    auto sink = KafkaSink::Create(std::move(options), context.pipeline, context.metrics);
    if (!sink.has_value()) return at(sink.error());
    return std::unique_ptr<Sink>(std::move(*sink));
  }
  return Err(InvalidArgument(s.path + ": built by the server, not the sink factory"));
}

nlohmann::json RedactedSinkEntry(const nlohmann::json& entry) {
  nlohmann::json out = entry;
  if (!out.is_object()) return out;
  if (auto w = out.find("webhook"); w != out.end() && w->is_object()) {
    if (auto h = w->find("headers"); h != w->end() && h->is_object()) {
      for (nlohmann::json& value : *h) value = "(secret)";
    }
  }
  if (auto k = out.find("kafka"); k != out.end() && k->is_object()) {
    if (auto p = k->find("properties"); p != k->end() && p->is_object()) {
      for (auto it = p->begin(); it != p->end(); ++it) {
        if (MayHoldCredentials(it.key())) it.value() = "(secret)";
      }
    }
  }
  return out;
}

}  // namespace eventlake::pipeline
