// Tests for stream options: durability names, validation limits, the config
// table (YAML) and stream.json.
#include "log/stream_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "log/stream_options_table.h"

namespace eventlake::log {
namespace {

using std::chrono::milliseconds;

StreamOptions Named(std::string name = "events") {
  StreamOptions o;
  o.name = std::move(name);
  return o;
}

// Every field different from its default.
StreamOptions Unusual() {
  StreamOptions o = Named("clicks.v2");
  o.partitions = 12;
  o.durability = Durability::kInterval;
  o.fsync_interval = milliseconds(250);
  o.segment_max_bytes = 128ull << 20;
  o.segment_max_age = std::chrono::minutes(10);
  o.retention_age = std::chrono::hours(24 * 30);
  o.retention_bytes = 10'000'000'000;
  o.quota_bytes = 1ull << 40;
  o.index_interval_bytes = 8192;
  o.max_pending_bytes = 256ull << 20;
  return o;
}

// Compares every field (StreamOptions has no operator==).
void ExpectSame(const StreamOptions& a, const StreamOptions& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.partitions, b.partitions);
  EXPECT_EQ(a.durability, b.durability);
  EXPECT_EQ(a.fsync_interval, b.fsync_interval);
  EXPECT_EQ(a.segment_max_bytes, b.segment_max_bytes);
  EXPECT_EQ(a.segment_max_age, b.segment_max_age);
  EXPECT_EQ(a.retention_age, b.retention_age);
  EXPECT_EQ(a.retention_bytes, b.retention_bytes);
  EXPECT_EQ(a.quota_bytes, b.quota_bytes);
  EXPECT_EQ(a.index_interval_bytes, b.index_interval_bytes);
  EXPECT_EQ(a.max_pending_bytes, b.max_pending_bytes);
}

Result<StreamOptions> ParseYaml(const std::string& yaml) {
  StreamOptions o;
  Status s = StreamOptionsTable().Parse(YAML::Load(yaml), "streams[3]", &o);
  if (!s.ok()) return Err(s);
  return o;
}

TEST(Durability, NamesRoundTripAndUnknownNamesAreRejected) {
  for (Durability d : {Durability::kFsync, Durability::kInterval, Durability::kNone}) {
    EXPECT_EQ(ParseDurability(DurabilityName(d)).value(), d);
  }
  EXPECT_EQ(DurabilityName(Durability::kFsync), "fsync");
  EXPECT_EQ(DurabilityName(Durability::kInterval), "interval");
  EXPECT_EQ(DurabilityName(Durability::kNone), "none");
  for (const char* bad : {"", "FSYNC", "fsync ", "always"}) {
    Result<Durability> d = ParseDurability(bad);
    ASSERT_FALSE(d.has_value()) << bad;
    EXPECT_EQ(d.error().code(), StatusCode::kInvalidArgument);
  }
}

TEST(ValidateStreamOptions, AcceptsDefaultsWithAName) {
  EXPECT_TRUE(ValidateStreamOptions(Named()).ok());
  EXPECT_TRUE(ValidateStreamOptions(Unusual()).ok());
}

TEST(ValidateStreamOptions, RejectsBadNames) {
  const std::vector<std::string> kBad = {
      "", ".", "..", "Events", "a/b", "a b", "\xc3\xa9v", "a\n", std::string(129, 'a')};
  for (const std::string& bad : kBad) {
    Status s = ValidateStreamOptions(Named(bad));
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << "accepted '" << bad << "'";
  }
  const std::vector<std::string> kGood = {"a",   "clicks", "clicks_dlq",         "iot-2024.v1",
                                          "...", "0",      std::string(128, 'z')};
  for (const std::string& good : kGood) {
    EXPECT_TRUE(ValidateStreamOptions(Named(good)).ok()) << good;
  }
}

TEST(ValidateStreamOptions, EnforcesEveryLimitAtItsEdge) {
  struct Case {
    void (*set)(StreamOptions&, bool inside);
    const char* key;
  };
  const Case kCases[] = {
      {[](StreamOptions& o, bool in) { o.partitions = in ? 1 : 0; }, "partitions"},
      {[](StreamOptions& o, bool in) { o.partitions = in ? 1024 : 1025; }, "partitions"},
      {[](StreamOptions& o, bool in) { o.segment_max_bytes = in ? 4096 : 4095; },
       "segment_max_bytes"},
      {[](StreamOptions& o, bool in) { o.segment_max_bytes = (2ull << 30) + (in ? 0 : 1); },
       "segment_max_bytes"},
      {[](StreamOptions& o, bool in) { o.index_interval_bytes = in ? 64 : 63; },
       "index_interval_bytes"},
      {[](StreamOptions& o, bool in) { o.max_pending_bytes = (64 << 10) - (in ? 0 : 1); },
       "max_pending_bytes"},
      {[](StreamOptions& o, bool in) { o.fsync_interval = milliseconds(in ? 1 : 0); },
       "fsync_interval"},
      {[](StreamOptions& o, bool in) { o.segment_max_age = milliseconds(in ? 1000 : 999); },
       "segment_max_age"},
      {[](StreamOptions& o, bool in) { o.retention_age = milliseconds(in ? 0 : -1); }, "retention"},
  };
  for (const Case& c : kCases) {
    StreamOptions inside = Named();
    c.set(inside, true);
    EXPECT_TRUE(ValidateStreamOptions(inside).ok()) << c.key;
    StreamOptions outside = Named();
    c.set(outside, false);
    Status s = ValidateStreamOptions(outside);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.key;
    EXPECT_THAT(s.message(), ::testing::StartsWith(std::string(c.key) + ": must be between"));
  }
  EXPECT_EQ(ValidateStreamOptions(Named()).code(), StatusCode::kOk);
  StreamOptions garbage = Named();
  garbage.durability = static_cast<Durability>(7);
  EXPECT_FALSE(ValidateStreamOptions(garbage).ok());
}

TEST(ValidateStreamOptions, MessageNamesTheLimitInItsUnit) {
  StreamOptions o = Named();
  o.segment_max_bytes = 1024;
  EXPECT_EQ(ValidateStreamOptions(o).message(),
            "segment_max_bytes: must be between 4KiB and 2GiB, got 1KiB");
}

TEST(StreamOptionsTable, ParsesEveryKey) {
  Result<StreamOptions> o = ParseYaml(R"(
name: clicks.v2
partitions: 12
durability: interval
fsync_interval: 250ms
segment_max_bytes: 128MiB
segment_max_age: 10m
retention: 30d
retention_bytes: 10GB
quota_bytes: 1TiB
index_interval_bytes: 8KiB
max_pending_bytes: 256MiB
)");
  ASSERT_TRUE(o.has_value()) << o.error().ToString();
  ExpectSame(*o, Unusual());
}

TEST(StreamOptionsTable, CoversEveryFieldOnce) {
  EXPECT_EQ(StreamOptionsTable().Keys(),
            (std::vector<std::string>{"name", "partitions", "durability", "fsync_interval",
                                      "segment_max_bytes", "segment_max_age", "retention",
                                      "retention_bytes", "quota_bytes", "index_interval_bytes",
                                      "max_pending_bytes"}));
}

TEST(StreamOptionsTable, KeepsDefaultsForAbsentKeys) {
  Result<StreamOptions> o = ParseYaml("name: events");
  ASSERT_TRUE(o.has_value());
  ExpectSame(*o, Named());
}

TEST(StreamOptionsTable, ErrorsNameTheEntryAndKey) {
  auto error = [](const std::string& yaml) { return ParseYaml(yaml).error().message(); };
  EXPECT_EQ(error("partitions: 2"), "streams[3].name: required");
  EXPECT_EQ(error("name: a\npartitions: 0"),
            "streams[3].partitions: must be between 1 and 1024, got 0");
  EXPECT_EQ(error("name: a\nsegment_max_bytes: 3GiB"),
            "streams[3].segment_max_bytes: must be between 4KiB and 2GiB, got 3GiB");
  EXPECT_EQ(error("name: a\ndurability: always"),
            "streams[3].durability: must be one of fsync, interval, none, got \"always\"");
  EXPECT_EQ(error("name: a\nretention_age: 1d"),
            "streams[3].retention_age: unknown key (known: name, partitions, durability, "
            "fsync_interval, segment_max_bytes, segment_max_age, retention, retention_bytes, "
            "quota_bytes, index_interval_bytes, max_pending_bytes)");
  EXPECT_THAT(error("name: a\nretention: 7"),
              ::testing::StartsWith("streams[3].retention: invalid duration \"7\""));
  EXPECT_THAT(error("name: Clicks"),
              ::testing::StartsWith("streams[3]: name: 'Clicks' is not a valid stream name"));
}

TEST(StreamOptionsTable, LimitsAgreeWithValidateStreamOptions) {
  // A value the table accepts must validate, and the table must reject what
  // validation rejects, so that the two cannot drift apart.
  for (const char* entry :
       {"partitions: 1025", "segment_max_bytes: 4095", "index_interval_bytes: 63",
        "max_pending_bytes: 65535", "fsync_interval: 0", "segment_max_age: 999ms"}) {
    EXPECT_FALSE(ParseYaml(std::string("name: a\n") + entry).has_value()) << entry;
  }
  for (const char* entry :
       {"partitions: 1024", "segment_max_bytes: 2GiB", "index_interval_bytes: 64",
        "max_pending_bytes: 64KiB", "fsync_interval: 1ms", "segment_max_age: 1s", "retention: 0"}) {
    Result<StreamOptions> o = ParseYaml(std::string("name: a\n") + entry);
    ASSERT_TRUE(o.has_value()) << entry << ": " << o.error().ToString();
    EXPECT_TRUE(ValidateStreamOptions(*o).ok()) << entry;
  }
}

TEST(StreamOptionsTable, ReferenceShowsTheDefaults) {
  std::string md = StreamOptionsTable().Reference();
  EXPECT_THAT(md, ::testing::StartsWith("## `streams[]`\n"));
  for (const char* row :
       {"| `name` | string | required |", "| `partitions` | integer | `1` |",
        "| `durability` | string | `fsync` |", "| `segment_max_bytes` | byte size | `64MiB` |",
        "| `retention` | duration | `7d` |", "| `index_interval_bytes` | byte size | `4KiB` |"}) {
    EXPECT_NE(md.find(row), std::string::npos) << row << "\n" << md;
  }
}

TEST(StreamJson, WritesSizesAndDurationsAsTextWithSortedKeys) {
  EXPECT_EQ(StreamOptionsToJson(Named()),
            "{\n"
            "  \"durability\": \"fsync\",\n"
            "  \"fsync_interval\": \"1s\",\n"
            "  \"index_interval_bytes\": \"4KiB\",\n"
            "  \"max_pending_bytes\": \"64MiB\",\n"
            "  \"name\": \"events\",\n"
            "  \"partitions\": 1,\n"
            "  \"quota_bytes\": \"0\",\n"
            "  \"retention\": \"7d\",\n"
            "  \"retention_bytes\": \"0\",\n"
            "  \"segment_max_age\": \"1h\",\n"
            "  \"segment_max_bytes\": \"64MiB\"\n"
            "}\n");
}

TEST(StreamJson, RoundTripsEveryField) {
  Result<StreamOptions> back = StreamOptionsFromJson(StreamOptionsToJson(Unusual()));
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  ExpectSame(*back, Unusual());
}

TEST(StreamJson, UsesExactlyTheTableKeys) {
  nlohmann::json j = nlohmann::json::parse(StreamOptionsToJson(Unusual()));
  std::vector<std::string> keys = StreamOptionsTable().Keys();
  EXPECT_EQ(j.size(), keys.size());
  for (const std::string& key : keys) EXPECT_TRUE(j.contains(key)) << key;
}

TEST(StreamJson, AbsentKeysTakeDefaults) {
  Result<StreamOptions> o = StreamOptionsFromJson(R"({"name": "events", "partitions": 4})");
  ASSERT_TRUE(o.has_value()) << o.error().ToString();
  StreamOptions expected = Named();
  expected.partitions = 4;
  ExpectSame(*o, expected);
}

TEST(StreamJson, RejectsBadJsonUnknownKeysAndInvalidValues) {
  const std::pair<const char*, const char*> kCases[] = {
      {"", "stream options: "},
      {"{\"name\": \"a\"", "stream options: "},
      {"[1]", "expected a map, got a list"},
      {R"({"partitions": 2})", "name: required"},
      {R"({"name": "a", "colour": "red"})", "colour: unknown key"},
      {R"({"name": "a", "partitions": 0})", "partitions: must be between 1 and 1024, got 0"},
      {R"({"name": "a", "partitions": 1.5})", "partitions: expected a non-negative integer"},
      {R"({"name": "a", "partitions": true})", "partitions: expected a non-negative integer"},
      {R"({"name": "a", "partitions": null})", "partitions: expected an integer, got null"},
      {R"({"name": "a", "retention": 7})", "retention: invalid duration \"7\""},
      {R"({"name": "../etc"})", "name: '../etc' is not a valid stream name"},
  };
  for (const auto& [json, message] : kCases) {
    Result<StreamOptions> o = StreamOptionsFromJson(json);
    ASSERT_FALSE(o.has_value()) << json;
    EXPECT_EQ(o.error().code(), StatusCode::kInvalidArgument) << json;
    EXPECT_THAT(o.error().message(), ::testing::StartsWith(message)) << json;
  }
  EXPECT_FALSE(StreamOptionsFromJson(std::string(100'000, ' ')).has_value());
}

}  // namespace
}  // namespace eventlake::log
