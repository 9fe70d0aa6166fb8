// Tests of plain JSON and NDJSON wrapping: ids from a field, an
// Idempotency-Key or UUIDv7s; per-element and per-line results; limits.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "ingest/event_decoder.h"

namespace eventlake::ingest {
namespace {

using ::testing::HasSubstr;

struct Wrap {
  ManualClock clock{1'700'000'000'000'000};
  IdGenerator ids{clock};
  WrapOptions options() {
    WrapOptions o;
    o.source = "/eventlake/sources/web";
    o.type = "page.viewed";
    o.clock = &clock;
    o.ids = &ids;
    return o;
  }
};

TEST(DecodePlainJson, WrapsOneObject) {
  Wrap wrap;
  EventDecoder decoder;
  auto body = decoder.DecodePlainJson(R"( {"user": "u1", "n": 2.50} )", wrap.options());
  ASSERT_TRUE(body) << body.error().ToString();
  EXPECT_FALSE(body->per_item);
  ASSERT_EQ(body->items.size(), 1u);
  const CloudEvent& event = *body->items[0].result;
  EXPECT_EQ(event.source, "/eventlake/sources/web");
  EXPECT_EQ(event.type, "page.viewed");
  EXPECT_EQ(event.time, 1'700'000'000'000'000);
  EXPECT_EQ(event.data_content_type, "application/json");
  EXPECT_EQ(event.data, R"({"user":"u1","n":2.50})");
  EXPECT_EQ(event.id.size(), 36u);  // a UUIDv7
  EXPECT_EQ(event.id[14], '7');
}

TEST(DecodePlainJson, GivesArrayElementsUniqueIdsAndOwnResults) {
  Wrap wrap;
  EventDecoder decoder;
  auto body = decoder.DecodePlainJson(R"([{"a":1}, 5, {"b":[2]}, {"c":3}])", wrap.options());
  ASSERT_TRUE(body);
  EXPECT_TRUE(body->per_item);
  ASSERT_EQ(body->items.size(), 4u);
  EXPECT_EQ(body->items[1].result.error().pointer, "/1");
  EXPECT_EQ(body->items[1].text, "5");
  EXPECT_EQ(body->items[2].result->data, R"({"b":[2]})");
  std::set<std::string> ids;
  for (size_t i : {0, 2, 3}) ids.insert(body->items[i].result->id);
  EXPECT_EQ(ids.size(), 3u);
}

TEST(DecodePlainJson, UsesTheIdempotencyKey) {
  Wrap wrap;
  EventDecoder decoder;
  WrapOptions options = wrap.options();
  options.idempotency_key = "req-9";
  EXPECT_EQ(decoder.DecodePlainJson(R"({"a":1})", options)->items[0].result->id, "req-9");
  auto many = decoder.DecodePlainJson(R"([{"a":1},{"a":2}])", options);
  EXPECT_EQ(many->items[0].result->id, "req-9-0");
  EXPECT_EQ(many->items[1].result->id, "req-9-1");
  options.idempotency_key = "bad\x01key";
  EXPECT_EQ(decoder.DecodePlainJson(R"({"a":1})", options).error().type,
            ProblemType::kInvalidEvent);
  options.idempotency_key = std::string(9000, 'k');
  EXPECT_EQ(decoder.DecodePlainJson(R"({"a":1})", options).error().type,
            ProblemType::kHeaderTooLarge);
}

TEST(DecodePlainJson, TakesTheIdFromTheIdField) {
  Wrap wrap;
  EventDecoder decoder;
  WrapOptions options = wrap.options();
  options.id_field = "order_id";
  options.idempotency_key = "ignored";
  auto body = decoder.DecodePlainJson(
      R"([{"order_id":"o-1"},{"order_id":42},{"x":1},{"order_id":1.5},{"order_id":""}])", options);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->items[0].result->id, "o-1");
  EXPECT_EQ(body->items[1].result->id, "42");
  EXPECT_EQ(body->items[2].result.error().pointer, "/2/order_id");
  EXPECT_THAT(body->items[2].result.error().detail, HasSubstr("missing"));
  EXPECT_FALSE(body->items[3].result);
  EXPECT_FALSE(body->items[4].result);
}

TEST(DecodePlainJson, RejectsBodiesThatAreNotObjects) {
  Wrap wrap;
  EventDecoder decoder;
  EXPECT_EQ(decoder.DecodePlainJson("\"text\"", wrap.options()).error().type,
            ProblemType::kInvalidEvent);
  EXPECT_EQ(decoder.DecodePlainJson("{", wrap.options()).error().type, ProblemType::kMalformedJson);
  WrapOptions no_type = wrap.options();
  no_type.type.clear();
  EXPECT_EQ(decoder.DecodePlainJson("{}", no_type).error().pointer, "/type");
}

TEST(DecodeRequest, AnswersASingleBadPlainObjectAsTheProblem) {
  Wrap wrap;
  EventDecoder decoder;
  WrapOptions options = wrap.options();
  options.id_field = "id";
  std::vector<HeaderField> headers = {{"content-type", "application/json"}};
  auto decoded = decoder.DecodeRequest(headers, R"({"x":1})", options);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().pointer, "/id");
}

TEST(DecodeNdjson, SkipsBlankLinesAndAcceptsCrlf) {
  Wrap wrap;
  EventDecoder decoder;
  auto body = decoder.DecodeNdjson("{\"a\":1}\r\n\r\n  \n{\"b\": 2}\r\n\n", wrap.options());
  ASSERT_TRUE(body) << body.error().ToString();
  ASSERT_EQ(body->items.size(), 2u);
  EXPECT_EQ(body->items[0].result->data, R"({"a":1})");
  EXPECT_EQ(body->items[1].result->data, R"({"b":2})");
  EXPECT_EQ(body->items[1].text, R"({"b": 2})");
}

TEST(DecodeNdjson, RejectsABadLineInTheMiddleAlone) {
  Wrap wrap;
  EventDecoder decoder;
  WrapOptions options = wrap.options();
  options.idempotency_key = "k";
  auto body = decoder.DecodeNdjson("{\"a\":1}\n\n{\"b\":\n[3]\n\"x\xff\"\n{\"c\":3}", options);
  ASSERT_TRUE(body);
  ASSERT_EQ(body->items.size(), 5u);
  EXPECT_EQ(body->items[0].result->id, "k-0");
  EXPECT_EQ(body->items[1].result.error().type, ProblemType::kMalformedJson);
  EXPECT_EQ(body->items[1].result.error().pointer, "/2");
  EXPECT_THAT(body->items[1].result.error().detail, HasSubstr("line 3"));
  EXPECT_EQ(body->items[2].result.error().pointer, "/3");  // [3] is not an object
  EXPECT_THAT(body->items[2].result.error().detail, HasSubstr("line 4"));
  EXPECT_EQ(body->items[3].result.error().type, ProblemType::kInvalidUtf8);
  EXPECT_EQ(body->items[4].result->id, "k-5");
}

TEST(DecodeNdjson, EnforcesLimitsPerLine) {
  Wrap wrap;
  IngestLimits limits;
  limits.max_depth = 3;
  limits.max_string_bytes = 64;
  limits.max_events_per_batch = 3;
  EventDecoder decoder(limits);
  auto body = decoder.DecodeNdjson(
      "{\"a\":[[1]]}\n{\"a\":[[[1]]]}\n{\"s\":\"" + std::string(65, 's') + "\"}", wrap.options());
  ASSERT_TRUE(body);
  EXPECT_TRUE(body->items[0].result);
  EXPECT_EQ(body->items[1].result.error().type, ProblemType::kTooDeep);
  EXPECT_EQ(body->items[2].result.error().type, ProblemType::kStringTooLong);
  EXPECT_EQ(body->items[2].result.error().pointer, "/2/s");
  auto four = decoder.DecodeNdjson("{}\n{}\n\n{}\n{}\n", wrap.options());
  ASSERT_FALSE(four);
  EXPECT_EQ(four.error().type, ProblemType::kTooManyEvents);
  EXPECT_TRUE(decoder.DecodeNdjson("{}\n{}\n\n{}\n\n\n", wrap.options()));
}

TEST(DecodeNdjson, VisitsEachLinesObject) {
  Wrap wrap;
  EventDecoder decoder;
  std::vector<std::string> pointers;
  decoder.SetJsonDataVisitor(
      [&](const JsonData& data) { pointers.push_back(std::string(data.pointer)); });
  ASSERT_TRUE(decoder.DecodeNdjson("{}\n\nnope\n{}", wrap.options()));
  EXPECT_THAT(pointers, ::testing::ElementsAre("/0", "/3"));
}

}  // namespace
}  // namespace eventlake::ingest
