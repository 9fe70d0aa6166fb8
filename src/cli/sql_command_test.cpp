#include "cli/sql_command.h"

#include <gtest/gtest.h>

namespace eventlake::cli {
namespace {

TEST(StatementBuffer, CompletesAtASemicolonOutsideQuotes) {
  StatementBuffer b;
  EXPECT_TRUE(b.Add("SELECT 1,").empty());
  EXPECT_FALSE(b.empty());
  EXPECT_EQ(b.Add("  2;"), (std::vector<std::string>{"SELECT 1,\n  2"}));
  EXPECT_TRUE(b.empty());
  EXPECT_TRUE(b.Add("SELECT 'a;").empty());  // inside a quote
  EXPECT_EQ(b.Add("b';"), (std::vector<std::string>{"SELECT 'a;\nb'"}));
  EXPECT_TRUE(b.Add("SELECT 1 -- no end;").empty());  // inside a comment
  EXPECT_EQ(b.Add(";"), (std::vector<std::string>{"SELECT 1 -- no end;"}));
  EXPECT_EQ(b.Add("SELECT 1; SELECT 2;"), (std::vector<std::string>{"SELECT 1", "SELECT 2"}));
  b.Add("SELECT 3");
  EXPECT_EQ(b.Take(), "SELECT 3");
  EXPECT_TRUE(b.empty());
}

}  // namespace
}  // namespace eventlake::cli
