// Tests of EventDecoder's structured and batch modes beyond the conformance
// cases: how data is kept, attribute rules, every limit, the data visitor,
// and DecodeRequest's mode detection and whole-request problems.
#include "ingest/event_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <vector>

namespace eventlake::ingest {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kHead = R"({"specversion":"1.0","id":"e1","source":"/s","type":"t")";

std::string With(std::string_view members) {
  return std::string(kHead) + "," + std::string(members) + "}";
}

std::string Minimal() { return std::string(kHead) + "}"; }

IngestProblem ProblemOf(EventResult result) {
  EXPECT_FALSE(result.has_value());
  return result.has_value() ? IngestProblem{} : result.error();
}

TEST(DecodeStructured, KeepsJsonDataTokenForTokenWithoutWhitespace) {
  EventDecoder decoder;
  auto event = decoder.DecodeStructured(
      With(R"("data" : { "price" : 12.50, "big" : 123456789012345678, "s" : "a b\"c" ,
               "e" : 1E2, "n" : [ ] })"));
  ASSERT_TRUE(event) << event.error().ToString();
  EXPECT_EQ(event->data, R"({"price":12.50,"big":123456789012345678,"s":"a b\"c","e":1E2,"n":[]})");
  EXPECT_EQ(event->data_content_type, "application/json");  // implied, now explicit
  EXPECT_FALSE(event->data_is_binary);
}

TEST(DecodeStructured, FindsDataWhateverMembersComeBefore) {
  EventDecoder decoder;
  auto event = decoder.DecodeStructured(
      R"({"x":{"data":[1,"]}"]},"data":"str\\","specversion":"1.0","id":"e","source":"/s",)"
      R"("type":"t","y":"data"})");
  ASSERT_FALSE(event);  // "x" holds an object: not an extension value
  event = decoder.DecodeStructured(
      R"({"x":"{\"data\":1}","data":["a\\",{"b":"}"}],"specversion":"1.0","id":"e","source":"/s",)"
      R"("type":"t"})");
  ASSERT_TRUE(event) << event.error().ToString();
  EXPECT_EQ(event->data, R"(["a\\",{"b":"}"}])");
}

TEST(DecodeStructured, KeepsStringValueUnderNonJsonContentType) {
  EventDecoder decoder;
  auto event =
      decoder.DecodeStructured(With(R"("datacontenttype":"application/xml","data":"<a/>")"));
  ASSERT_TRUE(event);
  EXPECT_EQ(event->data, "<a/>");
  auto json_string = decoder.DecodeStructured(With(R"("data":"I'm just a string")"));
  ASSERT_TRUE(json_string);
  EXPECT_EQ(json_string->data, R"("I'm just a string")");  // a JSON value under application/json
}

TEST(DecodeStructured, RejectsNonStringDataUnderNonJsonContentType) {
  EventDecoder decoder;
  auto problem =
      ProblemOf(decoder.DecodeStructured(With(R"("datacontenttype":"text/plain","data":{"a":1})")));
  EXPECT_EQ(problem.pointer, "/data");
}

TEST(DecodeStructured, AcceptsJsonSuffixContentTypesAsJson) {
  EventDecoder decoder;
  for (std::string_view type :
       {"application/geo+json", "text/json", "Application/JSON; charset=utf-8"}) {
    auto event = decoder.DecodeStructured(
        With(R"("datacontenttype":")" + std::string(type) + R"(","data":{"a": 1})"));
    ASSERT_TRUE(event) << type;
    EXPECT_EQ(event->data, R"({"a":1})") << type;
  }
}

TEST(DecodeStructured, DecodesDataBase64AndLeavesContentTypeAlone) {
  EventDecoder decoder;
  auto event = decoder.DecodeStructured(With(R"("data_base64":"AAH/")"));
  ASSERT_TRUE(event);
  EXPECT_EQ(event->data, std::string("\x00\x01\xff", 3));
  EXPECT_TRUE(event->data_is_binary);
  EXPECT_FALSE(event->data_content_type.has_value());
  EXPECT_EQ(ProblemOf(decoder.DecodeStructured(With(R"("data_base64":"AA!")"))).pointer,
            "/data_base64");
  EXPECT_EQ(ProblemOf(decoder.DecodeStructured(With(R"("data_base64":5)"))).pointer,
            "/data_base64");
}

TEST(DecodeStructured, TreatsNullDataAsExplicitNullAndNullBase64AsAbsent) {
  EventDecoder decoder;
  auto event = decoder.DecodeStructured(With(R"("data":null,"data_base64":null)"));
  ASSERT_TRUE(event) << event.error().ToString();
  EXPECT_EQ(event->data, "null");
  EXPECT_FALSE(ProblemOf(decoder.DecodeStructured(With(R"("data":null,"data_base64":"AA==")")))
                   .detail.empty());
}

TEST(DecodeStructured, RejectsRepeatedMembers) {
  EventDecoder decoder;
  EXPECT_EQ(ProblemOf(decoder.DecodeStructured(With(R"("id":"e2")"))).pointer, "/id");
  EXPECT_EQ(ProblemOf(decoder.DecodeStructured(With(R"("ext":1,"ext":2)"))).pointer, "/ext");
  EXPECT_EQ(ProblemOf(decoder.DecodeStructured(With(R"("data":1,"data":2)"))).pointer, "/data");
  std::string many;
  for (int i = 0; i < 30; ++i) many += "\"x" + std::to_string(i) + "\":1,";
  EXPECT_EQ(ProblemOf(decoder.DecodeStructured(With(many + R"("x7":true)"))).pointer, "/x7");
}

TEST(DecodeStructured, ReadsExtensionIntegersIn32BitRangeOnly) {
  EventDecoder decoder;
  auto event =
      decoder.DecodeStructured(With(R"("a":-2147483648,"b":2147483647,"c":10.0,"d":null)"));
  ASSERT_TRUE(event) << event.error().ToString();
  ASSERT_EQ(event->extensions.size(), 3u);
  EXPECT_EQ(event->extensions[0].value, ExtensionValue(int64_t{-2147483648}));
  EXPECT_EQ(event->extensions[2].value, ExtensionValue(int64_t{10}));
  for (std::string_view bad :
       {"2147483648", "-2147483649", "18446744073709551615", "1e10", "0.5", "[1]", "{}"}) {
    EXPECT_EQ(ProblemOf(decoder.DecodeStructured(With("\"n\":" + std::string(bad)))).pointer, "/n")
        << bad;
  }
}

TEST(DecodeStructured, RejectsExtensionNamesLongerThan20) {
  EventDecoder decoder;
  EXPECT_TRUE(decoder.DecodeStructured(With(R"("abcdefghijklmnopqrst":"x")")));
  EXPECT_FALSE(decoder.DecodeStructured(With(R"("abcdefghijklmnopqrstu":"x")")));
  EXPECT_FALSE(decoder.DecodeStructured(With(R"("":"x")")));
}

TEST(DecodeStructured, RejectsControlCharactersAndNoncharactersInAttributes) {
  EventDecoder decoder;
  auto problem = ProblemOf(decoder.DecodeStructured(With(R"("subject":"a\nb")")));
  EXPECT_EQ(problem.pointer, "/subject");
  EXPECT_THAT(problem.detail, HasSubstr("U+000A"));
  EXPECT_THAT(ProblemOf(decoder.DecodeStructured(With(R"("ext":"\u0085")"))).detail,
              HasSubstr("U+0085"));
  EXPECT_THAT(ProblemOf(decoder.DecodeStructured(With(R"("ext":"\uFFFF")"))).detail,
              HasSubstr("U+FFFF"));
  EXPECT_TRUE(decoder.DecodeStructured(With(R"("subject":"caf\u00e9 \ud83d\ude00")")));
}

TEST(DecodeStructured, RejectsTimesThatOffsetsMoveOutOfYears1To9999) {
  EventDecoder decoder;
  EXPECT_TRUE(decoder.DecodeStructured(With(R"("time":"0001-01-01T00:00:00Z")")));
  EXPECT_TRUE(decoder.DecodeStructured(With(R"("time":"9999-12-31T23:59:59.999999Z")")));
  EXPECT_EQ(
      ProblemOf(decoder.DecodeStructured(With(R"("time":"0001-01-01T00:30:00+01:00")"))).pointer,
      "/time");
  EXPECT_EQ(
      ProblemOf(decoder.DecodeStructured(With(R"("time":"9999-12-31T23:30:00-01:00")"))).pointer,
      "/time");
}

TEST(DecodeStructured, RejectsDataSchemaThatIsNotAnAbsoluteUri) {
  EventDecoder decoder;
  EXPECT_EQ(ProblemOf(decoder.DecodeStructured(With(R"("dataschema":"schemas/a.json")"))).pointer,
            "/dataschema");
  EXPECT_TRUE(decoder.DecodeStructured(With(R"("dataschema":"urn:example:schema")")));
}

TEST(DecodeStructured, RejectsAttributeOverMaxAttributeBytes) {
  IngestLimits limits;
  limits.max_attribute_bytes = 64;
  EventDecoder decoder(limits);
  EXPECT_TRUE(decoder.DecodeStructured(With("\"subject\":\"" + std::string(64, 'a') + "\"")));
  auto problem =
      ProblemOf(decoder.DecodeStructured(With("\"subject\":\"" + std::string(65, 'a') + "\"")));
  EXPECT_EQ(problem.type, ProblemType::kInvalidEvent);
  EXPECT_EQ(problem.pointer, "/subject");
}

std::string Nested(int depth) {  // `depth` arrays around a 1
  return std::string(depth, '[') + "1" + std::string(depth, ']');
}

TEST(DecodeStructured, EnforcesMaxDepthCountingTheEventObject) {
  IngestLimits limits;
  limits.max_depth = 8;
  EventDecoder decoder(limits);
  EXPECT_TRUE(decoder.DecodeStructured(With("\"data\":" + Nested(7))));  // 1 + 7 = 8
  auto problem = ProblemOf(decoder.DecodeStructured(With("\"data\":" + Nested(8))));
  EXPECT_EQ(problem.type, ProblemType::kTooDeep);
  EventDecoder defaults;  // 64 by default, also after the parser grew
  EXPECT_TRUE(defaults.DecodeStructured(With("\"data\":[\"" + std::string(1 << 20, 'x') + "\"]")));
  EXPECT_TRUE(defaults.DecodeStructured(With("\"data\":" + Nested(63))));
  EXPECT_EQ(ProblemOf(defaults.DecodeStructured(With("\"data\":" + Nested(64)))).type,
            ProblemType::kTooDeep);
}

TEST(DecodeStructured, RejectsStringOrKeyOverMaxStringBytesWithItsPointer) {
  IngestLimits limits;
  limits.max_string_bytes = 100;
  EventDecoder decoder(limits);
  std::string long_string(101, 'x');
  auto problem = ProblemOf(
      decoder.DecodeStructured(With(R"("data":{"a":[1,{"b~/":")" + long_string + R"("}]})")));
  EXPECT_EQ(problem.type, ProblemType::kStringTooLong);
  EXPECT_EQ(problem.pointer, "/data/a/1/b~0~1");
  problem = ProblemOf(decoder.DecodeStructured(With(R"("data":{")" + long_string + R"(":1})")));
  EXPECT_EQ(problem.type, ProblemType::kStringTooLong);
  EXPECT_THAT(problem.detail, HasSubstr("key"));
  EXPECT_TRUE(decoder.DecodeStructured(With(R"("data":")" + std::string(100, 'x') + "\"")));
}

TEST(DecodeStructured, ReportsInvalidUtf8MalformedJsonAndHugeNumbers) {
  EventDecoder decoder;
  EXPECT_EQ(ProblemOf(decoder.DecodeStructured(With("\"subject\":\"a\xff\""))).type,
            ProblemType::kInvalidUtf8);
  EXPECT_EQ(ProblemOf(decoder.DecodeStructured(With("\"data\":[1,]"))).type,
            ProblemType::kMalformedJson);
  EXPECT_EQ(ProblemOf(decoder.DecodeStructured("")).type, ProblemType::kMalformedJson);
  EXPECT_EQ(ProblemOf(decoder.DecodeStructured(std::string(kHead))).type,
            ProblemType::kMalformedJson);
  auto problem = ProblemOf(decoder.DecodeStructured(With("\"data\":123456789012345678901")));
  EXPECT_EQ(problem.type, ProblemType::kMalformedJson);
  EXPECT_THAT(problem.detail, HasSubstr("out of range"));
  EXPECT_EQ(ProblemOf(decoder.DecodeStructured("[1]")).type, ProblemType::kInvalidEvent);
}

TEST(DecodeBatch, RejectsMoreThanMaxEventsAsAWhole) {
  IngestLimits limits;
  limits.max_events_per_batch = 3;
  EventDecoder decoder(limits);
  EXPECT_TRUE(decoder.DecodeBatch("[{},{},{}]"));
  auto four = decoder.DecodeBatch("[{},{},{},{}]");
  ASSERT_FALSE(four);
  EXPECT_EQ(four.error().type, ProblemType::kTooManyEvents);
  EXPECT_EQ(decoder.DecodeBatch("{}").error().type, ProblemType::kInvalidEvent);
  EXPECT_EQ(decoder.DecodeBatch("[").error().type, ProblemType::kMalformedJson);
}

TEST(DecodeBatch, GivesEachItemItsTextAndPointer) {
  EventDecoder decoder;
  std::string good = With(R"("data": {"k": [1, 2]})");
  auto batch = decoder.DecodeBatch("[ " + good + " ,\n 7 , " + With(R"("time":"no")") + "]");
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->items.size(), 3u);
  EXPECT_EQ(batch->items[0].text, good);
  EXPECT_EQ(batch->items[0].result->data, R"({"k":[1,2]})");
  EXPECT_EQ(batch->items[1].text, "7");
  EXPECT_EQ(batch->items[1].result.error().pointer, "/1");
  EXPECT_EQ(batch->items[2].result.error().pointer, "/2/time");
}

TEST(DecodeBatch, RejectsAnItemWithALongStringAlone) {
  IngestLimits limits;
  limits.max_string_bytes = 100;
  EventDecoder decoder(limits);
  auto batch = decoder.DecodeBatch("[" + Minimal() + "," +
                                   With("\"data\":\"" + std::string(200, 'y') + "\"") + "]");
  ASSERT_TRUE(batch) << batch.error().ToString();
  EXPECT_TRUE(batch->items[0].result);
  EXPECT_EQ(batch->items[1].result.error().pointer, "/1/data");
}

TEST(EventDecoder, VisitsJsonDataWithItsPointer) {
  EventDecoder decoder;
  std::vector<std::string> seen;
  decoder.SetJsonDataVisitor([&](const JsonData& data) {
    seen.push_back(std::to_string(data.item) + " " + std::string(data.pointer) + " " +
                   data.event->id + " " + simdjson::minify(data.value));
  });
  ASSERT_TRUE(decoder.DecodeStructured(With(R"("data":{"a":1})")));
  ASSERT_TRUE(decoder.DecodeBatch("[" + Minimal() + "," + With(R"("data":[2])") + "," +
                                  With(R"("data_base64":"AA==")") + "]"));
  EXPECT_THAT(seen, ::testing::ElementsAre("0 /data e1 {\"a\":1}", "1 /1/data e1 [2]"));
}

TEST(EventDecoder, StaysUsableAfterAVeryLargeBody) {
  EventDecoder decoder;
  std::string numbers;
  for (int i = 0; i < (3 << 20) / 2; ++i) numbers += "1,";
  auto big = decoder.DecodeStructured(With("\"data\":[" + numbers + "1]"));
  ASSERT_TRUE(big) << big.error().ToString();
  EXPECT_EQ(big->data.size(), numbers.size() + 3);
  auto event = decoder.DecodeStructured(With(R"("data":{"x":[[[1]]]})"));
  ASSERT_TRUE(event);
  EXPECT_EQ(event->data, R"({"x":[[[1]]]})");
}

std::vector<HeaderField> ContentType(std::string_view type) { return {{"Content-Type", type}}; }

TEST(DetectBodyMode, FollowsContentTypeThenCeSpecversion) {
  auto mode = [](std::vector<HeaderField> headers) { return DetectBodyMode(headers); };
  EXPECT_EQ(mode(ContentType("application/cloudevents+json; charset=UTF-8")),
            BodyMode::kStructured);
  EXPECT_EQ(mode(ContentType("Application/CloudEvents-Batch+JSON")), BodyMode::kBatch);
  EXPECT_EQ(mode(ContentType("application/json")), BodyMode::kPlainJson);
  EXPECT_EQ(mode({{"content-type", "application/json"}, {"CE-SpecVersion", "1.0"}}),
            BodyMode::kBinary);
  EXPECT_EQ(mode({{"ce-specversion", "1.0"}}), BodyMode::kBinary);
  EXPECT_EQ(mode(ContentType("application/x-ndjson")), BodyMode::kNdjson);
  EXPECT_EQ(mode(ContentType("application/jsonl")), BodyMode::kNdjson);
  for (std::string_view other : {"text/plain", "application/cloudevents+avro", ""}) {
    auto problem = mode(ContentType(other));
    ASSERT_FALSE(problem) << other;
    EXPECT_EQ(problem.error().type, ProblemType::kUnsupportedMediaType);
    EXPECT_EQ(ProblemHttpStatus(problem.error().type), 415u);
  }
}

std::string Gzip(std::string_view text) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, text.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

TEST(DecodeRequest, InflatesGzipBodiesBeforeDecoding) {
  EventDecoder decoder;
  std::string body = Gzip("[" + With(R"("data":{"n":1})") + "," + Minimal() + "]");
  std::vector<HeaderField> headers = {{"content-type", "application/cloudevents-batch+json"},
                                      {"Content-Encoding", "gzip"}};
  auto decoded = decoder.DecodeRequest(headers, body, {});
  ASSERT_TRUE(decoded) << decoded.error().ToString();
  EXPECT_TRUE(decoded->per_item);
  ASSERT_EQ(decoded->items.size(), 2u);
  EXPECT_EQ(decoded->items[0].result->data, R"({"n":1})");
}

// A body with kJsonPadding bytes of spare capacity is parsed where it lies
// (an item's text points into it); without, into a padded copy. Both answer
// alike, and the slack is this request's only: a later direct call copies.
TEST(DecodeRequest, ParsesABodyWithSlackInPlace) {
  EventDecoder decoder;
  std::string body = "[" + With(R"("data":{"n":1})") + "," + Minimal() + "]";
  body.reserve(body.size() + kJsonPadding);
  auto inside = [&body](std::string_view text) {
    return text.data() >= body.data() && text.data() < body.data() + body.size();
  };
  auto headers = ContentType("application/cloudevents-batch+json");
  auto in_place = decoder.DecodeRequest(headers, body, {}, body.capacity() - body.size());
  ASSERT_TRUE(in_place) << in_place.error().ToString();
  ASSERT_EQ(in_place->items.size(), 2u);
  EXPECT_TRUE(inside(in_place->items[1].text));
  EXPECT_EQ(in_place->items[0].result->data, R"({"n":1})");
  auto copied = decoder.DecodeRequest(headers, body, {}, kJsonPadding - 1);
  ASSERT_TRUE(copied);
  ASSERT_EQ(copied->items.size(), 2u);
  EXPECT_FALSE(inside(copied->items[1].text));
  EXPECT_EQ(copied->items[1].text, Minimal());
  auto direct = decoder.DecodeBatch(body);
  ASSERT_TRUE(direct);
  EXPECT_FALSE(inside(direct->items[1].text));
}

TEST(DecodeRequest, AnswersSingleEventFailuresAsTheProblem) {
  EventDecoder decoder;
  auto decoded = decoder.DecodeRequest(ContentType("application/cloudevents+json"),
                                       With(R"("time":"soon")"), {});
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().pointer, "/time");
  auto ok = decoder.DecodeRequest(ContentType("application/cloudevents+json"), Minimal(), {});
  ASSERT_TRUE(ok);
  EXPECT_FALSE(ok->per_item);
  EXPECT_EQ(ok->items.front().text, Minimal());
}

TEST(DecodeRequest, RefusesOversizedBodiesAndUnknownEncodings) {
  IngestLimits limits;
  limits.max_body_bytes = 1024;
  EventDecoder decoder(limits);
  auto headers = ContentType("application/cloudevents+json");
  EXPECT_EQ(decoder.DecodeRequest(headers, std::string(1025, ' '), {}).error().type,
            ProblemType::kBodyTooLarge);
  headers.push_back({"content-encoding", "br"});
  EXPECT_EQ(decoder.DecodeRequest(headers, "x", {}).error().type,
            ProblemType::kUnsupportedEncoding);
  EXPECT_EQ(decoder.DecodeRequest(ContentType("text/csv"), "a,b", {}).error().type,
            ProblemType::kUnsupportedMediaType);
}

}  // namespace
}  // namespace eventlake::ingest
