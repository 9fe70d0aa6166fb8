// Tests of `eventlake tail`'s argument parsing and output lines.
#include "cli/tail_command.h"

#include <gtest/gtest.h>

namespace eventlake::cli {
namespace {

TEST(ParseStartPosition, AcceptsNamesOffsetsAndTimes) {
  EXPECT_EQ(StartQuery(*ParseStartPosition("earliest")), "offset=earliest");
  EXPECT_EQ(StartQuery(*ParseStartPosition("latest")), "offset=latest");
  EXPECT_EQ(StartQuery(*ParseStartPosition("42")), "offset=42");
  EXPECT_EQ(StartQuery(*ParseStartPosition("2026-11-25T02:06:55+01:00")),
            "time=2026-11-25T02%3A06%3A55%2B01%3A00");
}

TEST(ParseStartPosition, RejectsAnythingElse) {
  for (const char* text :
       {"", "earlyest", "-1", "12abc", "2026-13-45", "99999999999999999999999"}) {
    auto start = ParseStartPosition(text);
    ASSERT_FALSE(start.has_value()) << text;
    EXPECT_EQ(start.error().code(), StatusCode::kInvalidArgument);
  }
}

TEST(FormatRecordLine, PutsPartitionFirstAndKeepsTheEventAsIs) {
  auto record =
      nlohmann::ordered_json::parse(R"({"offset":7,"append_time":"2026-11-25T02:06:55.000000Z",)"
                                    R"("event":{"id":"a","data":{"x":[1,2]}}})");
  EXPECT_EQ(FormatRecordLine(3, record),
            R"({"partition":3,"offset":7,"append_time":"2026-11-25T02:06:55.000000Z",)"
            R"("event":{"id":"a","data":{"x":[1,2]}}})");
}

}  // namespace
}  // namespace eventlake::cli
