// Tests of JsonSchema (json_schema.h): every enforced keyword with valid and
// invalid instances, violation pointers and messages, and a realistic schema.
// Compile-time rejections and limits are in json_schema_compile_test.cpp.
#include "ingest/json_schema.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eventlake::ingest {
namespace {

// One instance checked against one schema. `violation` is the expected
// SchemaViolation::ToString(), or nullptr when the instance is valid.
struct Case {
  std::string_view schema;
  std::string_view instance;
  const char* violation;
};

JsonSchema MustCompile(std::string_view schema) {
  Result<JsonSchema> compiled = JsonSchema::Compile(schema);
  if (!compiled.has_value()) {
    ADD_FAILURE() << "schema " << schema << " did not compile: " << compiled.error().message();
    return *JsonSchema::Compile("true");
  }
  return std::move(*compiled);
}

std::optional<SchemaViolation> ViolationOf(const JsonSchema& schema, std::string_view json) {
  static simdjson::dom::parser parser;
  simdjson::dom::element value;
  if (parser.parse(json.data(), json.size()).get(value) != simdjson::SUCCESS) {
    ADD_FAILURE() << "instance is not JSON: " << json;
    return std::nullopt;
  }
  return schema.FirstViolation(value);
}

void RunCases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.schema) + " with " + std::string(c.instance));
    JsonSchema schema = MustCompile(c.schema);
    std::optional<SchemaViolation> violation = ViolationOf(schema, c.instance);
    if (c.violation == nullptr) {
      EXPECT_FALSE(violation.has_value()) << violation->ToString();
    } else {
      ASSERT_TRUE(violation.has_value());
      EXPECT_EQ(violation->ToString(), c.violation);
    }
  }
}

TEST(JsonSchema, TypeRejectsOtherTypesAndNamesBoth) {
  RunCases({
      {R"({"type":"string"})", R"("x")", nullptr},
      {R"({"type":"string"})", "1", "must be string, got integer"},
      {R"({"type":"number"})", "1", nullptr},
      {R"({"type":"number"})", "1.5", nullptr},
      {R"({"type":"number"})", "true", "must be number, got boolean"},
      {R"({"type":"boolean"})", "false", nullptr},
      {R"({"type":"boolean"})", "null", "must be boolean, got null"},
      {R"({"type":"null"})", "null", nullptr},
      {R"({"type":"null"})", "0", "must be null, got integer"},
      {R"({"type":"object"})", "{}", nullptr},
      {R"({"type":"object"})", "[]", "must be object, got array"},
      {R"({"type":"array"})", "[]", nullptr},
      {R"({"type":"array"})", "{}", "must be array, got object"},
      {R"({"type":["string","null"]})", "null", nullptr},
      {R"({"type":["string","null"]})", R"("a")", nullptr},
      {R"({"type":["string","null"]})", "1.5", "must be string or null, got number"},
  });
}

TEST(JsonSchema, IntegerIsAnyNumberWithoutFraction) {
  RunCases({
      {R"({"type":"integer"})", "1", nullptr},
      {R"({"type":"integer"})", "-5", nullptr},
      {R"({"type":"integer"})", "1.0", nullptr},
      {R"({"type":"integer"})", "1e2", nullptr},
      {R"({"type":"integer"})", "-0.0", nullptr},
      {R"({"type":"integer"})", "18446744073709551615", nullptr},
      {R"({"type":"integer"})", "1.5", "must be integer, got number"},
      {R"({"type":"integer"})", "1e-7", "must be integer, got number"},
      {R"({"type":"integer"})", R"("1")", "must be integer, got string"},
      {R"({"type":["integer","string"]})", "2.5", "must be integer or string, got number"},
  });
}

TEST(JsonSchema, PropertiesApplyOnlyToPresentMembersOfObjects) {
  const std::string_view schema = R"({"properties":{"a":{"type":"string"}}})";
  RunCases({
      {schema, R"({"a":"x"})", nullptr},
      {schema, R"({"a":1})", "/a: must be string, got integer"},
      {schema, "{}", nullptr},
      {schema, R"({"b":1})", nullptr},
      {schema, "5", nullptr},
      {R"({"properties":{"a":false}})", R"({"a":1})",
       "/a: is not allowed here (the schema is false)"},
      {R"({"properties":{"a":true}})", R"({"a":1})", nullptr},
  });
}

TEST(JsonSchema, RequiredNamesTheFirstMissingPropertyInSchemaOrder) {
  const std::string_view schema = R"({"required":["b","a"]})";
  RunCases({
      {schema, R"({"a":1,"b":null})", nullptr},
      {schema, R"({"b":1})", "/a: is required but missing"},
      {schema, "{}", "/b: is required but missing"},
      {schema, R"("not an object")", nullptr},
      {R"({"required":[]})", "{}", nullptr},
  });
}

TEST(JsonSchema, AdditionalPropertiesCoversMembersNotInProperties) {
  const char* kNotAllowed =
      "/b: is not allowed: the schema has no such property and additionalProperties is false";
  RunCases({
      {R"({"properties":{"a":{}},"additionalProperties":false})", R"({"a":1})", nullptr},
      {R"({"properties":{"a":{}},"additionalProperties":false})", R"({"a":1,"b":2})", kNotAllowed},
      {R"({"additionalProperties":true})", R"({"b":2})", nullptr},
      {R"({"properties":{"a":{"type":"string"}},"additionalProperties":{"type":"integer"}})",
       R"({"a":"x","b":1})", nullptr},
      {R"({"properties":{"a":{"type":"string"}},"additionalProperties":{"type":"integer"}})",
       R"({"a":"x","b":"y"})", "/b: must be integer, got string"},
      // A name that is only required is not in "properties", so it is additional.
      {R"({"required":["b"],"additionalProperties":false})", R"({"b":1})", kNotAllowed},
  });
}

TEST(JsonSchema, EnumComparesDeeplyAndNumbersByValue) {
  const std::string_view mixed = R"({"enum":[1,"a",null,{"x":[1,2]}]})";
  const char* kNotMixed = R"(must be one of [1,"a",null,{"x":[1,2]}])";
  RunCases({
      {R"({"enum":["click","view"]})", R"("view")", nullptr},
      {R"({"enum":["click","view"]})", R"("buy")", R"(must be one of ["click","view"])"},
      {R"({"enum":["click","view"]})", "1", R"(must be one of ["click","view"])"},
      {mixed, "1.0", nullptr},
      {mixed, "null", nullptr},
      {mixed, R"({"x":[1,2.0]})", nullptr},
      {mixed, R"({"x":[2,1]})", kNotMixed},
      {mixed, R"({"x":[1,2],"y":1})", kNotMixed},
      {mixed, R"({"x":[1,2,3]})", kNotMixed},
      {mixed, "true", kNotMixed},
      {R"({"enum":[]})", "1", "must be one of []"},
  });
}

TEST(JsonSchema, ConstComparesDeeplyIgnoringMemberOrder) {
  const std::string_view object = R"({"const":{"a":[1,{"b":null}],"c":"d"}})";
  const char* kNotObject = R"(must equal {"a":[1,{"b":null}],"c":"d"})";
  RunCases({
      {object, R"({"c":"d","a":[1,{"b":null}]})", nullptr},
      {object, R"({"a":[1.0,{"b":null}],"c":"d"})", nullptr},
      {object, R"({"a":[1,{"b":false}],"c":"d"})", kNotObject},
      {object, R"({"a":[1,{"b":null}]})", kNotObject},
      {object, R"({"a":[1,{"b":null}],"c":"d","c":"d"})", kNotObject},
      {R"({"const":1})", "1.0", nullptr},
      {R"({"const":1})", "true", "must equal 1"},
      {R"({"const":false})", "0", "must equal false"},
      {R"({"const":"x"})", R"("x")", nullptr},
      {R"({"const":null})", "{}", "must equal null"},
      // Exact comparison: 2^53 + 1 has no double, so no rounding may make these equal.
      {R"({"const":9007199254740993})", "9007199254740993", nullptr},
      {R"({"const":9007199254740993})", "9007199254740992.0", "must equal 9007199254740993"},
  });
}

TEST(JsonSchema, NumericBoundsFollowDraft2020) {
  RunCases({
      {R"({"minimum":0})", "0", nullptr},
      {R"({"minimum":0})", "-2", "must be >= 0, got -2"},
      {R"({"minimum":0})", "-0.5", "must be >= 0, got -0.5"},
      {R"({"minimum":0})", R"("-1")", nullptr},
      {R"({"exclusiveMinimum":0})", "0", "must be > 0, got 0"},
      {R"({"exclusiveMinimum":0})", "0.1", nullptr},
      {R"({"maximum":10.5})", "10.5", nullptr},
      {R"({"maximum":10.5})", "11", "must be <= 10.5, got 11"},
      {R"({"exclusiveMaximum":10})", "10.0", "must be < 10, got 10"},
      {R"({"exclusiveMaximum":10})", "9.999", nullptr},
      {R"({"maximum":18446744073709551615})", "18446744073709551615", nullptr},
      {R"({"maximum":18446744073709551615})", "18446744073709551616.0",
       "must be <= 18446744073709551615, got 18446744073709551616"},
      {R"({"minimum":-9223372036854775808})", "-9223372036854775808", nullptr},
      {R"({"minimum":-1,"maximum":1})", "2", "must be <= 1, got 2"},
  });
}

TEST(JsonSchema, StringLengthsCountCodePointsNotBytes) {
  RunCases({
      {R"({"minLength":2})", R"("ab")", nullptr},
      {R"({"minLength":2})", R"("a")", "must be at least 2 characters long, got 1"},
      {R"({"minLength":2})", "\"\xC3\xA9\"", "must be at least 2 characters long, got 1"},
      {R"({"minLength":2})", "\"\xC3\xA9\xC3\xA9\"", nullptr},
      {R"({"maxLength":3})", "\"h\xC3\xA9\xC3\xA9\"", nullptr},
      {R"({"maxLength":3})", "\"\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\"", nullptr},
      {R"({"maxLength":3})", "\"\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\"",
       "must be at most 3 characters long, got 4"},
      {R"({"maxLength":1})", R"("\ud83d\ude00")", nullptr},  // one escaped surrogate pair
      {R"({"maxLength":2})", R"("\u00e9\u00e9\u00e9")", "must be at most 2 characters long, got 3"},
      {R"({"minLength":2.0})", R"("a")", "must be at least 2 characters long, got 1"},
      {R"({"maxLength":0})", R"("")", nullptr},
      {R"({"maxLength":0})", "5", nullptr},
  });
}

TEST(JsonSchema, PatternMatchesAnywhereUnlessAnchored) {
  RunCases({
      {R"({"pattern":"^a"})", R"("abc")", nullptr},
      {R"({"pattern":"^a"})", R"("bac")", R"(must match the pattern "^a")"},
      {R"({"pattern":"a"})", R"("bab")", nullptr},
      {R"({"pattern":"c$"})", R"("abc")", nullptr},
      {R"({"pattern":"c$"})", R"("acb")", R"(must match the pattern "c$")"},
      {R"({"pattern":"^[A-Z]{2}$"})", R"("FR")", nullptr},
      {R"({"pattern":"^[A-Z]{2}$"})", R"("FRA")", R"(must match the pattern "^[A-Z]{2}$")"},
      {R"({"pattern":"^[A-Z]{2}$"})", R"("fr")", R"(must match the pattern "^[A-Z]{2}$")"},
      {R"({"pattern":"^\\d+$"})", R"("123")", nullptr},
      {R"({"pattern":"^\\d+$"})", R"("12a")", R"(must match the pattern "^\d+$")"},
      {R"({"pattern":"^.{3}$"})", "\"h\xC3\xA9\xC3\xA9\"", nullptr},  // "." is a code point
      {R"({"pattern":"^[\u00e0-\u00ff]+$"})", "\"\xC3\xA9\xC3\xA8\"", nullptr},
      {R"({"pattern":"(?=.*\\d)^\\w+$"})", R"("abc1")", nullptr},
      {R"({"pattern":"(?=.*\\d)^\\w+$"})", R"("abc")", R"(must match the pattern "(?=.*\d)^\w+$")"},
      {R"({"pattern":"^x|y"})", R"("ay")", nullptr},
      {R"({"pattern":"^x|y"})", R"("ax")", R"(must match the pattern "^x|y")"},
      {R"({"pattern":"^(a|b)+$"})", R"("abba")", nullptr},
      {R"({"pattern":"^(a|b)+$"})", R"("abc")", R"(must match the pattern "^(a|b)+$")"},
      {R"({"pattern":"b+c+"})", R"("abbcc")", nullptr},
      {R"({"pattern":"b+c+"})", R"("abbd")", R"(must match the pattern "b+c+")"},
      {R"({"pattern":"^a"})", "5", nullptr},
      {R"({"pattern":""})", R"("")", nullptr},
  });
}

TEST(JsonSchema, PatternDoesNotBacktrackCatastrophically) {
  // With a backtracking matcher this input takes longer than the universe.
  JsonSchema schema = MustCompile(R"({"pattern":"^(a+)+$"})");
  std::string instance = "\"" + std::string(4000, 'a') + "!\"";
  std::optional<SchemaViolation> violation = ViolationOf(schema, instance);
  ASSERT_TRUE(violation.has_value());
  EXPECT_EQ(violation->message, R"(must match the pattern "^(a+)+$")");
  EXPECT_FALSE(ViolationOf(schema, "\"" + std::string(4000, 'a') + "\"").has_value());
}

TEST(JsonSchema, PatternFailsStringsLongerThanMaxPatternInput) {
  JsonSchema schema = MustCompile(R"({"pattern":"a"})");
  EXPECT_FALSE(ViolationOf(schema, "\"" + std::string(4096, 'a') + "\"").has_value());
  std::optional<SchemaViolation> violation =
      ViolationOf(schema, "\"" + std::string(4097, 'a') + "\"");
  ASSERT_TRUE(violation.has_value());
  EXPECT_EQ(violation->message,
            "is 4097 bytes long; strings longer than 4096 bytes are not matched against a pattern "
            "and fail it");
  // The limit counts bytes as received, and is configurable.
  SchemaLimits limits;
  limits.max_pattern_input = 8;
  Result<JsonSchema> small = JsonSchema::Compile(R"({"pattern":"a"})", limits);
  ASSERT_TRUE(small.has_value());
  EXPECT_TRUE(ViolationOf(*small, R"("aaaaaaaaa")").has_value());
  EXPECT_FALSE(ViolationOf(*small, R"("aaaaaaaa")").has_value());
}

TEST(JsonSchema, DateTimeFormatIsRfc3339AndOtherFormatsAreAnnotations) {
  const char* kNotDateTime = R"(must be an RFC 3339 date-time such as "2026-01-31T12:00:00Z")";
  const std::string_view schema = R"({"format":"date-time"})";
  RunCases({
      {schema, R"("2026-11-25T02:06:55.123456Z")", nullptr},
      {schema, R"("2026-11-25T02:06:55+01:00")", nullptr},
      {schema, R"("2026-11-25t02:06:55z")", nullptr},
      {schema, R"("2026-11-25 02:06:55Z")", kNotDateTime},
      {schema, R"("2026-02-30T00:00:00Z")", kNotDateTime},
      {schema, R"("2026-11-25T02:06:55")", kNotDateTime},
      {schema, R"("2026-11-25")", kNotDateTime},
      {schema, R"("")", kNotDateTime},
      {schema, "5", nullptr},
      {R"({"format":"email"})", R"("not an email")", nullptr},
      {R"({"format":"date"})", R"("yesterday")", nullptr},
  });
}

TEST(JsonSchema, ItemsAndItemCounts) {
  RunCases({
      {R"({"items":{"type":"integer"}})", "[1,2,3]", nullptr},
      {R"({"items":{"type":"integer"}})", "[]", nullptr},
      {R"({"items":{"type":"integer"}})", R"([1,"x",true])", "/1: must be integer, got string"},
      {R"({"items":false})", "[]", nullptr},
      {R"({"items":false})", "[1]", "/0: is not allowed here (the schema is false)"},
      {R"({"minItems":1})", "[]", "must have at least 1 item, got 0"},
      {R"({"minItems":1})", "{}", nullptr},
      {R"({"maxItems":2})", "[1,2]", nullptr},
      {R"({"maxItems":2})", "[1,2,3]", "must have at most 2 items, got 3"},
  });
}

TEST(JsonSchema, BooleanAndEmptySchemas) {
  RunCases({
      {"true", R"({"anything":[1,2]})", nullptr},
      {"{}", "null", nullptr},
      {"false", "null", "is not allowed here (the schema is false)"},
  });
}

TEST(JsonSchema, PointersEscapeTildeAndSlash) {
  JsonSchema schema = MustCompile(
      R"({"properties":{"a/b":{"properties":{"m~n":{"type":"string"}}},"":{"type":"null"}}})");
  std::optional<SchemaViolation> violation = ViolationOf(schema, R"({"a/b":{"m~n":1}})");
  ASSERT_TRUE(violation.has_value());
  EXPECT_EQ(violation->pointer, "/a~1b/m~0n");
  EXPECT_EQ(violation->message, "must be string, got integer");
  violation = ViolationOf(schema, R"({"":1})");
  ASSERT_TRUE(violation.has_value());
  EXPECT_EQ(violation->pointer, "/");
  JsonSchema required = MustCompile(R"({"properties":{"x":{"required":["~/"]}}})");
  violation = ViolationOf(required, R"({"x":{}})");
  ASSERT_TRUE(violation.has_value());
  EXPECT_EQ(violation->pointer, "/x/~0~1");
}

TEST(JsonSchema, PointerWalksArraysAndObjects) {
  JsonSchema schema =
      MustCompile(R"({"properties":{"items":{"items":{"properties":{"price":{"minimum":0}}}}}})");
  std::optional<SchemaViolation> violation =
      ViolationOf(schema, R"({"items":[{"price":1},{"price":0},{},{"price":-2},{"price":-3}]})");
  ASSERT_TRUE(violation.has_value());
  EXPECT_EQ(violation->ToString(), "/items/3/price: must be >= 0, got -2");
  EXPECT_EQ(violation->pointer, "/items/3/price");
}

TEST(JsonSchema, FirstViolationFollowsInstanceOrderThenRequired) {
  JsonSchema schema = MustCompile(R"({"type":"object","required":["id"],
      "properties":{"a":{"type":"string"},"b":{"type":"string"}}})");
  EXPECT_EQ(ViolationOf(schema, R"({"b":1,"a":1})")->pointer, "/b");
  EXPECT_EQ(ViolationOf(schema, R"({"a":1,"b":1})")->pointer, "/a");
  EXPECT_EQ(ViolationOf(schema, R"({"a":"x"})")->pointer, "/id");
  EXPECT_EQ(ViolationOf(schema, "[]")->message, "must be object, got array");
}

TEST(JsonSchema, ValidateReturnsInvalidArgumentWithPointerAndMessage) {
  JsonSchema schema = MustCompile(R"({"properties":{"n":{"maximum":1}}})");
  Status ok = schema.ValidateJson(R"({"n":1})");
  EXPECT_TRUE(ok.ok()) << ok.ToString();
  Status bad = schema.ValidateJson(R"({"n":2})");
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.message(), "/n: must be <= 1, got 2");
  Status root = MustCompile(R"({"type":"object"})").ValidateJson("1");
  EXPECT_EQ(root.message(), "must be object, got integer");
}

TEST(JsonSchema, ValidateJsonRejectsMalformedJson) {
  JsonSchema schema = MustCompile("true");
  Status status = schema.ValidateJson(R"({"a":)");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(status.message().starts_with("invalid JSON: ")) << status.message();
  simdjson::dom::parser parser;
  EXPECT_FALSE(schema.ValidateJson("[1,]", parser).ok());
  EXPECT_TRUE(schema.ValidateJson("[1]", parser).ok());
}

TEST(JsonSchema, CopiesShareTheCompiledTreeAndOutliveTheOriginal) {
  std::optional<JsonSchema> copy;
  {
    JsonSchema original = MustCompile(R"({"enum":[{"a":1}],"const":{"a":1.0}})");
    copy = original;
  }
  EXPECT_TRUE(copy->ValidateJson(R"({"a":1})").ok());
  EXPECT_FALSE(copy->ValidateJson(R"({"a":2})").ok());
}

// The schema of examples/clickstream: what a web SDK sends for one click.
constexpr std::string_view kClickSchema = R"({
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "click",
  "type": "object",
  "required": ["event_id", "user_id", "ts", "page", "action"],
  "additionalProperties": false,
  "properties": {
    "event_id": {"type": "string", "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"},
    "user_id": {"type": "string", "minLength": 1, "maxLength": 64},
    "session_id": {"type": ["string", "null"]},
    "ts": {"type": "string", "format": "date-time"},
    "page": {"type": "string", "pattern": "^/", "maxLength": 2048},
    "action": {"enum": ["click", "view", "scroll", "purchase"]},
    "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
    "price": {"type": "number", "minimum": 0},
    "quantity": {"type": "integer", "minimum": 1, "maximum": 1000},
    "tags": {"type": "array", "items": {"type": "string", "maxLength": 32}, "maxItems": 10},
    "device": {
      "type": "object",
      "required": ["os"],
      "properties": {
        "os": {"enum": ["ios", "android", "web"]},
        "screen_width": {"type": "integer", "exclusiveMinimum": 0}
      }
    }
  }
})";

constexpr std::string_view kClick = R"({"event_id":"3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b",
  "user_id":"u-42","session_id":null,"ts":"2026-11-25T02:06:55.123Z","page":"/products/7",
  "action":"purchase","country":"FR","price":19.99,"quantity":2,"tags":["promo","mobile"],
  "device":{"os":"ios","screen_width":390}})";

std::string WithMember(std::string_view name, std::string_view value) {
  std::string event(kClick);
  event.insert(1, "\"" + std::string(name) + "\":" + std::string(value) + ",");
  return event;
}

TEST(JsonSchema, ClickEventSchemaAcceptsGoodEventsAndPinpointsBadOnes) {
  JsonSchema schema = MustCompile(kClickSchema);
  EXPECT_FALSE(ViolationOf(schema, kClick).has_value());
  EXPECT_FALSE(ViolationOf(schema, R"({"event_id":"00000000-0000-0000-0000-000000000000",
      "user_id":"u","ts":"2026-01-01T00:00:00Z","page":"/","action":"view"})")
                   .has_value());
  struct Bad {
    std::string event;
    const char* violation;
  };
  std::string missing_ts(kClick);
  size_t ts = missing_ts.find("\"ts\"");
  missing_ts.erase(ts, missing_ts.find(',', ts) + 1 - ts);
  const std::vector<Bad> bad = {
      {missing_ts, "/ts: is required but missing"},
      {WithMember("referrer", R"("x")"),
       "/referrer: is not allowed: the schema has no such property and additionalProperties is "
       "false"},
      {"[]", "must be object, got array"},
  };
  for (const Bad& b : bad) {
    SCOPED_TRACE(b.event);
    std::optional<SchemaViolation> violation = ViolationOf(schema, b.event);
    ASSERT_TRUE(violation.has_value());
    EXPECT_EQ(violation->ToString(), b.violation);
  }
  // Replacing one member's value: simdjson keeps both duplicates, and the
  // first one (the bad one, inserted at the front) is reported.
  const std::vector<std::pair<std::string, std::string>> replaced = {
      {"price", "-2"},
      {"quantity", "1.5"},
      {"quantity", "0"},
      {"country", "\"fr\""},
      {"action", "\"hover\""},
      {"ts", "\"yesterday\""},
      {"page", "\"home\""},
      {"event_id", "\"abc\""},
      {"user_id", "\"\""},
      {"tags", "[\"a\",1]"},
      {"device", "{\"os\":\"beos\"}"},
      {"device", "{}"}};
  const std::vector<std::string> expected = {
      "/price: must be >= 0, got -2",
      "/quantity: must be integer, got number",
      "/quantity: must be >= 1, got 0",
      "/country: must match the pattern \"^[A-Z]{2}$\"",
      R"(/action: must be one of ["click","view","scroll","purchase"])",
      "/ts: must be an RFC 3339 date-time such as \"2026-01-31T12:00:00Z\"",
      "/page: must match the pattern \"^/\"",
      "/event_id: must match the pattern "
      "\"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$\"",
      "/user_id: must be at least 1 character long, got 0",
      "/tags/1: must be string, got integer",
      R"(/device/os: must be one of ["ios","android","web"])",
      "/device/os: is required but missing"};
  for (size_t i = 0; i < replaced.size(); ++i) {
    SCOPED_TRACE(replaced[i].first + "=" + replaced[i].second);
    std::optional<SchemaViolation> violation =
        ViolationOf(schema, WithMember(replaced[i].first, replaced[i].second));
    ASSERT_TRUE(violation.has_value());
    EXPECT_EQ(violation->ToString(), expected[i]);
  }
}

}  // namespace
}  // namespace eventlake::ingest
