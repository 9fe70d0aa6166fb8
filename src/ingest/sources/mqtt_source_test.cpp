// Tests for the mqtt source against a real broker: Debian's mosquitto,
// started per test on a free loopback port with a generated config, and
// messages published with mosquitto_pub. Acknowledgement is checked through
// the broker's own behaviour: a message that was not PUBACKed is sent again
// when a client resumes the session, one that was is not.
#include "ingest/sources/mqtt_source.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "ingest/sources/source_test_util.h"

extern char** environ;

namespace eventlake::ingest {
namespace {

using testing::FakeSink;
using ::testing::HasSubstr;
using testing::WaitFor;

constexpr char kBrokerBinary[] = "/usr/sbin/mosquitto";
constexpr char kPublishBinary[] = "/usr/bin/mosquitto_pub";

// Runs `argv` (argv[0] a full path) with stdout/stderr to `log`; its pid.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool Accepting(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// A mosquitto broker on 127.0.0.1:<port>; `persistent` keeps sessions in a
// file across a restart of the broker.
class Broker {
 public:
  ~Broker() { Stop(); }

  bool Start(const std::string& dir, bool persistent = false) {
    dir_ = dir;
    for (int attempt = 0; attempt < 5; ++attempt) {
      if (port_ == 0 || attempt > 0) port_ = FreePort();
      if (Launch(persistent)) return true;
    }
    return false;
  }
  bool Restart(bool persistent) { return Launch(persistent); }
  // SIGTERM until it exits (mosquitto drops a SIGTERM that arrives while it
  // starts, after its port already accepts), SIGKILL after 10 s.
  void Stop() {
    if (pid_ <= 0) return;
    const bool exited = WaitFor([&] {
      ::kill(pid_, SIGTERM);
      return ::waitpid(pid_, nullptr, WNOHANG) == pid_;
    });
    if (!exited) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }
  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  bool Launch(bool persistent) {
    const std::string config = dir_ + "/mosquitto.conf";
    // Started as root, mosquitto would switch to the user "mosquitto", who
    // cannot write its persistence file in our directory.
    const passwd* user = ::getpwuid(::getuid());
    std::ofstream(config) << "listener " << port_ << " 127.0.0.1\nallow_anonymous true\n"
                          << "log_type all\nuser " << (user ? user->pw_name : "root") << "\n"
                          << (persistent ? "persistence true\npersistence_location " + dir_ + "/\n"
                                         : "persistence false\n");
    pid_ = Spawn({kBrokerBinary, "-c", config}, dir_ + "/broker.log");
    if (pid_ <= 0) return false;
    if (WaitFor([&] { return Accepting(port_) || ::waitpid(pid_, nullptr, WNOHANG) == pid_; })) {
      if (::waitpid(pid_, nullptr, WNOHANG) == 0) return Accepting(port_);
    }
    pid_ = -1;  // exited: the port was taken
    return false;
  }

  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

class MqttSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kBrokerBinary, X_OK) != 0 || ::access(kPublishBinary, X_OK) != 0) {
      GTEST_SKIP() << "mosquitto is not installed (scripts/bootstrap installs it)";
    }
    char templ[] = "/tmp/eventlake-mqtt-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    dir_ = templ;
    ASSERT_TRUE(broker_.Start(dir_));
    options_.broker = broker_.address();
    options_.topics = {"sensors/#"};
    options_.client_id = "eventlake-test";
    options_.reconnect_backoff_min = std::chrono::milliseconds(20);
    options_.reconnect_backoff_max = std::chrono::milliseconds(100);
    options_.retry_backoff = std::chrono::milliseconds(5);
    options_.retry_backoff_max = std::chrono::milliseconds(20);
    options_.drain_timeout = std::chrono::milliseconds(200);
  }
  void TearDown() override {
    broker_.Stop();
    if (HasFailure()) {
      std::ifstream log(dir_ + "/broker.log");
      std::cerr << "broker log:\n" << log.rdbuf();
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<MqttSource> Started(FakeSink& sink, MetricsRegistry& metrics,
                                      Clock* clock = &SystemClock()) {
    SourceContext context{.name = "iot", .sink = &sink, .metrics = &metrics, .clock = clock};
    Result<std::unique_ptr<MqttSource>> source = MqttSource::Create(options_, context);
    EXPECT_TRUE(source.has_value()) << source.error().ToString();
    if (!source.has_value()) return nullptr;
    EXPECT_TRUE((*source)->Start().ok());
    EXPECT_TRUE(WaitFor([&] { return (*source)->subscribed(); })) << "never subscribed";
    return std::move(source).value();
  }

  bool Publish(const std::string& topic, const std::string& payload, int qos = 1) {
    const std::string file = dir_ + "/payload";
    std::ofstream(file, std::ios::binary | std::ios::trunc) << payload;
    pid_t pid = Spawn({kPublishBinary, "-h", "127.0.0.1", "-p", std::to_string(broker_.port()),
                       "-q", std::to_string(qos), "-t", topic, "-f", file},
                      dir_ + "/publish.log");
    int status = 0;
    return pid > 0 && ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
           WEXITSTATUS(status) == 0;
  }

  static std::vector<std::string> Data(const std::vector<CloudEvent>& events) {
    std::vector<std::string> out;
    for (const CloudEvent& event : events) out.push_back(event.data);
    return out;
  }

  static bool HasMetric(MetricsRegistry& metrics, std::string_view line) {
    return metrics.RenderPrometheus().find(line) != std::string::npos;
  }

  std::string dir_;
  Broker broker_;
  MqttOptions options_;
  FakeSink sink_;
  MetricsRegistry metrics_;
};

TEST_F(MqttSourceTest, DeliversEachMessageWithItsTopicAsSubject) {
  auto source = Started(sink_, metrics_);
  ASSERT_TRUE(Publish("sensors/1/temp", "{\"t\": 21.5}"));
  ASSERT_TRUE(Publish("sensors/2/temp", "22 C"));
  ASSERT_TRUE(Publish("other/topic", "{}"));  // not subscribed
  ASSERT_TRUE(Publish("sensors/3", "{}"));
  ASSERT_TRUE(WaitFor([&] { return sink_.stored_count() == 3; }));
  std::vector<CloudEvent> events = sink_.stored();
  EXPECT_EQ(events[0].subject, "sensors/1/temp");
  EXPECT_EQ(events[0].data, R"({"t":21.5})");
  EXPECT_EQ(events[0].data_content_type, "application/json");
  EXPECT_EQ(events[1].subject, "sensors/2/temp");
  EXPECT_EQ(events[1].data, "22 C");
  EXPECT_EQ(events[2].subject, "sensors/3");
  for (const CloudEvent& event : events) {
    EXPECT_EQ(event.source, "/eventlake/sources/iot");
    EXPECT_EQ(event.type, "eventlake.mqtt.message");
    EXPECT_EQ(event.id.size(), 36u);
    EXPECT_TRUE(event.time.has_value());
  }
  EXPECT_NE(events[0].id, events[1].id);
  source->Stop();
  EXPECT_TRUE(HasMetric(metrics_, "eventlake_mqtt_messages_received_total{source=\"iot\"} 3"));
  EXPECT_TRUE(HasMetric(metrics_, "eventlake_mqtt_events_delivered_total{source=\"iot\"} 3"));
}

TEST_F(MqttSourceTest, RetryableFailureIsDeliveredAgainAndNotLost) {
  sink_.SetAnswer([](const CloudEvent& event, int attempt) -> Result<log::RecordPosition> {
    if (event.data == "\"first\"" && attempt <= 2) return Err(Unavailable("stream busy"));
    return log::RecordPosition{};
  });
  ManualClock clock;  // stands still: event times come from it, retry timers do not
  auto source = Started(sink_, metrics_, &clock);
  ASSERT_TRUE(Publish("sensors/a", "\"first\""));
  ASSERT_TRUE(Publish("sensors/a", "\"second\""));
  ASSERT_TRUE(WaitFor([&] { return sink_.stored_count() == 2; }));
  std::vector<CloudEvent> stored = sink_.stored();
  EXPECT_THAT(Data(stored), ::testing::UnorderedElementsAre("\"first\"", "\"second\""));
  const CloudEvent& first = stored[0].data == "\"first\"" ? stored[0] : stored[1];
  EXPECT_EQ(sink_.attempts(first.id), 3);  // the same id each time
  EXPECT_EQ(first.time, clock.NowMicros());
  source->Stop();
  EXPECT_TRUE(HasMetric(metrics_, "eventlake_mqtt_delivery_retries_total{source=\"iot\"} 2"));

  // Both were acknowledged once stored: resuming the session brings only new messages.
  FakeSink resumed;
  MetricsRegistry metrics;
  auto again = Started(resumed, metrics);
  ASSERT_TRUE(Publish("sensors/a", "\"third\""));
  ASSERT_TRUE(WaitFor([&] { return resumed.stored_count() >= 1; }));
  again->Stop();
  EXPECT_THAT(Data(resumed.stored()), ::testing::ElementsAre("\"third\""));
}

TEST_F(MqttSourceTest, MessageIsNotAcknowledgedBeforeDone) {
  sink_.Hold(true);
  auto source = Started(sink_, metrics_);
  ASSERT_TRUE(Publish("sensors/held", "{\"n\":1}"));
  ASSERT_TRUE(WaitFor([&] { return sink_.held_count() == 1; }));
  source->Stop();  // drain_timeout passes with the delivery still held
  source.reset();

  // A client resuming the session gets the message again from the broker.
  FakeSink resumed;
  MetricsRegistry metrics;
  auto again = Started(resumed, metrics);
  ASSERT_TRUE(WaitFor([&] { return resumed.stored_count() == 1; }));
  EXPECT_EQ(resumed.stored()[0].data, R"({"n":1})");
  EXPECT_EQ(resumed.stored()[0].subject, "sensors/held");
  sink_.Release();  // a late `done` for a source that is gone is harmless
  again->Stop();
}

TEST_F(MqttSourceTest, InvalidPayloadIsAcknowledgedAndDoesNotBlockLaterMessages) {
  options_.format = MessageFormat::kJson;
  auto source = Started(sink_, metrics_);
  ASSERT_TRUE(Publish("sensors/x", "not json"));
  ASSERT_TRUE(Publish("sensors/x", "{\"ok\":1}"));
  ASSERT_TRUE(WaitFor([&] { return sink_.stored_count() == 1; }));
  EXPECT_EQ(sink_.stored()[0].data, R"({"ok":1})");
  source->Stop();
  EXPECT_TRUE(HasMetric(
      metrics_,
      "eventlake_mqtt_messages_rejected_total{reason=\"malformed_json\",source=\"iot\"} 1"));

  FakeSink resumed;
  MetricsRegistry metrics;
  auto again = Started(resumed, metrics);
  ASSERT_TRUE(Publish("sensors/x", "{\"ok\":2}"));
  ASSERT_TRUE(WaitFor([&] { return resumed.stored_count() == 1; }));
  again->Stop();
  EXPECT_EQ(metrics.RenderPrometheus().find("rejected_total{"), std::string::npos);
}

TEST_F(MqttSourceTest, SinkRejectionIsAcknowledgedCountedAndLaterMessagesFlow) {
  sink_.SetAnswer([](const CloudEvent& event, int) -> Result<log::RecordPosition> {
    if (event.data.find("bad") != std::string::npos) return Err(InvalidArgument("/v: schema"));
    return log::RecordPosition{};
  });
  auto source = Started(sink_, metrics_);
  ASSERT_TRUE(Publish("sensors/v", "{\"v\":\"bad\"}"));
  ASSERT_TRUE(Publish("sensors/v", "{\"v\":1}"));
  ASSERT_TRUE(WaitFor([&] { return sink_.stored_count() == 1; }));
  source->Stop();
  EXPECT_TRUE(HasMetric(
      metrics_,
      "eventlake_mqtt_messages_rejected_total{reason=\"invalid_argument\",source=\"iot\"} 1"));
}

TEST_F(MqttSourceTest, OversizedPayloadIsDroppedAndLaterMessagesArrive) {
  options_.max_payload_bytes = 16;
  auto source = Started(sink_, metrics_);
  ASSERT_TRUE(Publish("sensors/big", std::string(100'000, 'x')));
  ASSERT_TRUE(Publish("sensors/small", "{\"s\":1}"));
  ASSERT_TRUE(WaitFor([&] { return sink_.stored_count() == 1; }));
  EXPECT_EQ(sink_.stored()[0].subject, "sensors/small");
  source->Stop();
  EXPECT_TRUE(HasMetric(
      metrics_,
      "eventlake_mqtt_messages_rejected_total{reason=\"payload_too_large\",source=\"iot\"} 1"));
}

TEST_F(MqttSourceTest, ManyMessagesArriveInOrderUnderASmallInflightLimit) {
  options_.max_inflight = 2;
  auto source = Started(sink_, metrics_);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Publish("sensors/n", std::to_string(i)));
  ASSERT_TRUE(WaitFor([&] { return sink_.stored_count() == 20; }));
  std::vector<std::string> data = Data(sink_.stored());
  for (int i = 0; i < 20; ++i) EXPECT_EQ(data[i], std::to_string(i));
}

TEST_F(MqttSourceTest, QosZeroMessagesAreDelivered) {
  options_.qos = 0;
  auto source = Started(sink_, metrics_);
  ASSERT_TRUE(Publish("sensors/q0", "{\"q\":0}", 0));
  ASSERT_TRUE(WaitFor([&] { return sink_.stored_count() == 1; }));
}

TEST_F(MqttSourceTest, ResendAfterALostConnectionKeepsTheEventId) {
  broker_.Stop();
  ASSERT_TRUE(broker_.Restart(/*persistent=*/true));
  sink_.Hold(true);
  auto source = Started(sink_, metrics_);
  ASSERT_TRUE(Publish("sensors/r", "{\"r\":1}"));
  ASSERT_TRUE(WaitFor([&] { return sink_.held_count() == 1; }));
  const std::string id = sink_.delivered()[0].id;
  broker_.Stop();  // the connection drops with the message unacknowledged
  ASSERT_TRUE(WaitFor([&] { return !source->subscribed(); }));
  sink_.Hold(false);
  sink_.Release();  // stored, but too late to acknowledge on that connection
  ASSERT_TRUE(broker_.Restart(/*persistent=*/true));
  ASSERT_TRUE(WaitFor([&] { return sink_.delivered_count() == 2; }));
  EXPECT_EQ(sink_.delivered()[1].id, id);  // the sink's dedup stores it once
  EXPECT_EQ(sink_.attempts(id), 2);
}

TEST_F(MqttSourceTest, UnreachableBrokerIsRetriedAndStopReturns) {
  options_.broker = "127.0.0.1:" + std::to_string(FreePort());
  SourceContext context{.name = "iot", .sink = &sink_, .metrics = &metrics_};
  auto source = MqttSource::Create(options_, context).value();
  ASSERT_TRUE(source->Start().ok());
  ASSERT_TRUE(WaitFor([&] {
    return metrics_.RenderPrometheus().find(
               "eventlake_mqtt_connection_errors_total{source=\"iot\"} 0") == std::string::npos;
  }));
  EXPECT_FALSE(source->subscribed());
  source->Stop();
}

TEST_F(MqttSourceTest, CreateFillsClientIdAndRefusesBadOptions) {
  options_.client_id.clear();
  SourceContext context{.name = "iot", .sink = &sink_, .metrics = &metrics_};
  auto source = MqttSource::Create(options_, context);
  ASSERT_TRUE(source.has_value());
  EXPECT_EQ((*source)->options().client_id, "eventlake-iot");
  EXPECT_EQ((*source)->name(), "iot");
  ASSERT_TRUE((*source)->Start().ok());
  EXPECT_EQ((*source)->Start().code(), StatusCode::kFailedPrecondition);
  (*source)->Stop();
  (*source)->Stop();  // idempotent

  options_.topics = {"a/#/b"};
  EXPECT_THAT(MqttSource::Create(options_, context).error().message(), HasSubstr("topics[0]"));
  options_.topics = {"a"};
  context.sink = nullptr;
  EXPECT_FALSE(MqttSource::Create(options_, context).has_value());
}

}  // namespace
}  // namespace eventlake::ingest
