// Tests of JsonSchema::Compile (json_schema.h): keywords that would change
// validation are rejected with their pointer, annotations are ignored, bad
// keyword values and schemas over the limits are errors; plus the internal
// pieces the validator leans on (exact numbers, pattern safety checks).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "ingest/json_schema.h"
#include "ingest/json_schema_pattern.h"
#include "ingest/json_schema_value.h"

namespace eventlake::ingest {
namespace {

using ::testing::HasSubstr;

std::string CompileError(std::string_view schema, const SchemaLimits& limits = {}) {
  Result<JsonSchema> compiled = JsonSchema::Compile(schema, limits);
  if (compiled.has_value()) return "compiled";
  EXPECT_EQ(compiled.error().code(), StatusCode::kInvalidArgument);
  return compiled.error().message();
}

TEST(JsonSchemaCompile, RejectsKeywordsThatWouldChangeValidation) {
  const std::vector<std::string> keywords = {"$ref",
                                             "oneOf",
                                             "anyOf",
                                             "allOf",
                                             "not",
                                             "if",
                                             "then",
                                             "else",
                                             "patternProperties",
                                             "dependentRequired",
                                             "dependentSchemas",
                                             "propertyNames",
                                             "prefixItems",
                                             "additionalItems",
                                             "contains",
                                             "uniqueItems",
                                             "multipleOf",
                                             "minProperties",
                                             "maxProperties",
                                             "unevaluatedProperties",
                                             "unevaluatedItems",
                                             "$dynamicRef"};
  for (const std::string& keyword : keywords) {
    SCOPED_TRACE(keyword);
    std::string error =
        CompileError(R"({"properties":{"x":{"type":"string",")" + keyword + R"(":{}}}})");
    EXPECT_THAT(error, HasSubstr("\"/properties/x/" + keyword + "\""));
    EXPECT_THAT(error, HasSubstr("keyword \"" + keyword + "\" is not supported"));
  }
}

TEST(JsonSchemaCompile, RejectsUnknownKeywordsSuchAsTypos) {
  std::string error = CompileError(R"({"properties":{"price":{"minimun":0}}})");
  EXPECT_THAT(error, HasSubstr("\"/properties/price/minimun\""));
  EXPECT_THAT(error, HasSubstr("unknown keyword \"minimun\""));
  // The pointer escapes "~" and "/" in property names and keywords.
  EXPECT_THAT(CompileError(R"({"properties":{"a/b~":{"c/d":1}}})"),
              HasSubstr("\"/properties/a~1b~0/c~1d\""));
}

TEST(JsonSchemaCompile, AcceptsAndIgnoresAnnotations) {
  const char* schema = R"({
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://example.com/click.json", "$comment": "c", "title": "t",
    "description": "d", "examples": [{"a": 1}], "default": {}, "deprecated": false,
    "readOnly": false, "writeOnly": false, "$defs": {"x": {"oneOf": []}},
    "definitions": {}, "x-owner": "web-team", "contentMediaType": "application/json",
    "properties": {"email": {"type": "string", "format": "email", "title": "e"}}
  })";
  Result<JsonSchema> compiled = JsonSchema::Compile(schema);
  ASSERT_TRUE(compiled.has_value()) << compiled.error().message();
  EXPECT_TRUE(compiled->ValidateJson(R"({"email":"not an email","other":1})").ok());
  EXPECT_FALSE(compiled->ValidateJson(R"({"email":1})").ok());
}

TEST(JsonSchemaCompile, RejectsInvalidKeywordValues) {
  struct BadValue {
    std::string_view schema;
    std::string_view expected;  // a substring of the error
  };
  const std::vector<BadValue> cases = {
      {R"({"type":"str"})", R"(at "/type": unknown type "str")"},
      {R"({"type":[]})", R"(at "/type": the array of type names is empty)"},
      {R"({"type":["string","string"]})", R"(type "string" is listed twice)"},
      {R"({"type":3})", "must be a type name or an array of type names"},
      {R"({"minimum":"0"})", R"(at "/minimum": must be a number)"},
      {R"({"exclusiveMinimum":true})", "draft-04's boolean form is not supported"},
      {R"({"minLength":-1})", R"(at "/minLength": must be a non-negative integer)"},
      {R"({"maxItems":1.5})", R"(at "/maxItems": must be a non-negative integer)"},
      {R"({"required":"a"})", R"(at "/required": must be an array of property names)"},
      {R"({"required":["a","a"]})", R"("a" is listed twice)"},
      {R"({"required":[1]})", "property names must be strings"},
      {R"({"properties":[]})", "must be an object mapping property names to schemas"},
      {R"({"properties":{"a":1}})",
       R"(at "/properties/a": a schema must be an object or a boolean)"},
      {R"({"properties":{"a":{},"a":{}}})", R"(at "/properties/a": property is declared twice)"},
      {R"({"minimum":0,"minimum":1})", R"(keyword "minimum" appears twice)"},
      {R"({"enum":"a"})", "must be an array of values"},
      {R"({"items":[{}]})", "the array form of items"},
      {R"({"additionalProperties":"no"})", "a schema must be an object or a boolean"},
      {R"({"format":1})", R"(at "/format": must be a string)"},
      {R"({"pattern":1})", R"(at "/pattern": must be a string)"},
      {R"({"pattern":"(a"})", R"(at "/pattern": pattern is not supported by std::regex)"},
      {R"({"pattern":"a)(b"})", "pattern is not supported by std::regex"},
      {R"({"pattern":"\\p{L}"})", "pattern is not supported by std::regex"},
      {R"({"pattern":"(a)\\1"})", R"(pattern uses a back-reference (\1))"},
      {R"({"pattern":"\\12345678901234567890"})", "back-reference"},
      {R"({"pattern":"x{7777777777777777777,,"})", "repetition count of more than 9 digits"},
      {R"({"pattern":"x{1,99999999999}"})", "repetition count of more than 9 digits"},
      {R"({"pattern":"x{,5}"})", "pattern is not supported by std::regex"},
      {R"({"pattern":"a{100000}"})", "pattern is too complex"},
      {R"j({"pattern":"((a{100}){100})"})j", "pattern is too complex"},
      {"5", R"(at "": a schema must be an object or a boolean)"},
      {R"({"type":)", "json schema is not valid JSON"},
      {"", "json schema is not valid JSON"},
  };
  for (const BadValue& c : cases) {
    SCOPED_TRACE(c.schema);
    EXPECT_THAT(CompileError(c.schema), HasSubstr(c.expected));
  }
}

TEST(JsonSchemaCompile, RejectsSchemasOverTheLimits) {
  SchemaLimits limits;
  limits.max_schema_bytes = 20;
  EXPECT_THAT(CompileError(R"({"type":"string","minLength":1})", limits),
              HasSubstr("more than the limit of 20"));

  std::string deep = "{}";  // 40 nested "properties" are 81 JSON levels
  for (int i = 0; i < 40; ++i) deep = R"({"properties":{"a":)" + deep + "}}";
  EXPECT_THAT(CompileError(deep), HasSubstr("deeper than 64 levels"));
  limits = SchemaLimits{};
  limits.max_schema_depth = 128;
  EXPECT_EQ(CompileError(deep, limits), "compiled");

  limits = SchemaLimits{};
  limits.max_pattern_bytes = 4;
  EXPECT_THAT(CompileError(R"({"pattern":"abcde"})", limits),
              HasSubstr("pattern is 5 bytes long, more than the limit of 4"));
  std::string nested(40, '(');
  EXPECT_THAT(CompileError(R"({"pattern":")" + nested + std::string(40, ')') + "\"}"),
              HasSubstr("nests groups deeper than 32"));
}

TEST(JsonSchemaCompile, ValidationDepthIsCappedWithAnError) {
  std::string schema = R"({"type":"integer"})";
  std::string instance = "1";
  for (int i = 0; i < 5; ++i) {
    schema = R"({"properties":{"a":)" + schema + "}}";
    instance = R"({"a":)" + instance + "}";
  }
  SchemaLimits limits;
  limits.max_validation_depth = 3;
  Result<JsonSchema> compiled = JsonSchema::Compile(schema, limits);
  ASSERT_TRUE(compiled.has_value()) << compiled.error().message();
  EXPECT_EQ(compiled->ValidateJson(instance).message(),
            "/a/a/a/a: nested deeper than 3 levels, the most the schema validator descends");
  EXPECT_TRUE(JsonSchema::Compile(schema)->ValidateJson(instance).ok());
}

TEST(JsonSchemaNumbers, CompareExactlyAcrossRepresentations) {
  using schema_internal::CompareNumbers;
  using schema_internal::JsonNumber;
  using Kind = JsonNumber::Kind;
  auto i = [](int64_t v) { return JsonNumber{Kind::kInt64, v, 0, 0}; };
  auto u = [](uint64_t v) { return JsonNumber{Kind::kUint64, 0, v, 0}; };
  auto d = [](double v) { return JsonNumber{Kind::kDouble, 0, 0, v}; };
  EXPECT_EQ(CompareNumbers(i(1), d(1.0)), 0);
  EXPECT_LT(CompareNumbers(i(1), d(1.5)), 0);
  EXPECT_GT(CompareNumbers(i(-1), d(-1.5)), 0);
  EXPECT_GT(CompareNumbers(i(9007199254740993), d(9007199254740992.0)), 0);
  EXPECT_LT(CompareNumbers(i(INT64_MAX), d(9223372036854775808.0)), 0);
  EXPECT_GT(CompareNumbers(i(INT64_MIN), d(-1e300)), 0);
  EXPECT_EQ(CompareNumbers(i(INT64_MIN), d(-9223372036854775808.0)), 0);
  EXPECT_LT(CompareNumbers(i(-1), u(0)), 0);
  EXPECT_GT(CompareNumbers(u(UINT64_MAX), i(INT64_MAX)), 0);
  EXPECT_LT(CompareNumbers(u(UINT64_MAX), d(18446744073709551616.0)), 0);
  EXPECT_GT(CompareNumbers(u(1), d(-0.5)), 0);
  EXPECT_EQ(CompareNumbers(d(-0.0), i(0)), 0);
  EXPECT_EQ(schema_internal::FormatNumber(d(0.1)), "0.1");
  EXPECT_EQ(schema_internal::FormatNumber(i(-2)), "-2");
}

TEST(JsonSchemaStringIndex, FindsEveryKeyAndNothingElse) {
  std::vector<std::string> keys;
  for (int i = 0; i < 100; ++i) keys.push_back("k" + std::to_string(i));
  keys.push_back("");
  keys.push_back("k7");  // a duplicate: the first index wins
  schema_internal::StringIndex index(keys);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(index.Find("k" + std::to_string(i)), i);
  EXPECT_EQ(index.Find(""), 100);
  EXPECT_EQ(index.Find("k100"), -1);
  EXPECT_EQ(index.Find("k"), -1);
  EXPECT_EQ(schema_internal::StringIndex().Find("k1"), -1);
}

TEST(JsonSchemaPattern, DecodesUtf8AndReplacesInvalidBytes) {
  std::wstring out;
  schema_internal::DecodeUtf8("a\xC3\xA9\xF0\x9F\x98\x80", &out);
  EXPECT_EQ(out, std::wstring(L"a\u00e9\U0001F600"));
  out.clear();
  schema_internal::DecodeUtf8("\xC0\xAF\xED\xA0\x80x\xE2\x82", &out);  // overlong, surrogate, cut
  EXPECT_EQ(out.back(), L'\uFFFD');
  EXPECT_EQ(out.find(L'x'), out.size() - 3);
}

TEST(JsonSchemaPattern, EstimatesRepetitionCopies) {
  using schema_internal::AnalyzePattern;
  EXPECT_TRUE(AnalyzePattern(R"(^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$)").has_value());
  EXPECT_TRUE(AnalyzePattern(R"(^[^@\s]+@[^@\s]+\.[a-z]{2,63}$)").has_value());
  EXPECT_TRUE(AnalyzePattern("^.{1,255}$").has_value());
  EXPECT_TRUE(AnalyzePattern(R"(\{5000\}[{]5000})").has_value());  // escaped braces are literal
  EXPECT_FALSE(AnalyzePattern("a{5000}").has_value());
  EXPECT_FALSE(AnalyzePattern("(ab{70}){70}").has_value());
  EXPECT_FALSE(AnalyzePattern("(((a{20}){20}){20})").has_value());
  EXPECT_FALSE(AnalyzePattern("a{99999999999999999999999}").has_value());
}

TEST(JsonSchemaPattern, BacktracksOnlyWherePatternsCannotBlowUp) {
  struct Expected {
    std::string_view pattern;
    bool backtracking;
  };
  const std::vector<Expected> cases = {
      {R"(^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$)", true},
      {"^/", true},
      {"^[A-Z]{2}$", true},
      {"^a.*$", true},        // one variable quantifier, anchored
      {"abc", true},          // only the implicit leading ".*"
      {"a*b", false},         // the implicit ".*" and "a*"
      {"^a+b+$", false},      // two variable quantifiers
      {"^(a+)+$", false},     // a quantified group
      {"^(ab){2}$", false},   // a quantified group, even with a fixed count
      {"^x|y", false},        // alternation
      {"^a{2,3}b?$", false},  // "{2,3}" and "?" vary
  };
  for (const Expected& c : cases) {
    SCOPED_TRACE(c.pattern);
    Result<schema_internal::SchemaPattern> pattern =
        schema_internal::SchemaPattern::Compile(c.pattern, 1024);
    ASSERT_TRUE(pattern.has_value()) << pattern.error().message();
    EXPECT_EQ(pattern->backtracking(), c.backtracking);
  }
}

TEST(JsonSchemaPattern, LongInputsGoToThePolynomialExecutorWithTheSameAnswer) {
  using schema_internal::kMaxBacktrackingInput;
  Result<schema_internal::SchemaPattern> pattern =
      schema_internal::SchemaPattern::Compile("^a*$", 1024);
  ASSERT_TRUE(pattern.has_value());
  ASSERT_TRUE(pattern->backtracking());
  EXPECT_TRUE(pattern->MatchesWithRegex(std::string(kMaxBacktrackingInput, 'a')));
  EXPECT_TRUE(pattern->MatchesWithRegex(std::string(kMaxBacktrackingInput + 1, 'a')));
  EXPECT_FALSE(pattern->MatchesWithRegex(std::string(kMaxBacktrackingInput - 1, 'a') + "b"));
  EXPECT_FALSE(pattern->MatchesWithRegex(std::string(4095, 'a') + "b"));
  pattern = schema_internal::SchemaPattern::Compile("b", 1024);  // unanchored
  ASSERT_TRUE(pattern.has_value());
  EXPECT_TRUE(pattern->MatchesWithRegex(std::string(kMaxBacktrackingInput, 'a') + "b"));
  EXPECT_FALSE(pattern->MatchesWithRegex(std::string(4096, 'a')));
}

}  // namespace
}  // namespace eventlake::ingest
