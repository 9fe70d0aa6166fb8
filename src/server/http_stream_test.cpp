// Tests of streamed answers (StreamWriter) over real loopback sockets: a short
// answer stays one response, a long one is chunked with its trailers, the
// connection stays alive after it, Flush sends once started, a writer waits
// while the client does not read and goes on when it does, an abort cuts the
// body, and a client that goes away or an Interrupt stops the producer.
#include "server/http_stream.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "server/http_server.h"
#include "server/http_test_util.h"
#include "server/problem.h"

namespace eventlake::server {
namespace {

using namespace testing_util;  // Client, TestOptions, http
using ::testing::HasSubstr;

// The piece `i` of a streamed body: its number, padded to `size` bytes.
std::string Piece(size_t i, size_t size) {
  std::string piece = std::to_string(i) + ":";
  piece.resize(size, 'x');
  return piece;
}

std::string Pieces(size_t count, size_t size) {
  std::string all;
  for (size_t i = 0; i < count; ++i) all += Piece(i, size);
  return all;
}

StreamOptions SmallOptions() {
  StreamOptions options;
  options.flush_bytes = 1000;
  options.max_queued_bytes = 4000;
  options.trailer_names = {"X-Rows"};
  return options;
}

HttpResponse TextHead() {
  HttpResponse head;
  head.content_type = "text/plain";
  return head;
}

// A server whose handler hands each request's StreamWriter to the test, which
// produces the body on its own thread.
class StreamServer {
 public:
  explicit StreamServer(StreamOptions options = SmallOptions(), HttpServerOptions server = TestOptions())
      : server_(HttpServer::Start(server, [this, options](HttpRequest, Responder respond) {
                  std::lock_guard lock(mu_);
                  writers_.push_back(respond.Stream(TextHead(), options));
                  cv_.notify_all();
                }).value()) {}

  // Sends `client`'s request number n (0-based) and waits for its writer.
  StreamWriter* Request(Client& client, size_t n = 0) {
    client.SendRaw("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    return Writer(n);
  }
  // Waits for the n-th (0-based) request's writer.
  StreamWriter* Writer(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return writers_.size() > n; });
    return writers_[n].get();
  }
  const std::string& address() const { return server_->address(); }
  uint64_t connections() const { return server_->connection_count(); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<HttpServer> server_;
  std::vector<std::unique_ptr<StreamWriter>> writers_;  // destroyed before the server
};

TEST(HttpStream, AShortAnswerIsOneResponseWithTrailersAsHeaders) {
  StreamServer server;
  Client client(server.address());
  StreamWriter* writer = server.Request(client);
  ASSERT_TRUE(writer->Write("hello ").ok());
  EXPECT_FALSE(writer->started());
  writer->Finish({{"X-Rows", "1"}}, "world");
  auto response = client.Read();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "hello world");
  EXPECT_EQ(response[http::field::content_length], "11");
  EXPECT_EQ(response[http::field::transfer_encoding], "");
  EXPECT_EQ(response["X-Rows"], "1");
}

TEST(HttpStream, AFailureBeforeTheFirstFlushKeepsItsStatus) {
  StreamServer server;
  Client client(server.address());
  StreamWriter* writer = server.Request(client);
  ASSERT_TRUE(writer->Write("partial").ok());
  writer->Fail(ProblemResponse(InvalidArgument("bad SQL")));
  auto response = client.Read();
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_THAT(response.body(), HasSubstr("bad SQL"));
  EXPECT_THAT(response.body(), ::testing::Not(HasSubstr("partial")));
}

TEST(HttpStream, ALongAnswerIsChunkedWithTrailersAndKeepsTheConnection) {
  StreamServer server;
  Client client(server.address());
  for (size_t n = 0; n < 2; ++n) {
    StreamWriter* writer = server.Request(client, n);
    for (size_t i = 0; i < 10; ++i) ASSERT_TRUE(writer->Write(Piece(i, 300)).ok());
    EXPECT_TRUE(writer->started());
    writer->Finish({{"X-Rows", "10"}});
    http::response_parser<http::string_body> parser;
    ASSERT_FALSE(client.Read(parser)) << "answer " << n;
    auto& response = parser.get();
    EXPECT_EQ(response.result_int(), 200);
    EXPECT_TRUE(response.chunked());
    EXPECT_EQ(response[http::field::trailer], "X-Rows");
    EXPECT_EQ(response["X-Rows"], "10");  // Beast adds the trailer to the fields
    EXPECT_EQ(response.body(), Pieces(10, 300));
    EXPECT_TRUE(response.keep_alive());
  }
}

TEST(HttpStream, FlushSendsWhatIsBufferedOnlyOnceStarted) {
  StreamServer server;
  Client client(server.address());
  StreamWriter* writer = server.Request(client);
  ASSERT_TRUE(writer->Write("early,").ok());
  ASSERT_TRUE(writer->Flush().ok());
  EXPECT_FALSE(writer->started());  // an early failure could still be a problem
  ASSERT_TRUE(writer->Write(Piece(0, 1000)).ok());
  ASSERT_TRUE(writer->started());
  ASSERT_TRUE(writer->Write("late piece").ok());
  ASSERT_TRUE(writer->Flush().ok());
  // Arrives before the answer ends (the test would hang, not pass, otherwise).
  const std::string got = client.ReadRawUntil("late piece");
  EXPECT_THAT(got, HasSubstr("Transfer-Encoding: chunked"));
  EXPECT_THAT(got, HasSubstr("early,0:x"));
  writer->Finish({});
}

TEST(HttpStream, AWriterWaitsWhileTheClientDoesNotReadAndGoesOnWhenItDoes) {
  StreamServer server;
  Client client(server.address(), /*receive_buffer=*/4096);
  StreamWriter* writer = server.Request(client);
  // Far more than the socket buffers hold: the producer must wait.
  constexpr size_t kPieces = 40'000, kSize = 1000;
  std::atomic<size_t> written{0};
  std::thread producer([&] {
    for (size_t i = 0; i < kPieces; ++i) {
      ASSERT_TRUE(writer->Write(Piece(i, kSize)).ok());
      written.store(i + 1);
    }
    writer->Finish({{"X-Rows", std::to_string(kPieces)}});
  });
  // Wait (not a timing assertion: it would hang, not pass) until the writer
  // has waited for the socket while nothing was read.
  while (writer->waits() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_LT(written.load(), kPieces);
  http::response_parser<http::string_body> parser;
  parser.body_limit(kPieces * kSize);
  ASSERT_FALSE(client.Read(parser));
  producer.join();
  EXPECT_EQ(parser.get().body().size(), kPieces * kSize);
  EXPECT_EQ(parser.get().body(), Pieces(kPieces, kSize));  // every piece, in order
  EXPECT_EQ(parser.get()["X-Rows"], std::to_string(kPieces));
}

TEST(HttpStream, AFailureAfterTheStartCutsTheBodyAndClosesTheConnection) {
  StreamServer server;
  Client client(server.address());
  StreamWriter* writer = server.Request(client);
  for (size_t i = 0; i < 5; ++i) ASSERT_TRUE(writer->Write(Piece(i, 300)).ok());
  writer->Fail(ProblemResponse(DeadlineExceeded("too slow")));
  http::response_parser<http::string_body> parser;
  auto ec = client.Read(parser);
  EXPECT_EQ(ec, http::error::partial_message);
  EXPECT_EQ(parser.get().result_int(), 200);
  EXPECT_EQ(parser.get().body(), Pieces(5, 300));  // what was written arrived, then the cut
  EXPECT_TRUE(client.ClosedByServer());
}

TEST(HttpStream, AClientThatGoesAwayStopsTheProducer) {
  StreamServer server;
  {
    Client client(server.address(), /*receive_buffer=*/4096);
    http::response_parser<http::string_body> parser;
    StreamWriter* writer = server.Request(client);
    ASSERT_TRUE(writer->Write(Piece(0, 2000)).ok());
    ASSERT_FALSE(client.ReadHead(parser));
    client.Close();
    Status status = Status::Ok();
    for (size_t i = 1; status.ok(); ++i) status = writer->Write(Piece(i, 2000));
    EXPECT_EQ(status.code(), StatusCode::kUnavailable);
    writer->Fail(ProblemResponse(status));
  }
  // The server has forgotten the connection and serves the next one.
  Client next(server.address());
  server.Request(next, 1)->Finish({}, "ok");
  EXPECT_EQ(next.Read().body(), "ok");
}

TEST(HttpStream, InterruptEndsAWaitingWrite) {
  StreamServer server;
  Client client(server.address(), /*receive_buffer=*/4096);
  StreamWriter* writer = server.Request(client);
  std::promise<Status> stopped;
  std::thread producer([&] {
    Status status = Status::Ok();
    for (size_t i = 0; status.ok(); ++i) status = writer->Write(Piece(i, 1000));
    stopped.set_value(status);
  });
  while (writer->waits() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  writer->Interrupt(DeadlineExceeded("the query ran longer than its timeout"));
  EXPECT_EQ(stopped.get_future().get().code(), StatusCode::kDeadlineExceeded);
  producer.join();
  writer->Fail(ProblemResponse(DeadlineExceeded("timeout")));
}

TEST(HttpStream, AWriterDroppedWithoutAnEndAnswers500OrCutsTheBody) {
  auto server = HttpServer::Start(TestOptions(), [](HttpRequest, Responder respond) {
                  auto writer = respond.Stream(TextHead(), SmallOptions());
                  (void)writer->Write("x");
                }).value();
  Client client(server->address());
  EXPECT_EQ(client.Request("GET", "/").result_int(), 500);
}

}  // namespace
}  // namespace eventlake::server
