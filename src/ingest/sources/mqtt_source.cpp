// mqtt: creation, the thread's reconnect loop and stopping.
#include "ingest/sources/mqtt_source.h"

#include <poll.h>

#include "core/logging.h"
#include "ingest/sources/mqtt_source_internal.h"

namespace eventlake::ingest {

using mqtt_internal::kComponent;
using mqtt_internal::SteadyNanos;

Result<std::unique_ptr<MqttSource>> MqttSource::Create(MqttOptions options, SourceContext context) {
  EL_RETURN_IF_ERROR(ValidateMqttOptions(options));
  if (context.name.empty()) return Err(InvalidArgument("mqtt source: the name must not be empty"));
  if (context.sink == nullptr || context.metrics == nullptr || context.clock == nullptr) {
    return Err(InvalidArgument("mqtt source " + context.name + ": needs a sink and metrics"));
  }
  if (options.client_id.empty()) options.client_id = "eventlake-" + context.name;
  EL_ASSIGN_OR_RETURN(HostPort broker, ParseHostPort(options.broker, 1883));
  auto source = std::unique_ptr<MqttSource>(
      new MqttSource(std::move(options), std::move(context), std::move(broker)));
  if (source->mailbox_->wake_fd < 0) return Err(ErrnoError("eventfd", errno));
  return source;
}

MqttSource::MqttSource(MqttOptions options, SourceContext context, HostPort broker)
    : options_(std::move(options)),
      context_(std::move(context)),
      broker_(std::move(broker)),
      event_type_(context_.event_type.empty() ? std::string(kMqttMessageType)
                                              : context_.event_type),
      mailbox_(std::make_shared<Mailbox>()),
      messages_received_(context_.metrics->GetCounter("eventlake_mqtt_messages_received_total",
                                                      "MQTT messages received from the broker.",
                                                      {{"source", context_.name}})),
      bytes_received_(context_.metrics->GetCounter("eventlake_mqtt_bytes_received_total",
                                                   "Payload bytes of MQTT messages received.",
                                                   {{"source", context_.name}})),
      events_delivered_(context_.metrics->GetCounter(
          "eventlake_mqtt_events_delivered_total",
          "Events of MQTT messages the stream stored (durable).", {{"source", context_.name}})),
      delivery_retries_(context_.metrics->GetCounter(
          "eventlake_mqtt_delivery_retries_total",
          "MQTT message events delivered again after a retryable answer.",
          {{"source", context_.name}})),
      connects_(context_.metrics->GetCounter("eventlake_mqtt_connects_total",
                                             "Connections to the broker that were accepted.",
                                             {{"source", context_.name}})),
      connection_errors_(context_.metrics->GetCounter(
          "eventlake_mqtt_connection_errors_total",
          "Connection attempts that failed and connections that were lost.",
          {{"source", context_.name}})),
      inflight_(context_.metrics->GetGauge(
          "eventlake_mqtt_inflight_messages",
          "MQTT messages received and not yet acknowledged to the broker.",
          {{"source", context_.name}})),
      decoder_(context_.limits),
      retry_backoff_(options_.retry_backoff) {}

MqttSource::~MqttSource() { Stop(); }

Status MqttSource::Start() {
  {
    std::lock_guard lock(mu_);
    if (started_) return FailedPrecondition("mqtt source " + context_.name + " was started before");
    started_ = true;
  }
  LogInfo(kComponent, "starting",
          {{"source", context_.name},
           {"broker", options_.broker},
           {"client_id", options_.client_id},
           {"topics", options_.topics.size()}});
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void MqttSource::Stop() {
  {
    std::lock_guard lock(mailbox_->mu);
    mailbox_->stopping = true;
  }
  mailbox_->Wake();
  if (thread_.joinable()) thread_.join();
}

bool MqttSource::Stopping() {
  std::lock_guard lock(mailbox_->mu);
  return mailbox_->stopping;
}

bool MqttSource::WaitUnlessStopping(std::chrono::milliseconds delay) {
  const int64_t deadline = SteadyNanos() + mqtt_internal::Nanos(delay);
  for (;;) {
    if (Stopping()) return false;
    const int64_t left = deadline - SteadyNanos();
    if (left <= 0) return true;
    pollfd p{mailbox_->wake_fd, POLLIN, 0};
    int timeout = static_cast<int>(std::min<int64_t>(left / 1'000'000 + 1, 1000));
    if (::poll(&p, 1, timeout) > 0) mailbox_->ClearWake();
  }
}

void MqttSource::LogConnectionProblem(const Status& status) {
  connection_errors_.Increment();
  std::string problem = status.ToString();
  if (problem == last_connection_problem_) {  // once per distinct problem
    LogDebug(kComponent, "broker connection failed again",
             {{"source", context_.name}, {"error", problem}});
    return;
  }
  LogWarn(kComponent, "broker connection failed; reconnecting",
          {{"source", context_.name}, {"broker", options_.broker}, {"error", problem}});
  last_connection_problem_ = std::move(problem);
}

void MqttSource::Run() {
  std::chrono::milliseconds backoff = options_.reconnect_backoff_min;
  while (!Stopping()) {
    Status s = Session();
    const bool was_subscribed = subscribed_.load();
    EndSession();
    if (Stopping()) break;
    if (was_subscribed) backoff = options_.reconnect_backoff_min;
    LogConnectionProblem(s.ok() ? Unavailable("the session ended") : s);
    if (!WaitUnlessStopping(backoff)) break;
    backoff = std::min(backoff * 2, options_.reconnect_backoff_max);
  }
  LogInfo(kComponent, "stopped", {{"source", context_.name}});
}

}  // namespace eventlake::ingest
