// Tests of routing: parameters decoded per segment, 404 and 405 problems,
// query parsing, per-route metrics, and handlers that throw.
#include "server/router.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace eventlake::server {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using ::testing::HasSubstr;

// Routes requests through a real server and returns the raw response.
class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add(http::verb::get, "/v1/streams/{name}/records", Permission::Public(),
                [](Request r, Responder respond) {
                  std::string body = std::string(r.Param("name")) + "|" +
                                     std::string(r.Query("offset").value_or("-")) + "|" +
                                     std::string(r.Query("q").value_or("-"));
                  respond(JsonResponse(body));
                });
    router_.Add(http::verb::post, "/v1/streams", Permission::Public(),
                [](Request, Responder respond) { respond(JsonResponse("created", 201)); });
    router_.Add(http::verb::get, "/v1/streams", Permission::Public(),
                [](Request, Responder respond) { respond(JsonResponse("list")); });
    router_.Add(http::verb::get, "/boom", Permission::Public(),
                [](Request, Responder) -> void { throw std::runtime_error("bug"); });
    HttpServerOptions options;
    options.listen = "127.0.0.1:0";
    server_ = HttpServer::Start(options, [this](HttpRequest r, Responder respond) {
                router_.Handle(std::move(r), std::move(respond));
              }).value();
  }

  http::response<http::string_body> Call(http::verb method, std::string target) {
    asio::io_context context;
    asio::ip::tcp::socket socket(context);
    auto [host, port] = SplitHostPort(server_->address()).value();
    socket.connect({asio::ip::make_address(host), port});
    http::request<http::string_body> request(method, target, 11);
    request.set(http::field::host, "x");
    request.prepare_payload();
    http::write(socket, request);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(socket, buffer, response);
    return response;
  }

  MetricsRegistry metrics_;
  Router router_{&metrics_};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(RouterTest, DecodesParametersAndQuery) {
  auto response = Call(http::verb::get, "/v1/streams/a%2Fb%20c/records?offset=12&q=x+y%21");
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "a/b c|12|x y!");
}

TEST_F(RouterTest, ChoosesRouteByMethod) {
  EXPECT_EQ(Call(http::verb::get, "/v1/streams").body(), "list");
  EXPECT_EQ(Call(http::verb::post, "/v1/streams").result_int(), 201);
}

TEST_F(RouterTest, AnswersUnknownPathWith404Problem) {
  auto response = Call(http::verb::get, "/v1/nothing");
  EXPECT_EQ(response.result_int(), 404);
  EXPECT_EQ(response[http::field::content_type], "application/problem+json");
  EXPECT_THAT(response.body(), HasSubstr("\"type\":\"https://eventlake.dev/problems/not_found\""));
  EXPECT_THAT(response.body(), HasSubstr("\"status\":404"));
}

TEST_F(RouterTest, AnswersWrongMethodWith405AndAllow) {
  auto response = Call(http::verb::delete_, "/v1/streams");
  EXPECT_EQ(response.result_int(), 405);
  EXPECT_EQ(response[http::field::allow], "POST, GET");
  EXPECT_THAT(response.body(), HasSubstr("method_not_allowed"));
}

TEST_F(RouterTest, RejectsMalformedEscapes) {
  EXPECT_EQ(Call(http::verb::get, "/v1/streams/x/records?offset=%zz").result_int(), 400);
  EXPECT_EQ(Call(http::verb::get, "/v1/streams/%4/records").result_int(), 404);
}

TEST_F(RouterTest, AnswersInternalErrorWhenHandlerThrows) {
  EXPECT_EQ(Call(http::verb::get, "/boom").result_int(), 500);
  EXPECT_EQ(Call(http::verb::get, "/v1/streams").result_int(), 200);  // still serving
}

TEST_F(RouterTest, CountsResponsesByRouteAndCode) {
  Call(http::verb::get, "/v1/streams");
  Call(http::verb::get, "/v1/nothing");
  std::string text = metrics_.RenderPrometheus();
  EXPECT_THAT(text,
              HasSubstr(R"(eventlake_http_requests_total{code="200",route="/v1/streams"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(eventlake_http_requests_total{code="404",route="unrouted"} 1)"));
  EXPECT_THAT(text, HasSubstr("eventlake_http_request_seconds_bucket"));
}

TEST(PercentDecode, RejectsTruncatedEscape) {
  EXPECT_FALSE(PercentDecode("a%4", false));
  EXPECT_FALSE(PercentDecode("%", false));
  EXPECT_EQ(PercentDecode("a+b", false).value(), "a+b");
  EXPECT_EQ(PercentDecode("a+b", true).value(), "a b");
}

}  // namespace
}  // namespace eventlake::server
