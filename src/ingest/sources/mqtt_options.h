// The options of an mqtt source (the `mqtt:` section of a `sources:` entry of
// type mqtt) and their config table: which broker, which topic filters, the
// session, and how payloads are read. The source's name, stream and
// event_type are not here: they come from the entry itself, through the
// SourceContext.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/config_table.h"
#include "core/status.h"
#include "ingest/sources/message_event.h"

namespace eventlake::ingest {

struct MqttOptions {
  std::string broker = "127.0.0.1:1883";  // host:port, [v6 address]:port; port 1883 if absent
  std::vector<std::string> topics;        // topic filters, required
  // 1: at-least-once, acknowledged after the append; 0: at-most-once.
  uint32_t qos = 1;
  std::string client_id;  // "" = "eventlake-<source name>" (filled in by MqttSource::Create)
  // false keeps the session (subscriptions, unacknowledged messages) at the
  // broker across disconnects and restarts.
  bool clean_session = false;
  std::string username;  // "" = none
  std::string password;  // "" = none; needs a username
  std::chrono::milliseconds keep_alive{30'000};
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds reconnect_backoff_min{500};
  std::chrono::milliseconds reconnect_backoff_max{30'000};
  // First wait before delivering again a message the stream answered "retry
  // later"; doubles up to retry_backoff_max.
  std::chrono::milliseconds retry_backoff{100};
  std::chrono::milliseconds retry_backoff_max{10'000};
  uint64_t max_payload_bytes = uint64_t{1} << 20;
  MessageFormat format = MessageFormat::kAuto;
  // Messages received and not yet acknowledged (delivered, retrying, or
  // waiting for an earlier one): the source stops reading at this many.
  uint32_t max_inflight = 1000;
  // How long Stop() waits for deliveries in flight before closing the
  // connection; what is not acknowledged by then the broker sends again.
  std::chrono::milliseconds drain_timeout{10'000};
};

// The table: every key above. Its check: ValidateMqttOptions.
const config::Table<MqttOptions>& MqttOptionsTable();

// Cross-field rules (also for options built in code): a broker address that
// parses, at least one topic filter and each valid (MQTT 4.7), qos 0 or 1,
// a password only with a username, keep_alive 0 or whole seconds up to
// 65535 s, backoff minimums not above their maximums. client_id may be
// empty (see MqttOptions).
Status ValidateMqttOptions(const MqttOptions& options);

struct HostPort {
  std::string host;  // without brackets
  uint16_t port = 0;
};
// "host:port", "host" (port `default_port`), "[::1]:1883", "[::1]".
Result<HostPort> ParseHostPort(std::string_view text, uint16_t default_port);

}  // namespace eventlake::ingest
