// Tests of the wired server: the loopback rule, the data directory lock,
// and one event through the HTTP API into the log and back, also after a
// restart.
#include "server/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace eventlake::server {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using ::testing::HasSubstr;

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/eventlake_server_test_XXXXXX";
    path_ = mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Config TestConfig(const std::string& data_dir) {
  Config config = EmbeddedDefaultConfig();
  config.server.data_dir = data_dir;
  config.server.listen = "127.0.0.1:0";
  config.server.pg_listen = "127.0.0.1:0";
  config.server.threads = 1;
  config.streams[0].durability = log::Durability::kNone;  // tmpfs or not, keep tests quick
  return config;
}

http::response<http::string_body> Call(const Server& server, http::verb method,
                                       const std::string& target, const std::string& body = "",
                                       const std::string& content_type = "") {
  asio::io_context context;
  asio::ip::tcp::socket socket(context);
  auto [host, port] = SplitHostPort(server.http_address()).value();
  socket.connect({asio::ip::make_address(host), port});
  http::request<http::string_body> request(method, target, 11);
  request.set(http::field::host, "x");
  if (!content_type.empty()) request.set(http::field::content_type, content_type);
  request.body() = body;
  request.prepare_payload();
  http::write(socket, request);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(socket, buffer, response);
  return response;
}

TEST(CheckListeners, RefusesWildcardListenWithoutKeys) {
  ServerOptions options;
  options.listen = "0.0.0.0:8080";
  Status s = CheckListeners(options, /*access_control=*/false);
  EXPECT_THAT(s.message(), HasSubstr("refusing to listen on 0.0.0.0:8080 without API keys"));
  options.listen = "127.0.0.1:8080";
  options.pg_listen = "[::]:5433";
  EXPECT_THAT(CheckListeners(options, false).message(), HasSubstr("[::]:5433"));
  options.pg_listen = "[::1]:5433";
  EXPECT_TRUE(CheckListeners(options, false).ok());
}

TEST(CheckListeners, AllowsAnyAddressWithAccessControl) {
  ServerOptions options;
  options.listen = "0.0.0.0:8080";
  options.pg_listen = "[::]:5433";
  EXPECT_TRUE(CheckListeners(options, /*access_control=*/true).ok());
}

TEST(Server, RefusesToStartOnPublicAddress) {
  TempDir dir;
  Config config = TestConfig(dir.path());
  config.server.listen = "0.0.0.0:0";
  auto server = Server::Start(config);
  ASSERT_FALSE(server);
  EXPECT_THAT(server.error().message(), HasSubstr("refusing to listen"));
}

TEST(Server, RefusesDataDirectoryInUse) {
  TempDir dir;
  auto first = Server::Start(TestConfig(dir.path()));
  ASSERT_TRUE(first) << first.error().ToString();
  auto second = Server::Start(TestConfig(dir.path()));
  ASSERT_FALSE(second);
  EXPECT_THAT(second.error().message(), HasSubstr("in use"));
}

TEST(Server, StoresPostedEventAndReadsItBackAfterRestart) {
  TempDir dir;
  std::string event =
      R"({"specversion":"1.0","id":"e1","source":"/t","type":"t.x","partitionkey":"k","data":{"a":1}})";
  uint64_t partition = 0;
  {
    auto server = Server::Start(TestConfig(dir.path())).value();
    auto posted = Call(*server, http::verb::post, "/v1/sources/events/events", event,
                       "application/cloudevents+json");
    ASSERT_EQ(posted.result_int(), 200) << posted.body();
    auto accepted = nlohmann::json::parse(posted.body())["accepted"];
    ASSERT_EQ(accepted.size(), 1u);
    EXPECT_EQ(accepted[0]["id"], "e1");
    partition = accepted[0]["partition"].get<uint64_t>();
  }
  auto server = Server::Start(TestConfig(dir.path())).value();
  auto read = Call(*server, http::verb::get,
                   "/v1/streams/events/records?partition=" + std::to_string(partition));
  ASSERT_EQ(read.result_int(), 200) << read.body();
  auto records = nlohmann::json::parse(read.body())["records"];
  ASSERT_EQ(records.size(), 1u);
  // JSON data without a datacontenttype is stored as application/json (JSON format 3.1.2).
  nlohmann::json expected = nlohmann::json::parse(event);
  expected["datacontenttype"] = "application/json";
  EXPECT_EQ(records[0]["event"], expected);
}

TEST(Server, AnswersUnknownSourceWith404) {
  TempDir dir;
  auto server = Server::Start(TestConfig(dir.path())).value();
  auto posted =
      Call(*server, http::verb::post, "/v1/sources/nope/events", "{}", "application/json");
  EXPECT_EQ(posted.result_int(), 404);
  EXPECT_THAT(posted.body(), HasSubstr("nope"));
}

}  // namespace
}  // namespace eventlake::server
