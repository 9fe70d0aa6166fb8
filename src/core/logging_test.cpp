// Tests for JSON-lines logging: shape, escaping, level filtering and output.
#include "core/logging.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/cloud_event.h"

namespace eventlake {
namespace {

// Captures log lines for one test and restores the defaults afterwards.
class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogSink([this](std::string_view line) { lines_.emplace_back(line); });
    SetLogLevel(LogLevel::kInfo);
  }
  void TearDown() override {
    SetLogSink(nullptr);
    SetLogLevel(LogLevel::kInfo);
  }
  // The only captured line, parsed (fails the test if it is not valid JSON).
  nlohmann::json OnlyLine() {
    EXPECT_EQ(lines_.size(), 1u);
    if (lines_.empty()) return {};
    return nlohmann::json::parse(lines_.back());
  }

  std::vector<std::string> lines_;
};

TEST_F(LoggingTest, WritesTsLevelComponentMsgThenFieldsInOrder) {
  LogInfo("log", "segment rolled", {{"stream", "events"}, {"partition", 0}});
  ASSERT_EQ(lines_.size(), 1u);
  const std::string& line = lines_[0];
  EXPECT_EQ(line.find("{\"ts\":\""), 0u) << line;
  EXPECT_NE(line.find(R"("level":"info","component":"log","msg":"segment rolled",)"
                      R"("stream":"events","partition":0})"),
            std::string::npos)
      << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
  nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_TRUE(ParseRfc3339(j["ts"].get<std::string>()).has_value());
}

TEST_F(LoggingTest, RendersEveryFieldType) {
  LogWarn("core", "types",
          {{"neg", std::numeric_limits<int64_t>::min()},
           {"big", std::numeric_limits<uint64_t>::max()},
           {"ratio", 0.25},
           {"flag", true},
           {"nan", std::numeric_limits<double>::quiet_NaN()},
           {"inf", std::numeric_limits<double>::infinity()},
           {"text", std::string("s")}});
  nlohmann::json j = OnlyLine();
  EXPECT_EQ(j["level"], "warn");
  EXPECT_EQ(j["neg"].get<int64_t>(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(j["big"].get<uint64_t>(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(j["ratio"].get<double>(), 0.25);
  EXPECT_EQ(j["flag"], true);
  EXPECT_TRUE(j["nan"].is_null());
  EXPECT_TRUE(j["inf"].is_null());
  EXPECT_EQ(j["text"], "s");
}

TEST_F(LoggingTest, EscapesQuotesBackslashesAndControlCharacters) {
  std::string nasty = "say \"hi\"\\ \n\r\t\b\f";
  nasty.push_back('\x01');
  nasty.push_back('\x1f');
  nasty.push_back('\0');
  LogError("c\"omp", nasty, {{"k\ney", nasty}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_NE(lines_[0].find(R"(say \"hi\"\\ \n\r\t\b\f\u0001\u001f\u0000)"), std::string::npos)
      << lines_[0];
  nlohmann::json j = OnlyLine();
  EXPECT_EQ(j["component"], "c\"omp");
  EXPECT_EQ(j["msg"], nasty);
  EXPECT_EQ(j["k\ney"], nasty);
}

TEST_F(LoggingTest, KeepsValidUtf8) {
  const std::string kText = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";  // café € 😀
  LogInfo("c", kText);
  EXPECT_EQ(OnlyLine()["msg"], kText);
}

TEST_F(LoggingTest, ReplacesInvalidUtf8WithReplacementCharacter) {
  const std::string kFffd = "\xef\xbf\xbd";
  struct Case {
    std::string in, out;
  };
  const Case kCases[] = {
      {"a\xff"
       "b",
       "a" + kFffd + "b"},  // never valid
      {"a\x80"
       "b",
       "a" + kFffd + "b"},                                  // stray continuation
      {"\xc0\xaf", kFffd + kFffd},                          // overlong '/'
      {"\xed\xa0\x80", kFffd + kFffd + kFffd},              // a surrogate
      {"\xf4\x90\x80\x80", kFffd + kFffd + kFffd + kFffd},  // above U+10FFFF
      {"x\xe2\x82", "x" + kFffd},                           // truncated at the end
      {"\xe2\x82x", kFffd + "x"},                           // truncated in the middle
      {"\xf0\x9f\x98", kFffd},
  };
  for (const Case& c : kCases) {
    lines_.clear();
    LogInfo("c", c.in);
    ASSERT_EQ(lines_.size(), 1u);
    nlohmann::json j = nlohmann::json::parse(lines_[0]);
    EXPECT_EQ(j["msg"], c.out) << "input of " << c.in.size() << " bytes";
  }
}

TEST_F(LoggingTest, DropsLinesBelowTheLevel) {
  SetLogLevel(LogLevel::kWarn);
  LogDebug("c", "debug");
  LogInfo("c", "info");
  LogWarn("c", "warn");
  LogError("c", "error");
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_NE(lines_[0].find("\"msg\":\"warn\""), std::string::npos);
  EXPECT_NE(lines_[1].find("\"msg\":\"error\""), std::string::npos);
}

TEST_F(LoggingTest, DebugIsOffByDefaultAndCanBeEnabled) {
  LogDebug("c", "hidden");
  EXPECT_TRUE(lines_.empty());
  SetLogLevel(LogLevel::kDebug);
  EXPECT_EQ(GetLogLevel(), LogLevel::kDebug);
  LogDebug("c", "shown");
  EXPECT_EQ(OnlyLine()["level"], "debug");
}

TEST(ParseLogLevel, AcceptsTheFourNamesOnly) {
  LogLevel level = LogLevel::kInfo;
  EXPECT_TRUE(ParseLogLevel("debug", &level));
  EXPECT_EQ(level, LogLevel::kDebug);
  EXPECT_TRUE(ParseLogLevel("warn", &level));
  EXPECT_EQ(level, LogLevel::kWarn);
  EXPECT_TRUE(ParseLogLevel("error", &level));
  EXPECT_EQ(level, LogLevel::kError);
  EXPECT_TRUE(ParseLogLevel("info", &level));
  EXPECT_EQ(level, LogLevel::kInfo);
  EXPECT_FALSE(ParseLogLevel("INFO", &level));
  EXPECT_FALSE(ParseLogLevel("warning", &level));
  EXPECT_FALSE(ParseLogLevel("", &level));
  EXPECT_EQ(level, LogLevel::kInfo);
}

// Without a sink, a line (with its newline) goes to file descriptor 2.
TEST(Logging, WritesOneNewlineTerminatedLineToStderr) {
  std::FILE* capture = std::tmpfile();
  ASSERT_NE(capture, nullptr);
  int saved = ::dup(STDERR_FILENO);
  ASSERT_GE(saved, 0);
  ASSERT_GE(::dup2(::fileno(capture), STDERR_FILENO), 0);
  LogInfo("test", "to stderr", {{"n", 1}});
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);

  std::string written(4096, '\0');
  ssize_t n = ::pread(::fileno(capture), written.data(), written.size(), 0);
  std::fclose(capture);
  ASSERT_GT(n, 0);
  written.resize(static_cast<size_t>(n));
  ASSERT_EQ(written.back(), '\n');
  EXPECT_EQ(written.find('\n'), written.size() - 1);
  nlohmann::json j = nlohmann::json::parse(written);
  EXPECT_EQ(j["msg"], "to stderr");
  EXPECT_EQ(j["n"], 1);
}

}  // namespace
}  // namespace eventlake
