// The format/json cases of the CloudEvents conformance suite
// (cloudevents/conformance), re-expressed as tables: each case keeps the
// suite's id, our own event text, and what EventDecoder must make of it —
// the whole decoded event for valid cases, the pointer of the offending
// attribute for invalid ones.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ingest/event_decoder.h"

namespace eventlake::ingest {
namespace {

// 2018-04-05T17:31:00Z, the instant of the suite's time cases.
const TimestampMicros kSuiteTime = ParseRfc3339("2018-04-05T17:31:00Z").value();

// {"specversion":"1.0","id":"A234-1234-1234","source":"/mycontext","type":"com.example.someevent"
// plus `extra` members.
std::string Event(std::string_view extra = "") {
  std::string json =
      R"({"specversion":"1.0","id":"A234-1234-1234","source":"/mycontext","type":"com.example.someevent")";
  if (!extra.empty()) json += "," + std::string(extra);
  return json + "}";
}

// The event Event() decodes to, before `extra` members.
CloudEvent Minimal() {
  CloudEvent event;
  event.id = "A234-1234-1234";
  event.source = "/mycontext";
  event.type = "com.example.someevent";
  return event;
}

struct ValidCase {
  const char* id;
  std::string json;
  CloudEvent expected;
};

std::vector<ValidCase> ValidCases() {
  std::vector<ValidCase> cases;
  cases.push_back({"validMinimal", Event(), Minimal()});
  cases.push_back({"validMinimalWithNullForOptional",
                   Event(R"("datacontenttype":null,"dataschema":null,"subject":null,"time":null)"),
                   Minimal()});
  CloudEvent all = Minimal();
  all.data_content_type = "text/plain";
  all.data_schema = "https://example.com/schema";
  all.subject = "mysubject";
  all.time = kSuiteTime;
  cases.push_back(
      {"validAllCoreAttributes",
       Event(R"("datacontenttype":"text/plain","dataschema":"https://example.com/schema",)"
             R"("subject":"mysubject","time":"2018-04-05T17:31:00Z")"),
       all});
  CloudEvent timed = Minimal();
  timed.time = kSuiteTime;
  cases.push_back({"validMinimalWithTimeUtc", Event(R"("time":"2018-04-05T17:31:00Z")"), timed});
  cases.push_back({"validMinimalWithTimeToNanosecondsUtc",
                   Event(R"("time":"2018-04-05T17:31:00.000000000Z")"), timed});
  cases.push_back({"validMinimalWithTimeUsingPositiveOffset",
                   Event(R"("time":"2018-04-05T18:31:00+01:00")"), timed});
  cases.push_back({"validMinimalWithTimeUsingNegativeOffset",
                   Event(R"("time":"2018-04-05T16:31:00-01:00")"), timed});
  CloudEvent relative = Minimal();
  relative.source = "#fragment";
  cases.push_back(
      {"validRelativeSource",
       R"({"specversion":"1.0","id":"A234-1234-1234","source":"#fragment","type":"com.example.someevent"})",
       relative});
  CloudEvent text = Minimal();
  text.data_content_type = "text/plain";
  text.data = "Simple text";
  cases.push_back({"validSimpleTextData",
                   Event(R"("datacontenttype":"text/plain","data":"Simple text")"), text});
  CloudEvent ext = Minimal();
  ext.extensions = {{"extinteger", int64_t{10}},
                    {"extboolean", true},
                    {"extstring", std::string("text")},
                    {"exturi", std::string("https://cloudevents.io")},
                    {"exturiref", std::string("//authority/path")},
                    {"exttimestamp", std::string("2023-03-31T15:12:00Z")},
                    {"extbinary", std::string("TWE=")}};
  cases.push_back({"validAllExtensionTypes",
                   Event(R"("extinteger":10,"extboolean":true,"extstring":"text",)"
                         R"("exturi":"https://cloudevents.io","exturiref":"//authority/path",)"
                         R"("exttimestamp":"2023-03-31T15:12:00Z","extbinary":"TWE=")"),
                   ext});
  return cases;
}

TEST(ConformanceJsonFormat, AcceptsEveryValidCase) {
  EventDecoder decoder;
  for (const ValidCase& c : ValidCases()) {
    EventResult event = decoder.DecodeStructured(c.json);
    ASSERT_TRUE(event.has_value()) << c.id << ": " << event.error().ToString();
    EXPECT_EQ(*event, c.expected) << c.id;
  }
}

struct InvalidCase {
  const char* id;
  std::string json;
  std::string pointer;  // of the attribute the problem must name
};

std::vector<InvalidCase> InvalidCases() {
  const std::string no_spec =
      R"({"id":"A234-1234-1234","source":"/mycontext","type":"com.example.someevent"})";
  const std::string no_id =
      R"({"specversion":"1.0","source":"/mycontext","type":"com.example.someevent"})";
  const std::string no_type =
      R"({"specversion":"1.0","id":"A234-1234-1234","source":"/mycontext"})";
  const std::string no_source =
      R"({"specversion":"1.0","id":"A234-1234-1234","type":"com.example.someevent"})";
  auto with = [](std::string_view name, std::string_view value) {
    std::string json = R"({"specversion":"1.0","id":"A234-1234-1234","source":"/mycontext",)"
                       R"("type":"com.example.someevent")";
    json += ",\"" + std::string(name) + "\":" + std::string(value) + "}";
    return json;
  };
  auto replacing = [](std::string_view name, std::string_view value) {
    std::string json = Event();
    std::string from = "\"" + std::string(name) + "\":\"";
    size_t start = json.find(from);
    size_t end = json.find('"', start + from.size());
    return json.replace(start + from.size() - 1, end - start - from.size() + 2, value);
  };
  return {
      {"invalidNoSpecVersion", no_spec, "/specversion"},
      {"invalidNoId", no_id, "/id"},
      {"invalidNoType", no_type, "/type"},
      {"invalidNoSource", no_source, "/source"},
      {"invalidTimeGarbage", with("time", R"("lunchtime")"), "/time"},
      {"invalidTimeToMinute", with("time", R"("2018-04-05T18:31Z")"), "/time"},
      {"invalidTimeOffsetX", with("time", R"("2018-04-05T18:31:00X")"), "/time"},
      {"invalidTimeOffsetOutOfRange", with("time", R"("2018-04-05T18:31:00+25:00")"), "/time"},
      {"invalidTimeOffsetNonInteger", with("time", R"("2018-04-05T18:31:00+xx:00")"), "/time"},
      {"invalidTimeOffsetHourOnly", with("time", R"("2018-04-05T18:31:00+05")"), "/time"},
      {"invalidEmptyId", replacing("id", R"("")"), "/id"},
      {"invalidEmptyType", replacing("type", R"("")"), "/type"},
      {"invalidEmptySource", replacing("source", R"("")"), "/source"},
      {"invalidEmptySpecVersion", replacing("specversion", R"("")"), "/specversion"},
      {"invalidUnknownSpecVersion", replacing("specversion", R"("0.9")"), "/specversion"},
      {"invalidNonRfc2046DataContentType", with("datacontenttype", R"("xyz")"), "/datacontenttype"},
      {"invalidEmptyDataContentType", with("datacontenttype", R"("")"), "/datacontenttype"},
      {"invalidEmptyDataSchema", with("dataschema", R"("")"), "/dataschema"},
      {"invalidEmptySubject", with("subject", R"("")"), "/subject"},
      {"invalidNumericId", replacing("id", "25"), "/id"},
      {"invalidObjectId", replacing("id", R"({"xyz":"abc"})"), "/id"},
      {"invalidCapitalizedExtension", with("MyExtension", R"("value")"), "/MyExtension"},
      {"invalidPunctuatedExtension", with("my.extension", R"("value")"), "/my.extension"},
      {"invalidNonIntegerExtensionValue", with("myextension", "1.5"), "/myextension"},
      {"invalidBothDataAndDataBase64",
       Event(R"("datacontenttype":"text/plain","data":"x","data_base64":"eA==")"), "/data_base64"},
  };
}

TEST(ConformanceJsonFormat, RejectsEveryInvalidCaseNamingTheAttribute) {
  EventDecoder decoder;
  for (const InvalidCase& c : InvalidCases()) {
    EventResult event = decoder.DecodeStructured(c.json);
    ASSERT_FALSE(event.has_value()) << c.id << " was accepted: " << c.json;
    EXPECT_EQ(event.error().type, ProblemType::kInvalidEvent) << c.id;
    EXPECT_EQ(event.error().pointer, c.pointer) << c.id << ": " << event.error().ToString();
  }
}

struct BatchCase {
  const char* id;
  std::string json;
  std::vector<bool> accepted;  // per item
};

std::vector<BatchCase> BatchCases() {
  const std::string minimal = Event();
  const std::string all_core =
      Event(R"("datacontenttype":"text/plain","dataschema":"https://example.com/schema",)"
            R"("subject":"mysubject","time":"2018-04-05T17:31:00Z")");
  const std::string all_ext = Event(
      R"("extinteger":10,"extboolean":true,"extstring":"text","exturi":"https://cloudevents.io",)"
      R"("exturiref":"//authority/path","exttimestamp":"2023-03-31T15:12:00Z","extbinary":"TWE=")");
  std::string old_version = minimal;
  old_version.replace(old_version.find("1.0"), 3, "0.9");
  const std::string no_id =
      R"({"specversion":"1.0","source":"/mycontext","type":"com.example.someevent"})";
  return {
      {"validBatchEmpty", "[]", {}},
      {"validBatchMinimal", "[" + minimal + "]", {true}},
      {"validBatchMinimal2", "[" + minimal + "," + minimal + "]", {true, true}},
      {"validBatchMinimalAndAllCore", "[" + minimal + "," + all_core + "]", {true, true}},
      {"validBatchMinimalAndAllExtensionTypes", "[" + minimal + "," + all_ext + "]", {true, true}},
      {"invalidBatchMixedSpecVersions", "[" + minimal + "," + old_version + "]", {true, false}},
      {"invalidBatchContainingInvalidCloudEvent", "[" + minimal + "," + no_id + "]", {true, false}},
      {"invalidBatchContainingNonObject", R"(["not an object",)" + minimal + "]", {false, true}},
  };
}

TEST(ConformanceJsonBatchFormat, AnswersEveryItemOfEveryCase) {
  EventDecoder decoder;
  for (const BatchCase& c : BatchCases()) {
    auto batch = decoder.DecodeBatch(c.json);
    ASSERT_TRUE(batch.has_value()) << c.id << ": " << batch.error().ToString();
    ASSERT_EQ(batch->items.size(), c.accepted.size()) << c.id;
    for (size_t i = 0; i < c.accepted.size(); ++i) {
      const EventResult& item = batch->items[i].result;
      EXPECT_EQ(item.has_value(), c.accepted[i]) << c.id << " item " << i;
      if (item.has_value()) {
        EXPECT_EQ(item->id, "A234-1234-1234") << c.id;
      } else {
        EXPECT_EQ(item.error().type, ProblemType::kInvalidEvent) << c.id;
        EXPECT_THAT(item.error().pointer, ::testing::StartsWith("/" + std::to_string(i))) << c.id;
      }
    }
  }
}

}  // namespace
}  // namespace eventlake::ingest
