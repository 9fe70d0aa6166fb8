// The `pattern` fast path: which patterns take it, what it answers, and that
// it answers as std::regex does for random patterns of its shape.
#include "ingest/json_schema_ascii_pattern.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "ingest/json_schema_pattern.h"

namespace eventlake::ingest::schema_internal {
namespace {

TEST(AsciiPattern, TakesTheSimpleShapeAndLeavesTheRestToRegex) {
  for (std::string_view pattern :
       {"^user-[0-9]+$", "^[A-Z]{2}$", "^/",
        "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", "abc", "", "^$", "$",
        R"(^\d{3}\.\d+$)", R"(^[-a-z_\]]*x?$)", "^a{2,}b{0,3}c{4}$", R"(\$$)"}) {
    EXPECT_TRUE(AsciiPattern::Compile(pattern).has_value()) << pattern;
  }
  for (std::string_view pattern :
       {"^x|y", "^(a|b)+$", R"(\s+)", R"(\bword)", "a+?", "a**", "^[[:alpha:]]+$", R"([^\W_]+)",
        "[]", "[^]", "a{64}", "^.{1,255}$", "(?=.*\\d)^\\w+$", "^[\u00e0-\u00ff]+$", R"(\x41)",
        "a{", "}", R"([\D])", R"([a-\d])"}) {
    EXPECT_FALSE(AsciiPattern::Compile(pattern).has_value()) << pattern;
  }
}

TEST(AsciiPattern, AnswersAsECMAScriptDoes) {
  struct Case {
    std::string_view pattern;
    std::string_view text;
    bool matches;
  };
  for (const Case& c : std::vector<Case>{
           {"^user-[0-9]+$", "user-42", true},
           {"^user-[0-9]+$", "user-", false},
           {"^user-[0-9]+$", "user-4x", false},
           {"^user-[0-9]+$", "xuser-4", false},
           {"c$", "abc", true},
           {"c$", "acb", false},
           {"b+c+", "abbcc", true},
           {"b+c+", "abbd", false},
           {"^a.c$", "a\nc", false},  // '.' is not a line terminator
           {"^a.c$", "a\rc", false},
           {"^a.c$", "a-c", true},
           {"^a\\Dc$", "a\nc", true},
           {"^a{2,3}$", "a", false},
           {"^a{2,3}$", "aaa", true},
           {"^a{2,3}$", "aaaa", false},
           {"^a{2,}$", "aaaaaaa", true},
           {"^ab?c*d$", "ad", true},
           {"^ab?c*d$", "abcccd", true},
           {"^ab?c*d$", "abbd", false},
           {"^[^a-c]$", "d", true},
           {"^[^a-c]$", "b", false},
           {"^[-a]+$", "-a-", true},
           {"^\\w+$", "snake_case9", true},
           {"^\\w+$", "kebab-case", false},
           {"^$", "", true},
           {"^$", "x", false},
           {"", "anything", true},
           {"x*", "", true},
       }) {
    std::optional<AsciiPattern> pattern = AsciiPattern::Compile(c.pattern);
    ASSERT_TRUE(pattern.has_value()) << c.pattern;
    EXPECT_EQ(pattern->Matches(c.text), c.matches) << c.pattern << " on \"" << c.text << '"';
  }
}

// Random patterns of the shape, built from a small alphabet so that random
// texts often come close to matching, checked against std::regex.
std::string RandomPattern(std::mt19937& random) {
  static const std::vector<std::string> atoms = {
      "a",     "b",     "-",     ".",     "[ab]", "[^a]",     "[a-c]", R"(\d)",
      R"(\w)", R"(\W)", R"(\D)", R"(\.)", "[-b]", R"([\d_])", "0",     "_"};
  static const std::vector<std::string> quantifiers = {"",  "",    "",      "*",    "+",
                                                       "?", "{2}", "{0,2}", "{1,}", "{3}"};
  std::string pattern = random() % 2 == 0 ? "^" : "";
  size_t atoms_in_pattern = random() % 6;
  for (size_t k = 0; k < atoms_in_pattern; ++k) {
    pattern += atoms[random() % atoms.size()];
    pattern += quantifiers[random() % quantifiers.size()];
  }
  if (random() % 2 == 0) pattern += "$";
  return pattern;
}

std::string RandomText(std::mt19937& random) {
  static constexpr std::string_view kCharacters = "aabbc-0_.\n\r x9";
  std::string text;
  size_t length = random() % 9;
  for (size_t k = 0; k < length; ++k) text += kCharacters[random() % kCharacters.size()];
  return text;
}

TEST(AsciiPattern, AgreesWithRegexOnRandomPatterns) {
  std::mt19937 random(20261204);
  size_t matched = 0;
  size_t checked = 0;
  for (int p = 0; p < 2000; ++p) {
    std::string source = RandomPattern(random);
    Result<SchemaPattern> pattern = SchemaPattern::Compile(source, 1024);
    ASSERT_TRUE(pattern.has_value()) << source << ": " << pattern.error().message();
    ASSERT_TRUE(pattern->ascii_fast_path()) << source;
    for (int t = 0; t < 25; ++t) {
      std::string text = RandomText(random);
      bool expected = pattern->MatchesWithRegex(text);
      ASSERT_EQ(pattern->Matches(text), expected)
          << "pattern \"" << source << "\" on \"" << text << '"';
      matched += expected ? 1 : 0;
      ++checked;
    }
  }
  // Both answers must be common, or the comparison says little.
  EXPECT_GT(matched, checked / 10);
  EXPECT_LT(matched, checked - checked / 10);
}

TEST(AsciiPattern, NonAsciiTextGoesToRegex) {
  Result<SchemaPattern> pattern = SchemaPattern::Compile("^[^a].$", 1024);
  ASSERT_TRUE(pattern.has_value());
  ASSERT_TRUE(pattern->ascii_fast_path());
  EXPECT_TRUE(pattern->Matches("bc"));
  EXPECT_TRUE(pattern->Matches("\xC3\xA9\xC3\xA9"));  // two code points, four bytes
  EXPECT_FALSE(pattern->Matches("\xC3\xA9"));
  EXPECT_FALSE(pattern->Matches("ab"));
}

}  // namespace
}  // namespace eventlake::ingest::schema_internal
