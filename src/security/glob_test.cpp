// Tests for wildcard matching: edge cases, UTF-8 characters, case folding,
// agreement with a reference matcher, and patterns that would make a
// backtracking matcher exponential.
#include "security/glob.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace eventlake::security {
namespace {

struct GlobCaseRow {
  std::string pattern;
  std::string text;
  bool matches;
  GlobCase glob_case = GlobCase::kSensitive;
};

// Checks both the free function and a compiled Glob.
void ExpectRows(const std::vector<GlobCaseRow>& rows) {
  for (const GlobCaseRow& row : rows) {
    SCOPED_TRACE("pattern [" + row.pattern + "] text [" + row.text + "]");
    EXPECT_EQ(GlobMatch(row.pattern, row.text, row.glob_case), row.matches);
    EXPECT_EQ(Glob(row.pattern, row.glob_case).Matches(row.text), row.matches);
  }
}

TEST(GlobMatch, HandlesEmptyPatternsAndTexts) {
  ExpectRows({
      {"", "", true},
      {"", "a", false},
      {"a", "", false},
      {"*", "", true},
      {"**", "", true},
      {"?", "", false},
      {"*?", "", false},
  });
}

TEST(GlobMatch, StarMatchesAnyRunIncludingSlashAndDot) {
  ExpectRows({
      {"*", "anything/with/slashes.and.dots", true},
      {"source/*", "source/web", true},
      {"source/*", "source/", true},
      {"source/*", "source", false},
      {"source/*", "source/a/b", true},
      {"*/web", "source/web", true},
      {"*/web", "source/website", false},
      {"table/curated.*", "table/curated.clicks", true},
      {"table/curated.*", "table/curatedXclicks", false},
      {"table/*.clicks", "table/curated.clicks", true},
      {"a*b*c", "abc", true},
      {"a*b*c", "aXXbYYc", true},
      {"a*b*c", "acb", false},
      {"a*b*c", "abcab", false},
      {"a*b*c", "abcabc", true},
  });
}

TEST(GlobMatch, ConsecutiveStarsActAsOne) {
  ExpectRows({
      {"***a", "a", true},
      {"a**b", "ab", true},
      {"a**b", "axxb", true},
      {"a***", "a", true},
      {"a***", "b", false},
      {"*****", "xyz", true},
  });
}

TEST(GlobMatch, QuestionMarkMatchesExactlyOneCharacterIncludingSlash) {
  ExpectRows({
      {"stream/?", "stream/a", true},
      {"stream/?", "stream/ab", false},
      {"stream/?", "stream/", false},
      {"a?c", "a/c", true},
      {"a?c", "a.c", true},
      {"a??c", "a/c", false},
      {"?*", "x", true},
      {"*?", "x", true},
      {"?*?", "x", false},
  });
}

TEST(GlobMatch, OtherCharactersAreLiteral) {
  ExpectRows({
      {"[ab]", "a", false},
      {"[ab]", "[ab]", true},
      {"a+b", "a+b", true},
      {"a+b", "aab", false},
      {"\\*", "\\x", true},  // no escapes: backslash is a literal, the star a wildcard
      {"a\\*", "a*", false},
      {"a{b,c}", "ab", false},
      {"a.b", "axb", false},
      {"^a$", "^a$", true},
  });
}

TEST(GlobMatch, QuestionMarkMatchesOneUtf8Character) {
  ExpectRows({
      {"stream/?", "stream/\xc3\xa9", true},          // é, 2 bytes
      {"stream/??", "stream/\xc3\xa9", false},        // one character, not two
      {"stream/?", "stream/\xe2\x82\xac", true},      // €, 3 bytes
      {"stream/?", "stream/\xf0\x9f\x98\x80", true},  // an emoji, 4 bytes
      {"caf?", "caf\xc3\xa9", true},                  // café
      {"*\xc3\xa9", "caf\xc3\xa9", true},             // literal é after a star
      {"caf\xc3\xa9", "cafe", false},                 // é is not e
      {"*?", "\xc3\xa9", true},                       // star empty, ? takes é
      {"*??", "\xc3\xa9", false},
      {"*??", "\xe2\x82\xac", false},
      {"*???", "\xf0\x9f\x98\x80", false},                    // a star never splits a character
      {"?x", "\xc3\xa9x", true},                              //
      {"*?x", "a\xc3\xa9x", true},                            //
      {"?", "\xff", true},                                    // an invalid byte is one character
      {"?", "\xc3", true},                                    // a truncated sequence too
      {"??", "\xc3(", true},                                  // lead byte without continuation
      {"???", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", true},  // 日本語
  });
}

TEST(GlobMatch, CaseInsensitiveFoldsAsciiOnly) {
  constexpr GlobCase kFold = GlobCase::kAsciiInsensitive;
  ExpectRows({
      {"Source/web", "source/web", false},
      {"events:Put", "events:put", false},
      {"EVENTS:put", "events:Put", true, kFold},
      {"events:P*", "EVENTS:PUT", true, kFold},
      {"events:p?t", "Events:PUT", true, kFold},
      {"*:read", "Metrics:Read", true, kFold},
      {"\xc3\xa9", "\xc3\x89", false, kFold},  // é and É differ: only ASCII folds
  });
}

// A dynamic-programming matcher over characters, obviously correct and never
// exponential: the reference for random cases. Pattern tokens "*" and "?" are
// wildcards; every other token is one literal character.
bool ReferenceMatch(const std::vector<std::string>& p, const std::vector<std::string>& t) {
  std::vector<std::vector<bool>> m(p.size() + 1, std::vector<bool>(t.size() + 1));
  m[p.size()][t.size()] = true;
  for (size_t i = p.size(); i-- > 0;) {
    for (size_t j = t.size() + 1; j-- > 0;) {
      if (p[i] == "*") {
        m[i][j] = m[i + 1][j] || (j < t.size() && m[i][j + 1]);
      } else {
        m[i][j] = j < t.size() && (p[i] == "?" || p[i] == t[j]) && m[i + 1][j + 1];
      }
    }
  }
  return m[0][0];
}

TEST(GlobMatch, AgreesWithReferenceOnRandomCases) {
  std::mt19937 rng(20240611);
  auto random_tokens = [&](const std::vector<std::string>& alphabet, size_t max_length) {
    std::vector<std::string> tokens(std::uniform_int_distribution<size_t>(0, max_length)(rng));
    for (std::string& token : tokens) {
      token = alphabet[std::uniform_int_distribution<size_t>(0, alphabet.size() - 1)(rng)];
    }
    return tokens;
  };
  auto join = [](const std::vector<std::string>& tokens) {
    std::string out;
    for (const std::string& token : tokens) out += token;
    return out;
  };
  const std::vector<std::string> ascii_text = {"a", "b"};
  const std::vector<std::string> ascii_pattern = {"a", "b", "*", "?"};
  // é (2 bytes), € (3 bytes) and an emoji (4 bytes) share lead or continuation bytes.
  const std::vector<std::string> utf8_text = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
  std::vector<std::string> utf8_pattern = utf8_text;
  utf8_pattern.insert(utf8_pattern.end(), {"*", "?", "?"});
  for (int i = 0; i < 40000; ++i) {
    const bool utf8 = i % 2 == 1;
    const std::vector<std::string> p = random_tokens(utf8 ? utf8_pattern : ascii_pattern, 8);
    const std::vector<std::string> t = random_tokens(utf8 ? utf8_text : ascii_text, 10);
    const std::string pattern = join(p);
    const std::string text = join(t);
    ASSERT_EQ(GlobMatch(pattern, text), ReferenceMatch(p, t))
        << "pattern [" << pattern << "] text [" << text << "]";
    ASSERT_EQ(Glob(pattern).Matches(text), ReferenceMatch(p, t))
        << "pattern [" << pattern << "] text [" << text << "]";
  }
}

// These complete only because matching is O(pattern * text): a naive
// backtracking matcher needs exponential time on them.
TEST(GlobMatch, PathologicalPatternsComplete) {
  const std::string many_a(100'000, 'a');
  EXPECT_FALSE(GlobMatch("a*a*a*a*a*a*a*a*a*a*b", many_a));
  EXPECT_TRUE(GlobMatch("a*a*a*a*a*a*a*a*a*a*b", many_a + "b"));

  std::string stars;
  for (int i = 0; i < 200; ++i) stars += "a*";
  const std::string text(5000, 'a');
  EXPECT_FALSE(Glob(stars + "b").Matches(text));
  EXPECT_TRUE(Glob(stars + "b").Matches(text + "b"));
  EXPECT_TRUE(Glob(stars).Matches(text));
  EXPECT_FALSE(Glob(std::string(10'000, '*') + "?b").Matches(text));
  EXPECT_FALSE(GlobMatch("*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?c", text));
}

TEST(Glob, KeepsThePatternAsWritten) {
  EXPECT_EQ(Glob("Events:Put", GlobCase::kAsciiInsensitive).pattern(), "Events:Put");
  EXPECT_TRUE(HasWildcard("a*"));
  EXPECT_TRUE(HasWildcard("a?"));
  EXPECT_FALSE(HasWildcard("a.b/c"));
}

}  // namespace
}  // namespace eventlake::security
