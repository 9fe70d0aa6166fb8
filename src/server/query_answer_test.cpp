// Tests of what a query's HTTP client sees (QueryAnswer), driven by hand as
// the engine would drive it, over a real loopback socket: short results are
// whole responses with their header fields, long ones stream with trailers,
// and an error is a problem before the start, an "error" member in JSON
// after it, and a cut body in NDJSON.
#include "server/query_answer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>

#include "server/http_test_util.h"

namespace eventlake::server {
namespace {

using namespace testing_util;  // Client, TestOptions, http
using ::testing::HasSubstr;

const std::vector<query::QueryColumn> kColumns = {{"i", "BIGINT"}, {"s", "VARCHAR"}};

// One request answered by a QueryAnswer that the test feeds `rows` rows,
// then `outcome`.
http::response<http::string_body> Answer(query::ResultFormat format, size_t rows,
                                                std::variant<query::QueryStats, query::QueryFailure> outcome,
                                                boost::system::error_code* ec) {
  std::promise<std::shared_ptr<QueryAnswer>> made;
  auto server = HttpServer::Start(TestOptions(), [&](HttpRequest, Responder respond) {
                  made.set_value(std::make_shared<QueryAnswer>(format, std::move(respond)));
                }).value();
  Client client(server->address());
  client.SendRaw("POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  std::shared_ptr<QueryAnswer> answer = made.get_future().get();
  http::response_parser<http::string_body> parser;
  parser.body_limit(64u << 20);
  // The client reads while the rows come: they may wait for it.
  auto read = std::async(std::launch::async, [&] { return client.Read(parser); });
  EXPECT_TRUE(answer->Columns(kColumns).ok());
  for (size_t i = 0; i < rows; ++i) {
    EXPECT_TRUE(answer->Row("[" + std::to_string(i) + ",\"row number " + std::to_string(i) + "\"]").ok());
  }
  answer->Done(outcome);
  *ec = read.get();
  return parser.release();
}

query::QueryStats Stats(uint64_t rows) { return {.rows = rows, .tables = {"curated.t@1"}}; }

TEST(QueryAnswer, AShortResultIsOneResponseWithItsHeaderFields) {
  boost::system::error_code ec;
  auto response = Answer(query::ResultFormat::kJson, 3, Stats(3), &ec);
  ASSERT_FALSE(ec);
  EXPECT_FALSE(response.chunked());
  EXPECT_EQ(response["X-Eventlake-Rows"], "3");
  EXPECT_EQ(response["X-Eventlake-Truncated"], "false");
  EXPECT_EQ(nlohmann::json::parse(response.body())["row_count"], 3);
}

TEST(QueryAnswer, ALongResultStreamsWithTheSameShapeAndTrailers) {
  boost::system::error_code ec;
  auto response = Answer(query::ResultFormat::kJson, 20000, Stats(20000), &ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(response.chunked());
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response["X-Eventlake-Rows"], "20000");  // a trailer
  auto body = nlohmann::json::parse(response.body());
  EXPECT_EQ(body["rows"].size(), 20000u);
  EXPECT_EQ(body["rows"][19999][1], "row number 19999");
  EXPECT_EQ(body["row_count"], 20000);
  EXPECT_EQ(body["stats"]["tables"][0], "curated.t@1");
}

TEST(QueryAnswer, AnErrorBeforeTheStartIsAProblemWithItsStatus) {
  boost::system::error_code ec;
  auto response = Answer(query::ResultFormat::kJson, 10,
                       query::QueryFailure{DeadlineExceeded("the query ran longer than its timeout"), {}}, &ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(response.result_int(), 504);
  EXPECT_THAT(response.body(), HasSubstr("timeout"));
}

TEST(QueryAnswer, AnErrorAfterTheStartEndsTheJsonWithAnErrorMember) {
  boost::system::error_code ec;
  auto response = Answer(query::ResultFormat::kJson, 20000,
                       query::QueryFailure{DeadlineExceeded("the query ran longer than its timeout"), {}}, &ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response["X-Eventlake-Error"], "deadline_exceeded");
  EXPECT_EQ(response["X-Eventlake-Rows"], "20000");
  auto body = nlohmann::json::parse(response.body());
  EXPECT_EQ(body["error"]["status"], 504);
  EXPECT_THAT(body["error"]["detail"].get<std::string>(), HasSubstr("timeout"));
  EXPECT_EQ(body["row_count"], 20000);
  EXPECT_EQ(body["rows"].size(), 20000u);
  EXPECT_FALSE(body.contains("stats"));
}

TEST(QueryAnswer, AnErrorAfterTheStartCutsNdjsonShort) {
  boost::system::error_code ec;
  auto response = Answer(query::ResultFormat::kNdjson, 20000,
                       query::QueryFailure{Internal("division by zero"), {}}, &ec);
  EXPECT_EQ(ec, http::error::partial_message);
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_THAT(response.body(), HasSubstr("{\"i\":0,"));
}

}  // namespace
}  // namespace eventlake::server
