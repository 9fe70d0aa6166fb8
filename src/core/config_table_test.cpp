// Tests for typed config tables: every field type, the paths in error
// messages, bounds, duration and byte-size syntax, and the reference.
#include "core/config_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

namespace eventlake::config {
namespace {

using std::chrono::milliseconds;

enum class Color { kRed, kGreen };

struct Inner {
  std::string host = "localhost";
  uint32_t port = 80;
};

struct Item {
  std::string name;
  int32_t weight = 1;
};

struct Everything {
  bool flag = false;
  int32_t i32 = -1;
  uint32_t u32 = 7;
  int64_t i64 = 0;
  uint64_t u64 = 0;
  uint64_t size = 64ull << 20;
  double ratio = 0.5;
  std::string text = "hello";
  std::string mode = "local";
  std::string password;
  uint64_t pin = 0;
  std::vector<std::string> tags = {"a", "b"};
  milliseconds timeout{10'000};
  Color color = Color::kRed;
  Inner inner;
  std::vector<Item> items;
};

const Table<Inner>& InnerTable() {
  static const auto& table =
      (new Table<Inner>("inner", "Where to connect."))
          ->Field("host", &Inner::host, "Host name.")
          .Field("port", &Inner::port, "TCP port.", {.min = 1, .max = 65535});
  return table;
}

const Table<Item>& ItemTable() {
  static const auto& table =
      (new Table<Item>("items[]", "One item."))
          ->Field("name", &Item::name, "Its name.", {.required = true})
          .Field("weight", &Item::weight, "Its weight.", {.min = 1, .max = 10});
  return table;
}

Status NoRedTags(const Everything& e) {
  if (e.color == Color::kRed && !e.tags.empty() && e.tags[0] == "red") {
    return InvalidArgument("tag red needs another color");
  }
  return Status::Ok();
}

const Table<Everything>& EverythingTable() {
  static const auto& table =
      (new Table<Everything>("root", "Every kind of field."))
          ->Field("flag", &Everything::flag, "A switch.")
          .Field("i32", &Everything::i32, "Signed 32.")
          .Field("u32", &Everything::u32, "Unsigned 32.")
          .Field("i64", &Everything::i64, "Signed 64.")
          .Field("u64", &Everything::u64, "Unsigned 64.")
          .Field("size", &Everything::size, "A | size.",
                 {.min = 4096, .max = double(2ull << 30), .bytes = true})
          .Field("ratio", &Everything::ratio, "A ratio.", {.min = 0, .max = 1})
          .Field("text", &Everything::text, "Free text.")
          .Field("mode", &Everything::mode, "Storage.", {.choices = {"local", "s3"}})
          .Field("password", &Everything::password, "A secret.", {.secret = true})
          .Field("pin", &Everything::pin, "A secret number.", {.secret = true, .max = 9999})
          .Field("tags", &Everything::tags, "Tags.", {.max = 3})
          .Field("timeout", &Everything::timeout, "A timeout.", {.min = 1000})
          .Enum("color", &Everything::color, "A color.",
                {{"red", Color::kRed}, {"green", Color::kGreen}})
          .Section("inner", &Everything::inner, InnerTable())
          .List("items", &Everything::items, ItemTable())
          .Check(&NoRedTags);
  return table;
}

// Parses `yaml` over a default Everything at path "root".
Status ParseText(const std::string& yaml, Everything* out) {
  Result<YAML::Node> node = LoadYaml(yaml, "test.yaml");
  if (!node.has_value()) return node.error();
  return EverythingTable().Parse(*node, "root", out);
}

// The error message for `yaml`, or "ok".
std::string ErrorOf(const std::string& yaml) {
  Everything e;
  Status s = ParseText(yaml, &e);
  if (s.ok()) return "ok";
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  return s.message();
}

TEST(ConfigTable, ParsesEveryFieldType) {
  Everything e;
  Status s = ParseText(R"(
flag: true
i32: -5
u32: 4294967295
i64: -9223372036854775808
u64: 18446744073709551615
size: 1GiB
ratio: 0.25
text: "some text"
mode: s3
password: hunter22
tags: [x, y]
timeout: 1h30m
color: green
inner: {host: example.com, port: 8080}
items:
  - {name: first}
  - {name: second, weight: 10}
)",
                       &e);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(e.flag);
  EXPECT_EQ(e.i32, -5);
  EXPECT_EQ(e.u32, 4294967295u);
  EXPECT_EQ(e.i64, INT64_MIN);
  EXPECT_EQ(e.u64, UINT64_MAX);
  EXPECT_EQ(e.size, 1ull << 30);
  EXPECT_EQ(e.ratio, 0.25);
  EXPECT_EQ(e.text, "some text");
  EXPECT_EQ(e.mode, "s3");
  EXPECT_EQ(e.password, "hunter22");
  EXPECT_EQ(e.tags, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(e.timeout, milliseconds(90 * 60'000));
  EXPECT_EQ(e.color, Color::kGreen);
  EXPECT_EQ(e.inner.host, "example.com");
  EXPECT_EQ(e.inner.port, 8080u);
  ASSERT_EQ(e.items.size(), 2u);
  EXPECT_EQ(e.items[0].name, "first");
  EXPECT_EQ(e.items[0].weight, 1);  // the default of a fresh Item
  EXPECT_EQ(e.items[1].weight, 10);
}

TEST(ConfigTable, AbsentKeysKeepTheValuesAlreadyInTheStruct) {
  Everything e;
  e.text = "set by caller";
  e.inner.port = 9;
  ASSERT_TRUE(ParseText("flag: true\ninner: {host: h}\n", &e).ok());
  EXPECT_EQ(e.text, "set by caller");
  EXPECT_EQ(e.inner.port, 9u);
  EXPECT_EQ(e.inner.host, "h");
  EXPECT_EQ(e.tags, (std::vector<std::string>{"a", "b"}));
}

TEST(ConfigTable, EmptyOrNullDocumentAndSectionMeanNoKeys) {
  EXPECT_EQ(ErrorOf(""), "ok");
  EXPECT_EQ(ErrorOf("inner:\nitems: ~\n"), "ok");
  Everything e;
  ASSERT_TRUE(EverythingTable().Parse(YAML::Node(), "root", &e).ok());
  ASSERT_TRUE(EverythingTable().Parse(YAML::Node()["missing"], "root", &e).ok());
}

TEST(ConfigTable, UnknownKeyNamesItsPathAndTheKnownKeys) {
  EXPECT_EQ(ErrorOf("inner: {hots: x}"), "root.inner.hots: unknown key (known: host, port)");
  EXPECT_EQ(ErrorOf("items: [{name: a}, {name: b, wieght: 2}]"),
            "root.items[1].wieght: unknown key (known: name, weight)");
  EXPECT_THAT(ErrorOf("flg: true"),
              ::testing::StartsWith("root.flg: unknown key (known: flag, i32, u32, i64, "));
}

TEST(ConfigTable, TopLevelPathsHaveNoLeadingDot) {
  Everything e;
  Status s = EverythingTable().Parse(YAML::Load("items: [{weight: 2}]"), "", &e);
  EXPECT_EQ(s.message(), "items[0].name: required");
  s = EverythingTable().Parse(YAML::Load("- 1"), "", &e);
  EXPECT_EQ(s.message(), "expected a map, got a list");
}

TEST(ConfigTable, RejectsDuplicateKeysAndMissingRequiredKeys) {
  EXPECT_EQ(ErrorOf("flag: true\nflag: false\n"), "root.flag: duplicate key");
  EXPECT_EQ(ErrorOf("items: [{weight: 2}]"), "root.items[0].name: required");
}

TEST(ConfigTable, RejectsWrongShapes) {
  EXPECT_EQ(ErrorOf("inner: localhost"), "root.inner: expected a map, got a scalar");
  EXPECT_EQ(ErrorOf("items: {name: a}"), "root.items: expected a list, got a map");
  EXPECT_EQ(ErrorOf("items: [a]"), "root.items[0]: expected a map, got a scalar");
  EXPECT_EQ(ErrorOf("tags: x"), "root.tags: expected a list of strings, got a scalar");
  EXPECT_EQ(ErrorOf("tags: [[x]]"), "root.tags[0]: expected a string, got a list");
  EXPECT_EQ(ErrorOf("text: [x]"), "root.text: expected a string, got a list");
  EXPECT_EQ(ErrorOf("text:"), "root.text: expected a string, got null");
  EXPECT_EQ(ErrorOf("u32: {a: 1}"), "root.u32: expected an integer, got a map");
  EXPECT_EQ(ErrorOf("[1, 2]"), "root: expected a map, got a list");
}

TEST(ConfigTable, RejectsBadScalars) {
  EXPECT_EQ(ErrorOf("flag: yes"), "root.flag: expected true or false, got \"yes\"");
  EXPECT_EQ(ErrorOf("u32: 4294967296"),
            "root.u32: must be between 0 and 4294967295, got 4294967296");
  EXPECT_EQ(ErrorOf("u64: 18446744073709551616"),
            "root.u64: must be between 0 and 18446744073709551615, got 18446744073709551616");
  EXPECT_EQ(ErrorOf("u32: -1"), "root.u32: expected a non-negative integer, got \"-1\"");
  EXPECT_EQ(ErrorOf("i32: 0x10"), "root.i32: expected an integer, got \"0x10\"");
  EXPECT_EQ(ErrorOf("i32: -2147483649"),
            "root.i32: must be between -2147483648 and 2147483647, got -2147483649");
  EXPECT_EQ(ErrorOf("i64: 99999999999999999999"),
            "root.i64: must be between -9223372036854775808 and 9223372036854775807, got "
            "99999999999999999999");
  EXPECT_EQ(ErrorOf("i64: 1.5"), "root.i64: expected an integer, got \"1.5\"");
  EXPECT_EQ(ErrorOf("ratio: nan"), "root.ratio: expected a number, got \"nan\"");
  EXPECT_EQ(ErrorOf("ratio: 0.5x"), "root.ratio: expected a number, got \"0.5x\"");
  EXPECT_EQ(ErrorOf("mode: S3"), "root.mode: must be one of local, s3, got \"S3\"");
  EXPECT_EQ(ErrorOf("color: blue"), "root.color: must be one of red, green, got \"blue\"");
}

TEST(ConfigTable, AcceptsQuotedNumbersAndCapitalisedBooleans) {
  Everything e;
  ASSERT_TRUE(ParseText("u32: \"12\"\nflag: True\nratio: 1e-1\n", &e).ok());
  EXPECT_EQ(e.u32, 12u);
  EXPECT_TRUE(e.flag);
  EXPECT_EQ(e.ratio, 0.1);
}

TEST(ConfigTable, EnforcesBoundsInTheFieldsOwnUnits) {
  EXPECT_EQ(ErrorOf("items: [{name: a}, {name: b}, {name: c, weight: 0}]"),
            "root.items[2].weight: must be between 1 and 10, got 0");
  EXPECT_EQ(ErrorOf("inner: {port: 70000}"),
            "root.inner.port: must be between 1 and 65535, got 70000");
  EXPECT_EQ(ErrorOf("ratio: 1.5"), "root.ratio: must be between 0 and 1, got 1.5");
  EXPECT_EQ(ErrorOf("size: 1KiB"), "root.size: must be between 4KiB and 2GiB, got 1KiB");
  EXPECT_EQ(ErrorOf("size: 3GB"), "root.size: must be between 4KiB and 2GiB, got 3GB");
  EXPECT_EQ(ErrorOf("size: 2GiB"), "ok");
  EXPECT_EQ(ErrorOf("size: 4096"), "ok");
  EXPECT_EQ(ErrorOf("timeout: 500ms"), "root.timeout: must be at least 1s, got 500ms");
  EXPECT_EQ(ErrorOf("tags: [a, b, c, d]"), "root.tags: must have at most 3 entries, got 4");
}

TEST(ConfigTable, BadDurationsAndSizesNameThePath) {
  EXPECT_THAT(ErrorOf("timeout: 10"),
              ::testing::StartsWith("root.timeout: invalid duration \"10\": expected"));
  EXPECT_THAT(ErrorOf("size: 10 MiB"),
              ::testing::StartsWith("root.size: invalid byte size \"10 MiB\": expected"));
}

TEST(ConfigTable, NeverEchoesASecret) {
  EXPECT_EQ(ErrorOf("pin: 12345"), "root.pin: must be at most 9999");
  EXPECT_EQ(ErrorOf("pin: x1y2"), "root.pin: expected a non-negative integer");
}

TEST(ConfigTable, RunsChecksAfterFieldsAndPrefixesTheirErrors) {
  EXPECT_EQ(ErrorOf("tags: [red]"), "root: tag red needs another color");
  EXPECT_EQ(ErrorOf("tags: [red]\ncolor: green"), "ok");
}

TEST(ConfigTable, ReportsYamlSyntaxErrorsWithPosition) {
  Result<YAML::Node> node = LoadYaml("a: [1, 2\nb: 3", "eventlake.yaml");
  ASSERT_FALSE(node.has_value());
  EXPECT_EQ(node.error().message(), "eventlake.yaml:2:2: end of sequence flow not found");
}

TEST(ConfigTable, KeysAreInDeclarationOrder) {
  EXPECT_EQ(InnerTable().Keys(), (std::vector<std::string>{"host", "port"}));
  EXPECT_EQ(EverythingTable().Keys().size(), 16u);
}

TEST(ConfigTable, ReferenceShowsDefaultsFromTheStructAndNestedTables) {
  std::string md = EverythingTable().Reference();
  const char* kExpected[] = {
      "## `root`\n\nEvery kind of field.\n\n| key | type | default | description "
      "|\n|---|---|---|---|\n",
      "| `flag` | bool | `false` | A switch. |\n",
      "| `i32` | integer | `-1` | Signed 32. |\n",
      "| `size` | byte size | `64MiB` | A \\| size. Between 4KiB and 2GiB. |\n",
      "| `ratio` | number | `0.5` | A ratio. Between 0 and 1. |\n",
      "| `text` | string | `hello` | Free text. |\n",
      "| `mode` | string | `local` | Storage. One of `local`, `s3`. |\n",
      "| `password` | string | (secret) | A secret. |\n",
      "| `pin` | integer | (secret) | A secret number. At most 9999. |\n",
      "| `tags` | list of strings | `[a, b]` | Tags. At most 3 entries. |\n",
      "| `timeout` | duration | `10s` | A timeout. At least 1s. |\n",
      "| `color` | string | `red` | A color. One of `red`, `green`. |\n",
      "| `inner` | map |  | Where to connect. See `root.inner`. |\n",
      "| `items` | list of maps | `[]` | One item. See `root.items[]`. |\n",
      "## `root.inner`\n\nWhere to connect.\n",
      "| `port` | integer | `80` | TCP port. Between 1 and 65535. |\n",
      "## `root.items[]`\n\nOne item.\n",
      "| `name` | string | required | Its name. |\n",
  };
  for (const char* expected : kExpected) {
    EXPECT_NE(md.find(expected), std::string::npos) << "missing:\n" << expected << "\nin:\n" << md;
  }
  EXPECT_LT(md.find("## `root.inner`"), md.find("## `root.items[]`"));
}

TEST(ConfigTable, ReferenceOfANestedTableAloneUsesItsOwnPath) {
  EXPECT_EQ(InnerTable().Reference().substr(0, 14), "## `inner`\n\nWh");
}

using ConfigTableDeathTest = ::testing::Test;

TEST_F(ConfigTableDeathTest, AbortsOnAKeyDeclaredTwice) {
  Table<Inner> table("inner", "");
  table.Field("host", &Inner::host, "");
  EXPECT_DEATH(table.Field("host", &Inner::host, ""),
               "config table inner: key host: declared twice");
}

TEST_F(ConfigTableDeathTest, AbortsOnBytesForASignedField) {
  Table<Item> table("item", "");
  EXPECT_DEATH(table.Field("weight", &Item::weight, "", {.bytes = true}), "needs an unsigned");
}

TEST(ParseDuration, AcceptsWholeNumbersWithUnits) {
  const std::pair<const char*, int64_t> kCases[] = {
      {"0", 0},
      {"0s", 0},
      {"250ms", 250},
      {"1s", 1000},
      {"10m", 600'000},
      {"2h", 7'200'000},
      {"7d", 604'800'000},
      {"1h30m", 5'400'000},
      {"1d12h", 129'600'000},
      {"1000ms", 1000},
  };
  for (const auto& [text, ms] : kCases) {
    Result<milliseconds> d = ParseDuration(text);
    ASSERT_TRUE(d.has_value()) << text;
    EXPECT_EQ(d->count(), ms) << text;
  }
}

TEST(ParseDuration, RejectsMissingUnitsFractionsSignsAndOverflow) {
  for (const char* text :
       {"", "10", "-1s", "+1s", "1.5s", "1w", "s", "1 s", "1S", "1s ", " 1s", "1sx", "ms",
        "99999999999999999999d", "106751991168d", "106751991167d106751991167d"}) {
    Result<milliseconds> d = ParseDuration(text);
    EXPECT_FALSE(d.has_value()) << "accepted \"" << text << "\"";
  }
}

TEST(FormatDuration, UsesTheLargestExactUnitAndRoundTrips) {
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0");
  EXPECT_EQ(FormatDuration(milliseconds(604'800'000)), "7d");
  EXPECT_EQ(FormatDuration(milliseconds(5'400'000)), "90m");
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(FormatDuration(milliseconds(3'600'000)), "1h");
  EXPECT_EQ(FormatDuration(milliseconds(-2000)), "-2s");
  std::mt19937_64 rng(1);
  for (int i = 0; i < 10'000; ++i) {
    milliseconds d(static_cast<int64_t>(rng() >> 1) >> (i % 60));
    ASSERT_EQ(ParseDuration(FormatDuration(d)).value(), d) << d.count();
  }
}

TEST(ParseByteSize, AcceptsBinaryAndDecimalUnits) {
  const std::pair<const char*, uint64_t> kCases[] = {
      {"0", 0},
      {"512", 512},
      {"512B", 512},
      {"64KiB", 64 << 10},
      {"64MiB", 64 << 20},
      {"1GiB", 1ull << 30},
      {"1TiB", 1ull << 40},
      {"10KB", 10'000},
      {"10kB", 10'000},
      {"10MB", 10'000'000},
      {"1GB", 1'000'000'000},
      {"1TB", 1'000'000'000'000},
      {"18446744073709551615", UINT64_MAX},
  };
  for (const auto& [text, bytes] : kCases) {
    Result<uint64_t> n = ParseByteSize(text);
    ASSERT_TRUE(n.has_value()) << text;
    EXPECT_EQ(*n, bytes) << text;
  }
}

TEST(ParseByteSize, RejectsUnknownUnitsFractionsSpacesAndOverflow) {
  for (const char* text : {"", "MiB", "1.5MiB", "-1", "10kb", "10mb", "10 MiB", "10MiB ", "10K",
                           "10M", "10Mi", "18446744073709551616", "16777216TiB"}) {
    EXPECT_FALSE(ParseByteSize(text).has_value()) << "accepted \"" << text << "\"";
  }
}

TEST(FormatByteSize, UsesTheLargestExactUnitAndRoundTrips) {
  EXPECT_EQ(FormatByteSize(0), "0");
  EXPECT_EQ(FormatByteSize(64ull << 20), "64MiB");
  EXPECT_EQ(FormatByteSize(10'000'000), "10MB");
  EXPECT_EQ(FormatByteSize(1000), "1KB");
  EXPECT_EQ(FormatByteSize(1024), "1KiB");
  EXPECT_EQ(FormatByteSize(1500), "1500");
  std::mt19937_64 rng(2);
  for (int i = 0; i < 10'000; ++i) {
    uint64_t n = rng() >> (i % 64);
    ASSERT_EQ(ParseByteSize(FormatByteSize(n)).value(), n) << n;
  }
}

}  // namespace
}  // namespace eventlake::config

namespace eventlake::config {
namespace {

struct Document {
  nlohmann::json any;
};

const Table<Document>& DocumentTable() {
  static const auto& table =
      (new Table<Document>("doc", "A subtree kept as JSON."))->Yaml("any", &Document::any, "Anything.");
  return table;
}

Result<nlohmann::json> ParseAny(const std::string& yaml) {
  EL_ASSIGN_OR_RETURN(YAML::Node root, LoadYaml(yaml, "test.yaml"));
  Document doc;
  EL_RETURN_IF_ERROR(DocumentTable().Parse(root, "doc", &doc));
  return doc.any;
}

TEST(ConfigTableYaml, KeepsASubtreeAsJsonWithYamlScalarsTyped) {
  auto any = ParseAny(R"(
any:
  - sql: "SELECT 1"
  - map: { set: { n: 5, x: 1.5, ok: true, none: ~, quoted: "5", word: five }, drop: [a, b] }
)");
  ASSERT_TRUE(any.has_value()) << any.error().ToString();
  EXPECT_EQ(*any, nlohmann::json::parse(R"([{"sql": "SELECT 1"},
      {"map": {"set": {"n": 5, "x": 1.5, "ok": true, "none": null, "quoted": "5", "word": "five"},
               "drop": ["a", "b"]}}])"));
}

TEST(ConfigTableYaml, RefusesDeepNestingAndRepeatedKeysWithThePath) {
  std::string deep = "any: ";
  for (int i = 0; i < 40; ++i) deep += "[";
  for (int i = 0; i < 40; ++i) deep += "]";
  auto nested = ParseAny(deep);
  ASSERT_FALSE(nested.has_value());
  EXPECT_THAT(nested.error().message(), testing::HasSubstr("nested more than 32 levels"));
  EXPECT_THAT(nested.error().message(), testing::StartsWith("doc.any[0]"));
  EXPECT_EQ(DocumentTable().Reference().find("| `any` | YAML |") != std::string::npos, true);
}

}  // namespace
}  // namespace eventlake::config
