// The mqtt options table and its checks.
#include "ingest/sources/mqtt_options.h"

#include <charconv>

#include "ingest/sources/mqtt_packet.h"

namespace eventlake::ingest {

Result<HostPort> ParseHostPort(std::string_view text, uint16_t default_port) {
  HostPort out;
  std::string_view port;
  if (text.starts_with('[')) {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return Err(InvalidArgument("'[' without ']'"));
    out.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) {
      return Err(InvalidArgument("expected ':' after ']'"));
    }
    port = rest.empty() ? std::string_view() : rest.substr(1);
    if (rest.size() == 1) return Err(InvalidArgument("empty port"));
  } else {
    size_t colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(':') != colon) {
      return Err(InvalidArgument("an IPv6 address must be written in brackets: [::1]:1883"));
    }
    out.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = text.substr(colon + 1);
      if (port.empty()) return Err(InvalidArgument("empty port"));
    }
  }
  if (out.host.empty()) return Err(InvalidArgument("empty host"));
  out.port = default_port;
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return Err(InvalidArgument("port '" + std::string(port) + "' is not 1-65535"));
    }
    out.port = static_cast<uint16_t>(value);
  }
  return out;
}

Status ValidateMqttOptions(const MqttOptions& options) {
  if (auto broker = ParseHostPort(options.broker, 1883); !broker.has_value()) {
    return InvalidArgument("broker: " + broker.error().message());
  }
  if (options.topics.empty()) return InvalidArgument("topics: at least one topic filter is needed");
  for (size_t i = 0; i < options.topics.size(); ++i) {
    Status s = mqtt::ValidateTopicFilter(options.topics[i]);
    if (!s.ok()) return InvalidArgument("topics[" + std::to_string(i) + "]: " + s.message());
  }
  if (options.qos > 1) {
    return InvalidArgument("qos: " + std::to_string(options.qos) +
                           " is not supported; use 1 (at least once) or 0 (at most once)");
  }
  if (options.client_id.size() > 0xffff) return InvalidArgument("client_id: longer than 65535");
  if (!options.password.empty() && options.username.empty()) {
    return InvalidArgument("password: needs a username (MQTT 3.1.1 does not allow one alone)");
  }
  const int64_t keep_alive_ms = options.keep_alive.count();
  if (keep_alive_ms % 1000 != 0 || keep_alive_ms < 0 || keep_alive_ms > 65535 * 1000) {
    return InvalidArgument("keep_alive: must be whole seconds from 0 (off) to 65535s");
  }
  if (options.reconnect_backoff_min > options.reconnect_backoff_max) {
    return InvalidArgument("reconnect_backoff_min: is above reconnect_backoff_max");
  }
  if (options.retry_backoff > options.retry_backoff_max) {
    return InvalidArgument("retry_backoff: is above retry_backoff_max");
  }
  return Status::Ok();
}

const config::Table<MqttOptions>& MqttOptionsTable() {
  using O = MqttOptions;
  static const auto& table =
      (new config::Table<O>("mqtt",
                            "An MQTT 3.1.1 broker: one event per message of the subscribed topics, "
                            "acknowledged to the broker only once it is durable in the stream."))
          ->Field("broker", &O::broker,
                  "The broker as `host:port` (`[v6 address]:port`; port 1883 when absent). Plain "
                  "TCP: TLS is not supported yet.")
          .Field("topics", &O::topics,
                 "Topic filters to subscribe to; `+` matches one level, `#` (last) the rest.",
                 {.required = true, .min = 1, .max = 1000})
          .Field("qos", &O::qos,
                 "`1`: at least once (a message is acknowledged after its append; nothing is "
                 "lost). `0`: at most once (the broker does not resend).",
                 {.min = 0, .max = 1})
          .Field("client_id", &O::client_id,
                 "The MQTT client id, which names the broker-side session; empty: "
                 "`eventlake-<source name>`. Two clients with one id take the session from "
                 "each other.")
          .Field("clean_session", &O::clean_session,
                 "`false` keeps the session at the broker across disconnects and restarts, so "
                 "that messages sent meanwhile (QoS 1) and unacknowledged ones are delivered "
                 "after reconnecting. `true` starts afresh on every connect.")
          .Field("username", &O::username, "User name for the broker; empty: none.")
          .Field("password", &O::password, "Password for the broker; needs `username`.",
                 {.secret = true})
          .Field("keep_alive", &O::keep_alive,
                 "MQTT keep-alive: after three quarters of this without traffic a PINGREQ goes "
                 "out, and the connection is dropped (and made again) when its PINGRESP does "
                 "not come within this long. Whole seconds; `0` turns it off.",
                 {.min = 0, .max = 65'535'000})
          .Field("connect_timeout", &O::connect_timeout,
                 "How long connecting (TCP, CONNECT, SUBSCRIBE) may take.",
                 {.min = 100, .max = 300'000})
          .Field("reconnect_backoff_min", &O::reconnect_backoff_min,
                 "First wait before reconnecting after a lost connection; doubles per failed "
                 "attempt.",
                 {.min = 10, .max = 3'600'000})
          .Field("reconnect_backoff_max", &O::reconnect_backoff_max,
                 "Longest wait between reconnection attempts.", {.min = 10, .max = 3'600'000})
          .Field("retry_backoff", &O::retry_backoff,
                 "First wait before delivering again a message the stream answered \"retry "
                 "later\" (quota, backpressure); doubles up to `retry_backoff_max`. The message "
                 "stays unacknowledged meanwhile.",
                 {.min = 1, .max = 60'000})
          .Field("retry_backoff_max", &O::retry_backoff_max, "Longest wait between deliveries.",
                 {.min = 1, .max = 600'000})
          .Field("max_payload_bytes", &O::max_payload_bytes,
                 "Largest payload read; a larger message is acknowledged, dropped and counted.",
                 {.min = 1, .max = 256.0 * (1ull << 20), .bytes = true})
          .Enum("format", &O::format,
                "How payloads are read: `cloudevents` (a structured CloudEvent), `json` (any "
                "JSON value, wrapped), `raw` (bytes, wrapped), `auto` (a valid CloudEvent as it "
                "is, else JSON wrapped, else raw).",
                MessageFormatChoices())
          .Field("max_inflight", &O::max_inflight,
                 "Messages received but not yet acknowledged; at this many the source stops "
                 "reading from the broker.",
                 {.min = 1, .max = 65'535})
          .Field("drain_timeout", &O::drain_timeout,
                 "How long stopping waits for deliveries in flight; messages not acknowledged "
                 "by then are sent again by the broker.",
                 {.min = 0, .max = 600'000})
          .Check(&ValidateMqttOptions);
  return table;
}

}  // namespace eventlake::ingest
